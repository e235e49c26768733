import { sql, type Kysely, type Transaction } from "kysely";
import type {
  AttemptRecord,
  ClaimedEvent,
  ClaimInput,
  CompleteAttemptInput,
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

export async function claimDue(db: Kysely<Database>, dialect: DialectSupport, input: ClaimInput): Promise<ClaimedEvent[]> {
  const { owner, limit, now, excludeEndpointIds } = input;
  if (limit <= 0) return [];
  const leaseExpiresAt = now + input.leaseMs;
  const due = db
    .selectFrom("events as e")
    .innerJoin("webhook_endpoints as w", "w.id", "e.endpoint_id")
    .select("e.id")
    .where("e.next_attempt_at", "<=", now)
    .where("w.status", "=", "active")
    // Listen sessions' events go to their stream, never to the dispatcher.
    .where("w.kind", "=", "http")
    .$if(excludeEndpointIds.length > 0, (qb) => qb.where("e.endpoint_id", "not in", excludeEndpointIds))
    .orderBy("e.next_attempt_at")
    .limit(limit)
    // Several workers on PostgreSQL each take different rows instead of queueing on the same ones.
    .$if(dialect.supportsRowLocks, (qb) => qb.forUpdate("e").skipLocked());
  const events = await db
    .updateTable("events")
    .set({ lease_owner: owner, lease_expires_at: leaseExpiresAt, next_attempt_at: leaseExpiresAt })
    .where("id", "in", due)
    .returningAll()
    .execute();
  if (events.length === 0) return [];
  const endpointIds = [...new Set(events.map((e) => e.endpoint_id))];
  const endpoints = new Map(
    (await db.selectFrom("webhook_endpoints").selectAll().where("id", "in", endpointIds).execute()).map((row) => [row.id, toEndpoint(row)]),
  );
  return events.map((row) => ({ event: toEvent(row), endpoint: endpoints.get(row.endpoint_id)!, leaseExpiresAt }));
}

async function insertAttempt(
  trx: Transaction<Database>,
  event: { id: string; endpoint_id: string; organization_id: string; attempts: number },
  attempt: AttemptRecord,
  trigger: "automatic" | "manual",
): Promise<void> {
  await trx
    .insertInto("event_attempts")
    .values({
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
    })
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

export async function completeAttempt(db: Kysely<Database>, dialect: DialectSupport, input: CompleteAttemptInput): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The fence: only the worker holding this exact claim may write the outcome.
    const current = await trx
      .selectFrom("events as e")
      .innerJoin("webhook_endpoints as w", "w.id", "e.endpoint_id")
      .select(["e.delivered_at", "w.status", "e.endpoint_id"])
      .where("e.id", "=", input.eventId)
      .where("e.lease_owner", "=", input.owner)
      .where("e.lease_expires_at", "=", input.leaseExpiresAt)
      .$if(dialect.supportsRowLocks, (qb) => qb.forUpdate("e"))
      .executeTakeFirst();
    if (!current) return false;
    const disable = input.disableEndpoint !== undefined && current.status === "active";
    const paused = current.status === "disabled" || disable;
    // A manual redelivery may have succeeded meanwhile: then nothing more is scheduled.
    const next = current.delivered_at === null ? input.nextAttemptAt : null;
    const event = await trx
      .updateTable("events")
      .set((eb) => ({
        attempts: eb("attempts", "+", 1),
        scheduled_attempts: eb("scheduled_attempts", "+", 1),
        last_status_code: input.attempt.statusCode,
        last_response_body: input.attempt.responseBody,
        delivered_at: current.delivered_at ?? input.deliveredAt,
        exhausted_at: input.exhaustedAt,
        next_attempt_at: paused ? null : next,
        parked_at: paused ? next : null,
        lease_owner: null,
        lease_expires_at: null,
      }))
      .where("id", "=", input.eventId)
      .returning(["id", "endpoint_id", "organization_id", "attempts"])
      .executeTakeFirstOrThrow();
    await insertAttempt(trx, event, input.attempt, "automatic");
    if (disable) {
      await trx
        .updateTable("webhook_endpoints")
        .set({ status: "disabled", disabled_reason: input.disableEndpoint!, updated_at: input.attempt.startedAt + input.attempt.durationMs })
        .where("id", "=", current.endpoint_id)
        .execute();
      await parkEvents(trx, current.endpoint_id);
    }
    return true;
  });
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
    await insertAttempt(trx, row, attempt, "manual");
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

export async function queueStats(db: Kysely<Database>, now: number): Promise<QueueStats> {
  const due = db
    .selectFrom("events as e")
    .innerJoin("webhook_endpoints as w", "w.id", "e.endpoint_id")
    .select("e.next_attempt_at")
    .where("e.next_attempt_at", "<=", now)
    .where("w.status", "=", "active")
    .orderBy("e.next_attempt_at")
    .limit(QUEUE_STATS_CAP)
    .as("due");
  const row = await db
    .selectFrom(due)
    .select((eb) => [eb.fn.countAll<number>().as("due"), eb.fn.min("due.next_attempt_at").as("oldest")])
    .executeTakeFirstOrThrow();
  return { due: Number(row.due), oldestDueAt: row.oldest === null ? null : Number(row.oldest) };
}
