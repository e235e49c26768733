import { sql, type Kysely, type Selectable } from "kysely";
import type { ClaimedEventRow, EndpointEventQuery, EventRow, NewEvent, Page, Workspace } from "../store.js";
import { BatchStatement, valuesList } from "./batch-statement.js";
import type { DialectSupport } from "./dialect-support.js";
import { fetchSizeFor, toPage } from "./pagination.js";
import type { Database, EventsTable } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

/** The columns a claim returns: what an attempt needs (see `ClaimedEventRow`). */
export const CLAIMED_EVENT_COLUMNS = ["id", "organization_id", "mode", "endpoint_id", "type", "payload", "attempts", "scheduled_attempts"] as const;

/** Maps what a claim returns to the contract. */
export function toClaimedEvent(row: Pick<Selectable<EventsTable>, (typeof CLAIMED_EVENT_COLUMNS)[number]>): ClaimedEventRow {
  return {
    id: row.id,
    organizationId: row.organization_id,
    mode: row.mode,
    endpointId: row.endpoint_id,
    type: row.type,
    payload: row.payload,
    attempts: row.attempts,
    scheduledAttempts: row.scheduled_attempts,
  };
}

/**
 * Maps a row to the contract; the lease columns belong to the delivery engine and stay inside.
 * The claim's fields come last: on Node 20, adding properties after a spread of
 * `toClaimedEvent(row)` cost about 14 µs per event (a tenth of a publish's CPU), spreading it at
 * the end about 0.15.
 */
export function toEvent(row: Selectable<EventsTable>): EventRow {
  return {
    apiVersion: row.api_version,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    exhaustedAt: row.exhausted_at,
    lastStatusCode: row.last_status_code,
    lastResponseBody: row.last_response_body,
    lastRedeliveredAt: row.last_redelivered_at,
    createdAt: row.created_at,
    ...toClaimedEvent(row),
  };
}

export async function findEvent(db: Kysely<Database>, ws: Workspace, id: string): Promise<EventRow | undefined> {
  const row = await db
    .selectFrom("events")
    .selectAll()
    .where("id", "=", id)
    .where(inWorkspace(ws))
    .executeTakeFirst();
  return row && toEvent(row);
}

/** One endpoint's events newest first, optionally only (un)delivered ones or one type. */
export async function listEndpointEvents(
  db: Kysely<Database>,
  ws: Workspace,
  endpointId: string,
  query: EndpointEventQuery,
): Promise<Page<EventRow>> {
  const { limit, startingAfter, delivered, type } = query;
  const rows = await db
    .selectFrom("events")
    .selectAll()
    .where("endpoint_id", "=", endpointId)
    .where(inWorkspace(ws))
    .$if(delivered === true, (qb) => qb.where("delivered_at", "is not", null))
    .$if(delivered === false, (qb) => qb.where("delivered_at", "is", null))
    .$if(type !== undefined, (qb) => qb.where("type", "=", type as string))
    .$if(startingAfter !== undefined, (qb) => qb.where("id", "<", startingAfter as string))
    .orderBy("id", "desc")
    .limit(fetchSizeFor(limit))
    .execute();
  return toPage(rows.map(toEvent), limit);
}

// Well under SQLite's bound-parameter limit (32766) and PostgreSQL's (65535) at 19 columns a row.
const INSERT_CHUNK_ROWS = 500;

/** Every column of `events`, in the order its insert lists them. */
const EVENT_COLUMNS = [
  "id",
  "organization_id",
  "mode",
  "endpoint_id",
  "type",
  "payload",
  "api_version",
  "attempts",
  "scheduled_attempts",
  "next_attempt_at",
  "parked_at",
  "delivered_at",
  "exhausted_at",
  "last_status_code",
  "last_response_body",
  "last_redelivered_at",
  "created_at",
  "lease_owner",
  "lease_expires_at",
] as const satisfies readonly (keyof EventsTable)[];
// A column added to the table must be added above too: this line stops compiling until it is.
const everyColumnListed: Exclude<keyof EventsTable, (typeof EVENT_COLUMNS)[number]> extends never ? true : never = true;
void everyColumnListed;

/**
 * A publish's event rows, compiled once per row count: Kysely built and compiled the insert anew for
 * every publish, about 9% of a publish's CPU in a profile (fan-out 8).
 */
const insertEventRows = new BatchStatement(
  (rows) =>
    sql`insert into events (${sql.join(EVENT_COLUMNS.map((column) => sql.ref(column)))}) values ${valuesList(rows)}`,
);

/** Inserts fresh records (no attempt made yet) and returns them in the order given. */
export async function insertEvents(db: Kysely<Database>, dialect: DialectSupport, ws: Workspace, events: NewEvent[]): Promise<EventRow[]> {
  const inserted: EventRow[] = [];
  for (let start = 0; start < events.length; start += INSERT_CHUNK_ROWS) {
    const rows: Selectable<EventsTable>[] = events.slice(start, start + INSERT_CHUNK_ROWS).map((e) => ({
      id: e.id,
      organization_id: ws.organizationId,
      mode: ws.mode,
      endpoint_id: e.endpointId,
      type: e.type,
      payload: e.payload,
      api_version: e.apiVersion,
      attempts: 0,
      scheduled_attempts: 0,
      next_attempt_at: e.nextAttemptAt,
      parked_at: null,
      delivered_at: null,
      exhausted_at: null,
      last_status_code: null,
      last_response_body: null,
      last_redelivered_at: null,
      created_at: e.createdAt,
      lease_owner: null,
      lease_expires_at: null,
    }));
    // Every column is given, so the rows are known without reading them back.
    await insertEventRows.execute(db, dialect, rows.map((row) => EVENT_COLUMNS.map((column) => row[column])));
    for (const row of rows) inserted.push(toEvent(row));
  }
  return inserted;
}

/** The workspace's events with these ids, in the order of `ids`; ids no longer present are skipped. */
export async function findEventsByIds(db: Kysely<Database>, ws: Workspace, ids: string[]): Promise<EventRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("events")
    .selectAll()
    .where("id", "in", ids)
    .where(inWorkspace(ws))
    .execute();
  return inOrder(rows.map(toEvent), ids);
}

// `IN (…)` promises no order, so callers' order is restored by id.
function inOrder(events: EventRow[], ids: string[]): EventRow[] {
  const byId = new Map(events.map((e) => [e.id, e]));
  return ids.flatMap((id) => {
    const event = byId.get(id);
    return event === undefined ? [] : [event];
  });
}
