import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from "kysely";
import type {
  AttemptRecord,
  ClaimedEvent,
  ClaimInput,
  CompleteAttemptInput,
  DisabledReason,
  EventRow,
  QueueStats,
  RecordedAttempt,
  Workspace,
} from "../store.js";
import { BatchStatement, valuesList, type BatchRow } from "./batch-statement.js";
import type { DialectSupport } from "./dialect-support.js";
import { toEndpoint } from "./endpoints.js";
import { CLAIMED_EVENT_COLUMNS, toClaimedEvent, toEvent } from "./events.js";
import type { Database } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

/**
 * The queue half of the store. The `events` table is the queue: `next_attempt_at` (indexed after
 * `endpoint_id`, only where set) says when an event is due. A claim moves it to the lease's end and
 * stamps the owner, so no transaction stays open across an HTTP call, and a crashed worker's events
 * come due again by themselves when their lease runs out: the claim query is its own reaper.
 */

const QUEUE_STATS_CAP = 100_000;

/**
 * Each endpoint's oldest due events (at most `perEndpoint` of them), as `d.id` and
 * `d.next_attempt_at` beside the endpoint `w`, read from the per-endpoint queue index: the cost
 * follows the number of endpoints read (one index probe each), never the size of the backlog, and
 * an endpoint with a flood of due events costs the others nothing.
 */
function withDueEvents(
  endpoints: SelectQueryBuilder<Database & { w: Database["webhook_endpoints"] }, "w", object>,
  dialect: DialectSupport,
  due: { now: number; perEndpoint: number; lock: boolean },
) {
  const oldestDue = (eb: ExpressionBuilder<Database & { w: Database["webhook_endpoints"] }, "w">) =>
    eb
      .selectFrom("events as e")
      .whereRef("e.endpoint_id", "=", "w.id")
      .where("e.next_attempt_at", "<=", due.now)
      .orderBy("e.next_attempt_at")
      .limit(due.perEndpoint);
  if (dialect.supportsLateralJoins) {
    return endpoints.innerJoinLateral(
      (eb) =>
        oldestDue(eb)
          .select(["e.id", "e.next_attempt_at"])
          // Several workers on PostgreSQL each take different rows instead of queueing on the same ones.
          .$if(due.lock, (qb) => qb.forUpdate().skipLocked())
          .as("d"),
      (join) => join.onTrue(),
    );
  }
  // SQLite has no LATERAL: the same per-endpoint read as a correlated subquery, each id then looked
  // up by key.
  return endpoints.innerJoin("events as d", (join) => join.on("d.id", "in", (eb) => oldestDue(eb).select("e.id")));
}

/**
 * The endpoints that have scheduled events, found by skipping through the queue index (one descent
 * per such endpoint; delivered and exhausted events are not in it), so that the many endpoints with
 * nothing queued cost a claim nothing.
 */
const queuedEndpoints = sql<string>`(
  with recursive queued (endpoint_id) as (
    select min(endpoint_id) from events where next_attempt_at is not null
    union all
    select (select min(e.endpoint_id) from events as e where e.next_attempt_at is not null and e.endpoint_id > q.endpoint_id)
    from queued as q where q.endpoint_id is not null
  )
  select endpoint_id from queued where endpoint_id is not null)`;

export async function claimDue(db: Kysely<Database>, dialect: DialectSupport, input: ClaimInput): Promise<ClaimedEvent[]> {
  const { owner, limit, now, excludeEndpointIds } = input;
  if (limit <= 0) return [];
  const leaseExpiresAt = now + input.leaseMs;
  const endpoints = db
    .selectFrom("webhook_endpoints as w")
    .where("w.id", "in", queuedEndpoints)
    .where("w.status", "=", "active")
    // Listen sessions' events go to their stream, never to the dispatcher.
    .where("w.kind", "=", "http")
    .$if(excludeEndpointIds.length > 0, (qb) => qb.where("w.id", "not in", excludeEndpointIds));
  // The oldest of the endpoints' oldest: a batch shared fairly, in due order.
  const due = withDueEvents(endpoints, dialect, { now, perEndpoint: Math.min(limit, input.perEndpointLimit ?? limit), lock: true })
    .select("d.id")
    .orderBy("d.next_attempt_at")
    .limit(limit);
  return leaseEvents(db, due, owner, leaseExpiresAt);
}

