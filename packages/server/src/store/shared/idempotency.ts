import type { Kysely } from "kysely";
import type { IdempotencyClaim, RequestKeyClaim, Workspace } from "../store.js";
import type { Database } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

/**
 * A live key can only vanish between the claim and the read if something deletes it meanwhile (a
 * purge of expired keys); trying again then claims it. Bounded so a bug cannot spin forever.
 */
export const MAX_CLAIM_TRIES = 3;

/** What the first request under a key recorded. */
export interface IdempotencyRecord {
  fingerprint: string;
  eventIds: string[];
}

/**
 * Takes the key: inserts its row, or takes over a row that has expired, or (with
 * `unansweredBefore`, for requests that record their answer after their work) one the same request
 * left unanswered before that time. Returns false when a live row holds the key.
 *
 * The primary key is the lock. In PostgreSQL a second transaction inserting the same key waits on
 * the first one's uncommitted row and, once that commits, sees the conflict and claims nothing; its
 * next statement then reads the committed row. SQLite gets the same effect from serialized writers.
 */
export async function claimIdempotencyKey(
  db: Kysely<Database>,
  ws: Workspace,
  claim: IdempotencyClaim,
  now: number,
  unansweredBefore?: number,
): Promise<boolean> {
  const row = await db
    .insertInto("idempotency_keys")
    .values({
      organization_id: ws.organizationId,
      mode: ws.mode,
      key: claim.key,
      fingerprint: claim.fingerprint,
      // A publish fills it in before its transaction commits; other requests leave it empty.
      event_ids: "[]",
      response: null,
      created_at: now,
      expires_at: claim.expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(["organization_id", "mode", "key"])
        .doUpdateSet((eb) => ({
          fingerprint: eb.ref("excluded.fingerprint"),
          event_ids: eb.ref("excluded.event_ids"),
          response: null,
          created_at: eb.ref("excluded.created_at"),
          expires_at: eb.ref("excluded.expires_at"),
        }))
        .where((eb) =>
          eb.or([
            eb("idempotency_keys.expires_at", "<=", now),
            ...(unansweredBefore === undefined
              ? []
              : [
                  eb.and([
                    eb("idempotency_keys.response", "is", null),
                    eb("idempotency_keys.fingerprint", "=", claim.fingerprint),
                    eb("idempotency_keys.created_at", "<", unansweredBefore),
                  ]),
                ]),
          ]),
        ),
    )
    .returning("key")
    .executeTakeFirst();
  return row !== undefined;
}

export async function readIdempotencyRecord(
  db: Kysely<Database>,
  ws: Workspace,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const row = await db
    .selectFrom("idempotency_keys")
    .select(["fingerprint", "event_ids"])
    .where(inWorkspace(ws))
    .where("key", "=", key)
    .executeTakeFirst();
  return row && { fingerprint: row.fingerprint, eventIds: JSON.parse(row.event_ids) as string[] };
}

export async function recordIdempotentResult(
  db: Kysely<Database>,
  ws: Workspace,
  key: string,
  eventIds: string[],
): Promise<void> {
  await db
    .updateTable("idempotency_keys")
    .set({ event_ids: JSON.stringify(eventIds) })
    .where(inWorkspace(ws))
    .where("key", "=", key)
    .execute();
}

/**
 * Takes the key for a request other than a publish, whose work runs in transactions of its own:
 * the row is written first (response null), and the answer is recorded once sent. Also takes over
 * an expired row, or one the same request left unanswered before `staleBefore` (its process died
 * before answering). Otherwise reports what holds the key.
 */
export async function claimRequestKey(
  db: Kysely<Database>,
  ws: Workspace,
  claim: IdempotencyClaim,
  now: number,
  staleBefore: number,
): Promise<RequestKeyClaim> {
  for (let tries = 0; tries < MAX_CLAIM_TRIES; tries++) {
    if (await claimIdempotencyKey(db, ws, claim, now, staleBefore)) return { kind: "claimed" };
    const row = await db
      .selectFrom("idempotency_keys")
      .select(["fingerprint", "response"])
      .where(inWorkspace(ws))
      .where("key", "=", claim.key)
      .executeTakeFirst();
    if (row === undefined) continue;
    if (row.fingerprint !== claim.fingerprint) return { kind: "conflict" };
    return row.response === null ? { kind: "in_progress" } : { kind: "replay", response: row.response };
  }
  throw new Error(`Idempotency key could not be claimed or read after ${MAX_CLAIM_TRIES} tries`);
}

/** Records the answer of the request that holds the key. */
export async function recordRequestResponse(db: Kysely<Database>, ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">, response: string): Promise<void> {
  await db
    .updateTable("idempotency_keys")
    .set({ response })
    .where(inWorkspace(ws))
    .where("key", "=", claim.key)
    .where("fingerprint", "=", claim.fingerprint)
    .where("response", "is", null)
    .execute();
}

/** Gives the key up, unanswered (the answer was one a retry should not see replayed). */
export async function releaseRequestKey(db: Kysely<Database>, ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">): Promise<void> {
  await db
    .deleteFrom("idempotency_keys")
    .where(inWorkspace(ws))
    .where("key", "=", claim.key)
    .where("fingerprint", "=", claim.fingerprint)
    .where("response", "is", null)
    .execute();
}
