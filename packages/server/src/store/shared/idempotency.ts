import type { Kysely } from "kysely";
import type { Workspace } from "../store.js";
import type { Database } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
  expiresAt: number;
}

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