/**
 * Leases the events `due` selects to `owner` until `leaseExpiresAt` (their due time moves there,
 * so they come back by themselves if the owner dies), with their endpoints: what the dispatcher's
 * claims and the listen stream's share.
 */
export async function leaseEvents(
  db: Kysely<Database>,
  // Any query selecting event ids; its tables and aliases are its own.
  due: SelectQueryBuilder<any, any, { id: string }>,
  owner: string,
  leaseExpiresAt: number,
): Promise<ClaimedEvent[]> {
  const events = await db
    .updateTable("events")
    .set({ lease_owner: owner, lease_expires_at: leaseExpiresAt, next_attempt_at: leaseExpiresAt })
    .where("id", "in", due)
    .returning(CLAIMED_EVENT_COLUMNS)
    .execute();
  if (events.length === 0) return [];
  const endpointIds = [...new Set(events.map((e) => e.endpoint_id))];
  const byId = new Map(
    (await db.selectFrom("webhook_endpoints").selectAll().where("id", "in", endpointIds).execute()).map((row) => [row.id, toEndpoint(row)]),
  );
  return events.map((row) => ({
    event: toClaimedEvent(row),
    endpoint: byId.get(row.endpoint_id)!,
    leaseExpiresAt,
  }));
}

interface AttemptInsert {
  /** The event with `attempts` already counting this attempt. */
  event: { id: string; endpoint_id: string; organization_id: string; attempts: number };
  attempt: AttemptRecord;
}

/** The attempt log's columns, in the order its inserts list them. */
const ATTEMPT_LOG_COLUMNS = sql`(id, event_id, endpoint_id, organization_id, attempt, ${sql.id("trigger")}, started_at, duration_ms, status_code, outcome, error, response_body)`;

/** Attempt log rows, each in the order of ATTEMPT_LOG_COLUMNS. */
const insertAttemptRows = new BatchStatement(
  (rows) => sql`insert into event_attempts ${ATTEMPT_LOG_COLUMNS} values ${valuesList(rows)}`,
);

async function insertAttempts(db: Kysely<Database>, dialect: DialectSupport, rows: readonly AttemptInsert[], trigger: "automatic" | "manual"): Promise<void> {
  await insertAttemptRows.execute(
    db,
    dialect,
    rows.map(({ event, attempt }) => [
      attempt.id,
      event.id,
      event.endpoint_id,
      event.organization_id,
      event.attempts,
      trigger,
      attempt.startedAt,
      attempt.durationMs,
      attempt.statusCode,
      attempt.outcome,
      attempt.error,
      attempt.responseBody,
    ]),
  );
}

/** Parks a disabled endpoint's scheduled events: nothing is sent, but each keeps its due time. */
export async function parkEvents(db: Kysely<Database>, endpointId: string): Promise<void> {
  await db
    .updateTable("events")
    .set((eb) => ({ parked_at: eb.ref("next_attempt_at"), next_attempt_at: null }))
    .where("endpoint_id", "=", endpointId)
    .where("next_attempt_at", "is not", null)
    .execute();
}

/**
 * Disables an active endpoint for `reason` (a 410, an exhausted event) and parks its scheduled
 * events; true when it did. An endpoint already disabled keeps the reason it has.
 */
async function disableEndpointFor(db: Kysely<Database>, endpointId: string, reason: DisabledReason, at: number): Promise<boolean> {
  const disabled = await db
    .updateTable("webhook_endpoints")
    .set({ status: "disabled", disabled_reason: reason, updated_at: at })
    .where("id", "=", endpointId)
    .where("status", "=", "active")
    .executeTakeFirst();
  if (Number(disabled.numUpdatedRows) === 0) return false;
  await parkEvents(db, endpointId);
  return true;
}

