import type { Kysely } from "kysely";
import type { IdempotencyClaim, RequestKeyClaim, Workspace } from "../store.js";
import type { Database } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

/** What the first request under a key recorded. */
export interface IdempotencyRecord {
  fingerprint: string;
  eventIds: string[];
}

/**
 * Takes the key for this transaction: inserts its row, or takes over a row that has expired.
 * Returns false when a live row already holds the key.
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
): Promise<boolean> {
  const row = await db
    .insertInto("idempotency_keys")
    .values({
      organization_id: ws.organizationId,
      mode: ws.mode,
      key: claim.key,
      fingerprint: claim.fingerprint,
      // Filled in by `recordIdempotentResult` before the transaction commits.
      event_ids: "[]",
      created_at: now,
      expires_at: claim.expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(["organization_id", "mode", "key"])
        .doUpdateSet((eb) => ({
          fingerprint: eb.ref("excluded.fingerprint"),
          event_ids: eb.ref("excluded.event_ids"),
          created_at: eb.ref("excluded.created_at"),
          expires_at: eb.ref("excluded.expires_at"),
        }))
        .where("idempotency_keys.expires_at", "<=", now),
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
  for (let tries = 0; tries < 3; tries++) {
    const taken = await db
      .insertInto("idempotency_keys")
      .values({
        organization_id: ws.organizationId,
        mode: ws.mode,
        key: claim.key,
        fingerprint: claim.fingerprint,
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
              eb.and([
                eb("idempotency_keys.response", "is", null),
                eb("idempotency_keys.fingerprint", "=", claim.fingerprint),
                eb("idempotency_keys.created_at", "<", staleBefore),
              ]),
            ]),
          ),
      )
      .returning("key")
      .executeTakeFirst();
    if (taken) return { kind: "claimed" };
    const row = await db
      .selectFrom("idempotency_keys")
      .select(["fingerprint", "response"])
      .where(inWorkspace(ws))
      .where("key", "=", claim.key)
      .executeTakeFirst();
    // Gone between the two statements (purged as expired): take it again.
    if (row === undefined) continue;
    if (row.fingerprint !== claim.fingerprint) return { kind: "conflict" };
    return row.response === null ? { kind: "in_progress" } : { kind: "replay", response: row.response };
  }
  throw new Error("Idempotency key could not be claimed or read after 3 tries");
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
