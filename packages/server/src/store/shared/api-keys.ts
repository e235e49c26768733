import type { Kysely, Selectable } from "kysely";
import type { ApiKeyRow } from "../store.js";
import type { ApiKeysTable, Database } from "./schema.js";

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRow {
  return {
    id: row.id,
    organizationId: row.organization_id,
    mode: row.mode,
    keyHash: row.key_hash,
    hint: row.hint,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export async function insertApiKey(db: Kysely<Database>, key: ApiKeyRow): Promise<void> {
  await db
    .insertInto("api_keys")
    .values({
      id: key.id,
      organization_id: key.organizationId,
      mode: key.mode,
      key_hash: key.keyHash,
      hint: key.hint,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
    })
    .execute();
}

/**
 * The key with that hash, unless revoked (authentication reads this on every request), or revoked
 * too when `includeRevoked` is set.
 */
export async function findApiKeyByHash(db: Kysely<Database>, keyHash: string, includeRevoked = false): Promise<ApiKeyRow | undefined> {
  const row = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("key_hash", "=", keyHash)
    .$if(!includeRevoked, (qb) => qb.where("revoked_at", "is", null))
    .executeTakeFirst();
  return row && toApiKey(row);
}

/** Keys oldest first, revoked ones included (a listing shows them as revoked). */
export async function listApiKeys(db: Kysely<Database>, organizationId?: string): Promise<ApiKeyRow[]> {
  const rows = await db
    .selectFrom("api_keys")
    .selectAll()
    .$if(organizationId !== undefined, (qb) => qb.where("organization_id", "=", organizationId as string))
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toApiKey);
}

export async function revokeApiKey(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Every key, revoked ones too: a database that ever had a key is not a first start. */
export async function countApiKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("api_keys")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