/** Puts a re-enabled endpoint's parked events back in the queue at their old (often past) due times. */
export async function unparkEvents(db: Kysely<Database>, endpointId: string): Promise<void> {
  await db
    .updateTable("events")
    .set((eb) => ({ next_attempt_at: eb.ref("parked_at"), parked_at: null }))
    .where("endpoint_id", "=", endpointId)
    .where("parked_at", "is not", null)
    .execute();
}

/**
 * Records an automatic attempt, fenced by the claim's owner and lease. Attempts finishing close
 * together are written together: one transaction with one fenced read, one update and one insert
 * for the whole batch, instead of a transaction of four statements per attempt. Each caller still
 * gets its own answer.
 */
export function completeAttempt(db: Kysely<Database>, dialect: DialectSupport, input: CompleteAttemptInput): Promise<RecordedAttempt> {
  let batcher = batchers.get(db);
  if (!batcher) batchers.set(db, (batcher = new CompletionBatcher(db, dialect)));
  return batcher.add(input);
}

/**
 * At most this many attempts per transaction: parameters stay far below both databases' limits,
 * and SQLite's plan for the recording update keeps the batch as its outer loop, each event found by
 * key (at 256 it scanned the whole events table instead; a store test checks the plan at this size).
 */
export const COMPLETION_BATCH_LIMIT = 128;
/** Batches are written at most this often, unless full; a lone attempt after a quiet spell goes at once. */
export const COMPLETION_INTERVAL_MS = 5;

interface PendingCompletion {
  input: CompleteAttemptInput;
  resolve: (recorded: RecordedAttempt) => void;
  reject: (error: unknown) => void;
}

const batchers = new WeakMap<Kysely<Database>, CompletionBatcher>();

class CompletionBatcher {
  #pending: PendingCompletion[] = [];
  #scheduled = false;
  #writers = 0;
  #lastWrite = -Infinity;
  /**
   * SQLite has one writer; PostgreSQL writes batches side by side on its pool, so one slow round
   * trip does not hold back the next batch.
   */
  readonly #maxWriters: number;
  /** SQLite gathers a few milliseconds of attempts per write; PostgreSQL one turn of the event loop. */
  readonly #intervalMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectSupport,
  ) {
    this.#maxWriters = dialect.supportsRowLocks ? 4 : 1;
    this.#intervalMs = dialect.supportsRowLocks ? 0 : COMPLETION_INTERVAL_MS;
  }

  add(input: CompleteAttemptInput): Promise<RecordedAttempt> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      // Every writer is busy: the first to finish its batch takes this one at once.
      if (this.#writers >= this.#maxWriters) return;
      if (this.#pending.length >= COMPLETION_BATCH_LIMIT) {
        void this.#write();
        return;
      }
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Every attempt finishing in this turn of the event loop joins the batch; on SQLite, under a
      // steady stream, so do those of the next few milliseconds.
      const wait = this.#lastWrite + this.#intervalMs - performance.now();
      const go = () => void this.#write();
      if (wait > 0) setTimeout(go, wait);
      else setImmediate(go);
    });
  }

  async #write(): Promise<void> {
    this.#scheduled = false;
    if (this.#writers >= this.#maxWriters || this.#pending.length === 0) return;
    this.#writers++;
    this.#lastWrite = performance.now();
    try {
      while (this.#pending.length > 0) {
        const batch = this.#take();
        try {
          const recorded = await completeAttempts(this.db, this.dialect, batch.map((p) => p.input));
          batch.forEach((p, i) => p.resolve(recorded[i]!));
        } catch {
          // One attempt the database refuses must not lose the others: write them one by one.
          for (const p of batch) {
            try {
              const [recorded] = await completeAttempts(this.db, this.dialect, [p.input]);
              p.resolve(recorded!);
            } catch (error) {
              p.reject(error);
            }
          }
        }
      }
    } finally {
      this.#writers--;
    }
  }

  /** The next batch: oldest first, at most one attempt per event (a second one waits its turn). */
  #take(): PendingCompletion[] {
    const batch: PendingCompletion[] = [];
    const rest: PendingCompletion[] = [];
    const ids = new Set<string>();
    for (const pending of this.#pending) {
      if (batch.length < COMPLETION_BATCH_LIMIT && !ids.has(pending.input.eventId)) {
        ids.add(pending.input.eventId);
        batch.push(pending);
      } else rest.push(pending);
    }
    this.#pending = rest;
    return batch;
  }
}

