import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Retention: delivered and exhausted event records older than the cutoff go, with their attempts,
 * in small batches so no statement holds locks for long and autovacuum keeps up; expired
 * idempotency keys go too.
 */
export async function purgeBatch(db: Kysely<Database>, cutoff: number, batchSize: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const finished = (column: "delivered_at" | "exhausted_at") =>
      trx.selectFrom("events").select("id").where(column, "<", cutoff).orderBy(column).limit(batchSize);
    const ids = [
      ...new Set([...(await finished("delivered_at").execute()), ...(await finished("exhausted_at").execute())].map((r) => r.id)),
    ].slice(0, batchSize);
    if (ids.length === 0) return 0;
    await trx.deleteFrom("event_attempts").where("event_id", "in", ids).execute();
    await trx.deleteFrom("events").where("id", "in", ids).execute();
    return ids.length;
  });
}

export async function purgeIdempotencyKeys(db: Kysely<Database>, now: number, batchSize: number): Promise<number> {
  const expired = db.selectFrom("idempotency_keys").select("key").where("expires_at", "<", now).limit(batchSize);
  // The key alone is not unique across workspaces; match whole rows through their expiry too.
  const result = await db
    .deleteFrom("idempotency_keys")
    .where("expires_at", "<", now)
    .where("key", "in", expired)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
