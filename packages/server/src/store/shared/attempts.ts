import type { Kysely, Selectable } from "kysely";
import type { AttemptRow, Page, PageQuery, Workspace } from "../store.js";
import { fetchSizeFor, toPage } from "./pagination.js";
import type { Database, EventAttemptsTable } from "./schema.js";

export function toAttempt(row: Selectable<EventAttemptsTable>): AttemptRow {
  return {
    id: row.id,
    eventId: row.event_id,
    endpointId: row.endpoint_id,
    organizationId: row.organization_id,
    attempt: row.attempt,
    trigger: row.trigger,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    outcome: row.outcome,
    error: row.error,
    responseBody: row.response_body,
  };
}

/**
 * The attempt log of one event, oldest first. Attempts carry no mode of their own, so the join on
 * the event scopes them to the workspace: the same organization's other mode sees nothing.
 */
export async function listAttempts(
  db: Kysely<Database>,
  ws: Workspace,
  eventId: string,
  query: PageQuery,
): Promise<Page<AttemptRow>> {
  const { limit, startingAfter } = query;
  const rows = await db
    .selectFrom("event_attempts as a")
    .innerJoin("events as e", "e.id", "a.event_id")
    .selectAll("a")
    .where("a.event_id", "=", eventId)
    .where("a.organization_id", "=", ws.organizationId)
    .where("e.organization_id", "=", ws.organizationId)
    .where("e.mode", "=", ws.mode)
    .$if(startingAfter !== undefined, (qb) => qb.where("a.id", ">", startingAfter as string))
    .orderBy("a.id", "asc")
    .limit(fetchSizeFor(limit))
    .execute();
  return toPage(rows.map(toAttempt), limit);
}