/**
 * Records a batch of attempts for distinct events; what each wrote, in order (nothing for one that
 * lost its lease). What `completeAttempt`'s batches write (exported for the store's tests).
 *
 * The fence is the UPDATE's own condition: only the worker holding this exact claim (owner and
 * lease end) may write the outcome, and both databases check it against the row as it is when the
 * row is written (PostgreSQL re-reads a row another transaction changed meanwhile; SQLite has one
 * writer). On PostgreSQL the update and the attempt log are one statement, so a batch costs one
 * round trip; SQLite runs the two in one transaction. A batch in which an attempt disables its
 * endpoint (exhaustion, 410) also disables it and parks its scheduled events in that transaction.
 */
export async function completeAttempts(db: Kysely<Database>, dialect: DialectSupport, batch: readonly CompleteAttemptInput[]): Promise<RecordedAttempt[]> {
  // In event id order, so two batches touching the same events lock them in the same order.
  const inputs = [...batch].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const disables = batch.some((input) => input.disableEndpoint !== undefined);
  const write = async (conn: Kysely<Database>): Promise<RecordedAttempt[]> => {
    const recorded = new Map<string, { endpointId: string; delivered: boolean }>(); // by event id
    const outcomes = inputs.map(outcomeRow);
    if (dialect.supportsDataModifyingCtes) {
      const { rows } = await (disables ? recordDisablingOutcomes : recordOutcomes).execute(conn, dialect, outcomes);
      for (const row of rows) recorded.set(row.event_id, { endpointId: row.endpoint_id, delivered: row.delivered_at !== null });
    } else {
      const { rows } = await fencedOutcomes.execute(conn, dialect, outcomes);
      const byEvent = new Map(inputs.map((input) => [input.eventId, input.attempt]));
      if (rows.length > 0) await insertAttempts(conn, dialect, rows.map((event) => ({ event, attempt: byEvent.get(event.id)! })), "automatic");
      for (const row of rows) recorded.set(row.id, { endpointId: row.endpoint_id, delivered: row.delivered_at !== null });
    }
    // In the batch's order: the attempt that finished first gives a disabled endpoint its reason.
    // Parking takes the endpoint's other scheduled events, those recorded in this batch included.
    const disabledBy = new Set<CompleteAttemptInput>();
    for (const input of batch) {
      const event = recorded.get(input.eventId);
      if (input.disableEndpoint === undefined || event === undefined) continue;
      // A last attempt that failed after a manual redelivery delivered its event exhausted nothing,
      // so it disables nothing; a 410 still does (it speaks of the endpoint, not of the event).
      if (input.disableEndpoint === "exhausted" && event.delivered) continue;
      const at = input.attempt.startedAt + input.attempt.durationMs;
      if (await disableEndpointFor(conn, event.endpointId, input.disableEndpoint, at)) disabledBy.add(input);
    }
    return batch.map((input) => ({ recorded: recorded.has(input.eventId), endpointDisabled: disabledBy.has(input) }));
  };
  return disables || !dialect.supportsDataModifyingCtes ? db.transaction().execute(write) : write(db);
}

