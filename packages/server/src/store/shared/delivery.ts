import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type Transaction } from "kysely";
import type {
  AttemptRecord,
  ClaimedEvent,
  ClaimInput,
  CompleteAttemptInput,
  DisabledReason,
  EventRow,
  QueueStats,
  Workspace,
} from "../store.js";
import type { DialectSupport } from "./dialect-support.js";
import { toEndpoint } from "./endpoints.js";
import { toEvent } from "./events.js";
import type { Database } from "./schema.js";

/**
 * The queue half of the store. The `events` table is the queue: `next_attempt_at` (indexed only
 * where set) says when an event is due. A claim moves it to the lease's end and stamps the owner,
 * so no transaction stays open across an HTTP call, and a crashed worker's events come due again
 * by themselves when their lease runs out: the claim query is its own reaper.
 */

const QUEUE_STATS_CAP = 100_000;

/**
 * Each endpoint's oldest due events (at most `perEndpoint` of them), as `d.id` and
 * `d.next_attempt_at` beside the endpoint `w`, read from the per-endpoint queue index: the cost
 * follows the number of endpoints, never the size of the backlog, and an endpoint with a flood of
 * due events costs the others nothing.
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

export async function claimDue(db: Kysely<Database>, dialect: DialectSupport, input: ClaimInput): Promise<ClaimedEvent[]> {
  const { owner, limit, now, excludeEndpointIds } = input;
  if (limit <= 0) return [];
  const leaseExpiresAt = now + input.leaseMs;
  const endpoints = db
    .selectFrom("webhook_endpoints as w")
    .where("w.status", "=", "active")
    // Listen sessions' events go to their stream, never to the dispatcher.
    .where("w.kind", "=", "http")
    .$if(excludeEndpointIds.length > 0, (qb) => qb.where("w.id", "not in", excludeEndpointIds));
  // The oldest of the endpoints' oldest: a batch shared fairly, in due order.
  const due = withDueEvents(endpoints, dialect, { now, perEndpoint: Math.min(limit, input.perEndpointLimit ?? limit), lock: true })
    .select("d.id")
    .orderBy("d.next_attempt_at")
    .limit(limit);
  const events = await db
    .updateTable("events")
    .set({ lease_owner: owner, lease_expires_at: leaseExpiresAt, next_attempt_at: leaseExpiresAt })
    .where("id", "in", due)
    .returningAll()
    .execute();
  if (events.length === 0) return [];
  const endpointIds = [...new Set(events.map((e) => e.endpoint_id))];
  const byId = new Map(
    (await db.selectFrom("webhook_endpoints").selectAll().where("id", "in", endpointIds).execute()).map((row) => [row.id, toEndpoint(row)]),
  );
  return events.map((row) => ({ event: toEvent(row), endpoint: byId.get(row.endpoint_id)!, leaseExpiresAt }));
}

interface AttemptInsert {
  /** The event with `attempts` already counting this attempt. */
  event: { id: string; endpoint_id: string; organization_id: string; attempts: number };
  attempt: AttemptRecord;
}

async function insertAttempts(trx: Transaction<Database>, rows: readonly AttemptInsert[], trigger: "automatic" | "manual"): Promise<void> {
  await trx
    .insertInto("event_attempts")
    .values(
      rows.map(({ event, attempt }) => ({
        id: attempt.id,
        event_id: event.id,
        endpoint_id: event.endpoint_id,
        organization_id: event.organization_id,
        attempt: event.attempts,
        trigger,
        started_at: attempt.startedAt,
        duration_ms: attempt.durationMs,
        status_code: attempt.statusCode,
        outcome: attempt.outcome,
        error: attempt.error,
        response_body: attempt.responseBody,
      })),
    )
    .execute();
}

/** Parks a disabled endpoint's scheduled events: nothing is sent, but each keeps its due time. */
export async function parkEvents(trx: Transaction<Database>, endpointId: string): Promise<void> {
  await trx
    .updateTable("events")
    .set((eb) => ({ parked_at: eb.ref("next_attempt_at"), next_attempt_at: null }))
    .where("endpoint_id", "=", endpointId)
    .where("next_attempt_at", "is not", null)
    .execute();
}