/** The columns of a batch's outcomes, as the VALUES list `v` names them, with their types. */
const OUTCOME_COLUMNS = [
  ["id", "text"],
  ["owner", "text"],
  ["lease_expires_at", "time"],
  ["status_code", "integer"],
  ["response_body", "text"],
  ["delivered_at", "time"],
  ["exhausted_at", "time"],
  ["next_attempt_at", "time"],
  ["attempt_id", "text"],
  ["started_at", "time"],
  ["duration_ms", "integer"],
  ["outcome", "text"],
  ["error", "text"],
] as const;

/** An outcome as a row of `v`, in the order of OUTCOME_COLUMNS (exported for the store's tests). */
export function outcomeRow(input: CompleteAttemptInput): BatchRow {
  const a = input.attempt;
  return [
    input.eventId,
    input.owner,
    input.leaseExpiresAt,
    a.statusCode,
    a.responseBody,
    input.deliveredAt,
    input.exhaustedAt,
    input.nextAttemptAt,
    a.id,
    a.startedAt,
    a.durationMs,
    a.outcome,
    a.error,
  ];
}

/** The VALUES list `v`; PostgreSQL types a VALUES list like a UNION, so casts on the first row type them all. */
function outcomesTable(rows: readonly BatchRow[], dialect: DialectSupport) {
  const cast = (value: unknown, i: number) => {
    const type = OUTCOME_COLUMNS[i]![1];
    return sql`cast(${value} as ${sql.raw(type === "time" ? dialect.timeType : type)})`;
  };
  const values = sql.join(rows.map((row, i) => sql`(${sql.join(i === 0 ? row.map(cast) : row)})`));
  return sql`v (${sql.raw(OUTCOME_COLUMNS.map(([name]) => name).join(", "))}) as (values ${values})`;
}

/**
 * SQLite's half of `completeAttempts`: the fenced update of a batch's events, returning what their
 * attempt rows need (exported for the store's tests, which check its plan).
 *
 * `OR FAIL` spares SQLite a statement journal. For a statement that changes several rows inside a
 * transaction and may abort partway, SQLite first copies every page the statement changes (into a
 * temporary file past 64 KB), so that it can undo that statement alone. Here any failure fails the
 * whole recording transaction, which is then rolled back, so that copy is never read; with FAIL, a
 * row that fails stops the statement without undoing the rows before it, and SQLite keeps no copy.
 * In drains of the bench's backlog this took the update from 18–19 to 10–12 µs per attempt.
 */
export const fencedOutcomes = new BatchStatement(
  (rows, dialect) => sql<{ id: string; attempts: number; endpoint_id: string; organization_id: string; delivered_at: number | null }>`
    with ${outcomesTable(rows, dialect)}
    update or fail ${eventsWithOutcomes({ lockedEndpoints: false })}
    returning events.id, events.attempts, events.endpoint_id, events.organization_id, events.delivered_at`,
);

/**
 * PostgreSQL's `completeAttempts`: the fenced update and the attempt log in one statement, which
 * returns each recorded event with its delivery time (the log's insert runs whether read or not).
 *
 * A batch that disables an endpoint (a 410, an exhausted event) goes on, in its transaction, to
 * disable it and park its events, so it first locks its endpoints (in id order, FOR NO KEY UPDATE,
 * before any of their events: an event row is written only once the endpoint row joined to it is
 * locked). That is the order `updateEndpoint`, `deleteEndpoint` and `recordManualAttempt` follow, the
 * endpoint then its events; unlocked, two such batches for one endpoint deadlocked, each parking an event the other
 * had written while the other waited to disable the endpoint. Other batches touch no endpoint row.
 */
function recordingStatement({ lockedEndpoints }: { lockedEndpoints: boolean }) {
  return new BatchStatement(
    (rows, dialect) => sql<{ event_id: string; endpoint_id: string; delivered_at: number | null }>`
      with ${outcomesTable(rows, dialect)},
      ${
        lockedEndpoints
          ? sql`locked_endpoints as materialized (
        select id from webhook_endpoints
        where id in (select events.endpoint_id from events inner join v on v.id = events.id)
        order by id
        for no key update),`
          : sql``
      }
      done as (update ${eventsWithOutcomes({ lockedEndpoints })} returning events.id, events.attempts, events.endpoint_id, events.organization_id, events.delivered_at),
      logged as (
        insert into event_attempts ${ATTEMPT_LOG_COLUMNS}
        select v.attempt_id, done.id, done.endpoint_id, done.organization_id, done.attempts, 'automatic', v.started_at, v.duration_ms, v.status_code, v.outcome, v.error, v.response_body
        from done inner join v on v.id = done.id)
      select id as event_id, endpoint_id, delivered_at from done`,
  );
}
const recordOutcomes = recordingStatement({ lockedEndpoints: false });
const recordDisablingOutcomes = recordingStatement({ lockedEndpoints: true });

/**
 * The outcome of each fenced attempt (the VALUES list `v`) on its event, as an UPDATE without its
 * `update` keyword (each dialect's statement adds its own; PostgreSQL's disabling one joins the
 * endpoints it locked first). An event a manual redelivery delivered meanwhile is neither scheduled
 * again nor exhausted. One parked meanwhile stays parked, with its next due time: disabling an
 * endpoint parks its claimed events too (`parkEvents`), and resuming it unparks them, each under
 * the event rows' locks. Parking is read from the event row, not from the endpoint: on PostgreSQL,
 * an update that waited for a resume's lock on its event re-reads the event once the resume
 * commits, but would read the endpoint as of its own start, and park the event again on an active
 * endpoint, where nothing would unpark it.
 */
const eventsWithOutcomes = ({ lockedEndpoints }: { lockedEndpoints: boolean }) => sql`
  events set
    attempts = events.attempts + 1,
    scheduled_attempts = events.scheduled_attempts + 1,
    last_status_code = v.status_code,
    last_response_body = v.response_body,
    delivered_at = coalesce(events.delivered_at, v.delivered_at),
    exhausted_at = case when events.delivered_at is null then v.exhausted_at else events.exhausted_at end,
    next_attempt_at = case when events.delivered_at is null and events.parked_at is null then v.next_attempt_at end,
    parked_at = case when events.delivered_at is null and events.parked_at is not null then v.next_attempt_at end,
    lease_owner = null,
    lease_expires_at = null
  ${lockedEndpoints ? sql`from v cross join locked_endpoints as w` : sql`from v`}
  where events.id = v.id ${lockedEndpoints ? sql`and w.id = events.endpoint_id` : sql``}
    and events.lease_owner = v.owner and events.lease_expires_at = v.lease_expires_at`;

/**
 * Hands unstarted claims back, due now. A claim whose endpoint was disabled meanwhile was parked
 * with its lease's end as its due time (`parkEvents` parks claimed events too); it stays parked,
 * due now once resumed, so the outcome is the same whether the hand-back or the disable is written
 * first. An event delivered meanwhile (a manual redelivery) is neither due nor parked: untouched.
 */
export async function releaseClaims(db: Kysely<Database>, owner: string, eventIds: readonly string[], now: number): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .updateTable("events")
    .set((eb) => ({
      lease_owner: null,
      lease_expires_at: null,
      next_attempt_at: eb.case().when("next_attempt_at", "is not", null).then(now).end(),
      parked_at: eb.case().when("parked_at", "is not", null).then(now).end(),
    }))
    .where("id", "in", eventIds)
    .where("lease_owner", "=", owner)
    .where((eb) => eb.or([eb("next_attempt_at", "is not", null), eb("parked_at", "is not", null)]))
    .execute();
}