/** Puts a re-enabled endpoint's parked events back in the queue at their old (often past) due times. */
export async function unparkEvents(trx: Transaction<Database>, endpointId: string): Promise<void> {
  await trx
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
export function completeAttempt(db: Kysely<Database>, dialect: DialectSupport, input: CompleteAttemptInput): Promise<boolean> {
  let batcher = batchers.get(db);
  if (!batcher) batchers.set(db, (batcher = new CompletionBatcher(db, dialect)));
  return batcher.add(input);
}

/** At most this many attempts per transaction (parameters stay far below both databases' limits). */
export const COMPLETION_BATCH_LIMIT = 128;
/** Batches are written at most this often, unless full; a lone attempt after a quiet spell goes at once. */
export const COMPLETION_INTERVAL_MS = 5;

interface PendingCompletion {
  input: CompleteAttemptInput;
  resolve: (recorded: boolean) => void;
  reject: (error: unknown) => void;
}

const batchers = new WeakMap<Kysely<Database>, CompletionBatcher>();

class CompletionBatcher {
  #pending: PendingCompletion[] = [];
  #scheduled = false;
  #writers = 0;
  #lastWrite = -Infinity;
  /**
   * SQLite has one writer; PostgreSQL writes batches side by side on its pool (each locks only its
   * own events, in id order), so one slow round trip does not hold back the next batch.
   */
  readonly #maxWriters: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectSupport,
  ) {
    this.#maxWriters = dialect.supportsRowLocks ? 4 : 1;
  }

  add(input: CompleteAttemptInput): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      // Every writer is busy: the first to finish its batch takes this one at once.
      if (this.#writers >= this.#maxWriters) return;
      // With writers to spare (PostgreSQL) a batch starts at once: what finishes while they are all
      // busy forms the next ones.
      if (this.#pending.length >= COMPLETION_BATCH_LIMIT || this.#maxWriters > 1) {
        void this.#write();
        return;
      }
      if (this.#scheduled) return;
      this.#scheduled = true;
      // SQLite: every attempt finishing in this turn of the event loop joins; under a steady
      // stream, so do those of the next few milliseconds.
      const wait = this.#lastWrite + COMPLETION_INTERVAL_MS - performance.now();
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
 * Records a batch of attempts for distinct events in one transaction, in order; true for each that
 * held its lease. What `completeAttempt`'s batches write (exported for the store's tests).
 */
export async function completeAttempts(db: Kysely<Database>, dialect: DialectSupport, inputs: readonly CompleteAttemptInput[]): Promise<boolean[]> {
  return db.transaction().execute(async (trx) => {
    // The fence: only the worker holding this exact claim may write the outcome. The rows are
    // locked (PostgreSQL, in id order so two batches never deadlock on each other) or the
    // database is (SQLite's BEGIN IMMEDIATE), so what is read here holds until the commit.
    const rows = await trx
      .selectFrom("events as e")
      .innerJoin("webhook_endpoints as w", "w.id", "e.endpoint_id")
      .select(["e.id", "e.delivered_at", "e.lease_owner", "e.lease_expires_at", "e.attempts", "e.endpoint_id", "e.organization_id", "w.status"])
      .where("e.id", "in", inputs.map((input) => input.eventId))
      .orderBy("e.id")
      .$if(dialect.supportsRowLocks, (qb) => qb.forUpdate("e"))
      .execute();
    const current = new Map(rows.map((row) => [row.id, row]));
    // Endpoint status as the batch changes it: after an attempt disables its endpoint, the later
    // attempts of the batch for that endpoint park instead of being scheduled, and keep its reason.
    const status = new Map(rows.map((row) => [row.endpoint_id, row.status]));
    const updates: EventUpdate[] = [];
    const attempts: AttemptInsert[] = [];
    const disabled: { endpointId: string; reason: DisabledReason; at: number }[] = [];

    const recorded = inputs.map((input) => {
      const row = current.get(input.eventId);
      if (!row || row.lease_owner !== input.owner || Number(row.lease_expires_at) !== input.leaseExpiresAt) return false;
      const endpointStatus = status.get(row.endpoint_id);
      const disable = input.disableEndpoint !== undefined && endpointStatus === "active";
      const paused = endpointStatus === "disabled" || disable;
      // A manual redelivery may have succeeded meanwhile: then nothing more is scheduled.
      const next = row.delivered_at === null ? input.nextAttemptAt : null;
      updates.push({
        id: row.id,
        statusCode: input.attempt.statusCode,
        responseBody: input.attempt.responseBody,
        deliveredAt: row.delivered_at === null ? input.deliveredAt : Number(row.delivered_at),
        exhaustedAt: input.exhaustedAt,
        nextAttemptAt: paused ? null : next,
        parkedAt: paused ? next : null,
      });
      attempts.push({ event: { id: row.id, endpoint_id: row.endpoint_id, organization_id: row.organization_id, attempts: row.attempts + 1 }, attempt: input.attempt });
      if (disable) {
        status.set(row.endpoint_id, "disabled");
        disabled.push({ endpointId: row.endpoint_id, reason: input.disableEndpoint!, at: input.attempt.startedAt + input.attempt.durationMs });
      }
      return true;
    });
    if (updates.length === 0) return recorded;

    await updateEvents(trx, dialect, updates);
    await insertAttempts(trx, attempts, "automatic");
    for (const { endpointId, reason, at } of disabled) {
      await trx.updateTable("webhook_endpoints").set({ status: "disabled", disabled_reason: reason, updated_at: at }).where("id", "=", endpointId).execute();
      // Parks the endpoint's other scheduled events, including those recorded earlier in this batch.
      await parkEvents(trx, endpointId);
    }
    return recorded;
  });
}

interface EventUpdate {
  id: string;
  statusCode: number | null;
  responseBody: string | null;
  deliveredAt: number | null;
  exhaustedAt: number | null;
  nextAttemptAt: number | null;
  parkedAt: number | null;
}

/**
 * One UPDATE … FROM (VALUES …) for the whole batch. Both databases name a VALUES list's columns
 * column1, column2, …; PostgreSQL types them like a UNION, so casts on the first row type them
 * all. The `id IN (…)` term keeps SQLite looking events up by key for every batch size (without
 * it, a large VALUES list makes it scan the table instead).
 */
async function updateEvents(trx: Transaction<Database>, dialect: DialectSupport, updates: readonly EventUpdate[]): Promise<void> {
  const time = sql.raw(dialect.timeType);
  const rows = updates.map((u, i) =>
    i === 0
      ? sql`(cast(${u.id} as text), cast(${u.statusCode} as integer), cast(${u.responseBody} as text), cast(${u.deliveredAt} as ${time}), cast(${u.exhaustedAt} as ${time}), cast(${u.nextAttemptAt} as ${time}), cast(${u.parkedAt} as ${time}))`
      : sql`(${u.id}, ${u.statusCode}, ${u.responseBody}, ${u.deliveredAt}, ${u.exhaustedAt}, ${u.nextAttemptAt}, ${u.parkedAt})`,
  );
  await sql`
    update events set
      attempts = attempts + 1,
      scheduled_attempts = scheduled_attempts + 1,
      last_status_code = v.column2,
      last_response_body = v.column3,
      delivered_at = v.column4,
      exhausted_at = v.column5,
      next_attempt_at = v.column6,
      parked_at = v.column7,
      lease_owner = null,
      lease_expires_at = null
    from (values ${sql.join(rows)}) as v
    where events.id = v.column1 and events.id in (${sql.join(updates.map((u) => u.id))})`.execute(trx);
}

export async function releaseClaims(db: Kysely<Database>, owner: string, eventIds: readonly string[], now: number): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .updateTable("events")
    .set({ lease_owner: null, lease_expires_at: null, next_attempt_at: now })
    .where("id", "in", eventIds)
    .where("lease_owner", "=", owner)
    .where("next_attempt_at", "is not", null)
    .execute();
}

export async function reserveRedelivery(db: Kysely<Database>, ws: Workspace, eventId: string, now: number, intervalMs: number): Promise<boolean> {
  const result = await db
    .updateTable("events")
    .set({ last_redelivered_at: now })
    .where("id", "=", eventId)
    .where("organization_id", "=", ws.organizationId)
    .where("mode", "=", ws.mode)
    .where((eb) => eb.or([eb("last_redelivered_at", "is", null), eb("last_redelivered_at", "<=", now - intervalMs)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordManualAttempt(db: Kysely<Database>, ws: Workspace, eventId: string, attempt: AttemptRecord): Promise<EventRow | undefined> {
  return db.transaction().execute(async (trx) => {
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
      .where("organization_id", "=", ws.organizationId)
      .where("mode", "=", ws.mode)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await insertAttempts(trx, [{ event: row, attempt }], "manual");
    return toEvent(row);
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
    .where("organization_id", "=", ws.organizationId)
    .where("mode", "=", ws.mode)
    .where("delivered_at", "is", null)
    .where("created_at", ">=", window.since)
    .where("created_at", "<=", window.until)
    // An event claimed right now is already on its way; leave its lease alone.
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", window.now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function queueStats(db: Kysely<Database>, dialect: DialectSupport, now: number): Promise<QueueStats> {
  const endpoints = db.selectFrom("webhook_endpoints as w").where("w.status", "=", "active");
  const row = await withDueEvents(endpoints, dialect, { now, perEndpoint: QUEUE_STATS_CAP, lock: false })
    .select((eb) => [eb.fn.countAll<number>().as("due"), eb.fn.min("d.next_attempt_at").as("oldest")])
    .executeTakeFirstOrThrow();
  return { due: Math.min(Number(row.due), QUEUE_STATS_CAP), oldestDueAt: row.oldest === null ? null : Number(row.oldest) };
}