export async function reserveRedelivery(db: Kysely<Database>, ws: Workspace, eventId: string, now: number, intervalMs: number): Promise<boolean> {
  const result = await db
    .updateTable("events")
    .set({ last_redelivered_at: now })
    .where("id", "=", eventId)
    .where(inWorkspace(ws))
    .where((eb) => eb.or([eb("last_redelivered_at", "is", null), eb("last_redelivered_at", "<=", now - intervalMs)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordManualAttempt(
  db: Kysely<Database>,
  dialect: DialectSupport,
  ws: Workspace,
  eventId: string,
  attempt: AttemptRecord,
  disableEndpoint?: DisabledReason,
): Promise<{ event: EventRow; endpointDisabled: boolean } | undefined> {
  return db.transaction().execute(async (trx) => {
    // PostgreSQL: the endpoint's row lock before the event's, the order in which deleting an
    // endpoint and disabling it take them. The attempt log's foreign key would lock the endpoint
    // only after the event: a DELETE holding the endpoint meanwhile then waited for the event while
    // this waited for the endpoint, and PostgreSQL failed one of the two as a deadlock.
    if (dialect.supportsRowLocks) {
      const endpoint = await trx
        .selectFrom("webhook_endpoints")
        .select("id")
        .where("id", "=", (eb) => eb.selectFrom("events").select("endpoint_id").where("id", "=", eventId).where(inWorkspace(ws)))
        .$call((qb) => (disableEndpoint === undefined ? qb.forKeyShare() : qb.forNoKeyUpdate()))
        .executeTakeFirst();
      if (endpoint === undefined) return undefined;
    }
    const delivered = attempt.outcome === "delivered";
    const row = await trx
      .updateTable("events")
      .set((eb) => ({
        attempts: eb("attempts", "+", 1),
        last_status_code: attempt.statusCode,
        last_response_body: attempt.responseBody,
        // A manual attempt never moves the automatic schedule; a success ends it.
        ...(delivered && {
          delivered_at: eb.fn.coalesce("delivered_at", eb.val(attempt.startedAt + attempt.durationMs)),
          next_attempt_at: null,
          parked_at: null,
        }),
      }))
      .where("id", "=", eventId)
      .where(inWorkspace(ws))
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await insertAttempts(trx, dialect, [{ event: row, attempt }], "manual");
    const endpointDisabled =
      disableEndpoint !== undefined && (await disableEndpointFor(trx, row.endpoint_id, disableEndpoint, attempt.startedAt + attempt.durationMs));
    // Parking (above) may have moved the event's own due time.
    const event = endpointDisabled ? await trx.selectFrom("events").selectAll().where("id", "=", eventId).executeTakeFirstOrThrow() : row;
    return { event: toEvent(event), endpointDisabled };
  });
}

export async function recoverEvents(
  db: Kysely<Database>,
  ws: Workspace,
  endpointId: string,
  window: { since: number; until: number; now: number },
): Promise<number> {
  const result = await db
    .updateTable("events")
    .set({ next_attempt_at: window.now, parked_at: null, exhausted_at: null, scheduled_attempts: 0, lease_owner: null, lease_expires_at: null })
    .where("endpoint_id", "=", endpointId)
    .where(inWorkspace(ws))
    .where("delivered_at", "is", null)
    .where("created_at", ">=", window.since)
    .where("created_at", "<=", window.until)
    // An event claimed right now is already on its way; leave its lease alone.
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", window.now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function queueStats(db: Kysely<Database>, dialect: DialectSupport, now: number): Promise<QueueStats> {
  const endpoints = db.selectFrom("webhook_endpoints as w").where("w.id", "in", queuedEndpoints).where("w.status", "=", "active");
  const row = await withDueEvents(endpoints, dialect, { now, perEndpoint: QUEUE_STATS_CAP, lock: false })
    .select((eb) => [eb.fn.countAll<number>().as("due"), eb.fn.min("d.next_attempt_at").as("oldest")])
    .executeTakeFirstOrThrow();
  return { due: Math.min(Number(row.due), QUEUE_STATS_CAP), oldestDueAt: row.oldest === null ? null : Number(row.oldest) };
}
