import { ConfigError } from "./config.js";
import { apiKeyHint, apiKeyMode, generateApiKey, hashApiKey } from "./domain/api-keys.js";
import { newId } from "./domain/ids.js";
import type { Mode, Store } from "./store/store.js";

export const DEFAULT_ORGANIZATION = "default";

export interface MintedKey {
  key: string;
  id: string;
  organizationId: string;
  organizationName: string;
  mode: Mode;
}

/** Mints a key in the named organization, creating the organization if it is new. */
export async function mintApiKey(store: Store, organizationName: string, mode: Mode, key = generateApiKey(mode)): Promise<MintedKey> {
  const now = Date.now();
  const organization = await store.ensureOrganization(organizationName, newId("org", now), now);
  const id = newId("key", now);
  await store.insertApiKey({
    id,
    organizationId: organization.id,
    mode,
    keyHash: hashApiKey(key),
    hint: apiKeyHint(key),
    createdAt: now,
    revokedAt: null,
  });
  return { key, id, organizationId: organization.id, organizationName: organization.name, mode };
}

/**
 * SPEC §8: ensure `MEDBLOCKS_BOOTSTRAP_API_KEY` exists in organization `default`; otherwise, on a
 * database without any key, mint a sandbox key and return it so the caller prints it once.
 */
export async function bootstrapApiKey(store: Store, bootstrapKey: string | undefined): Promise<MintedKey | null> {
  if (bootstrapKey !== undefined) {
    const mode = apiKeyMode(bootstrapKey);
    if (!mode) {
      throw new ConfigError("MEDBLOCKS_BOOTSTRAP_API_KEY must look like mb_sk_sbx_… or mb_sk_live_… followed by 16 to 128 of [A-Za-z0-9_-]");
    }
    const existing = await store.findApiKeyByHash(hashApiKey(bootstrapKey), true);
    // A revoked key stays revoked: bringing it back because it is still in the environment would
    // undo the revocation on every restart.
    if (existing?.revokedAt != null) {
      throw new ConfigError(
        `MEDBLOCKS_BOOTSTRAP_API_KEY names a key that was revoked (${existing.hint}); remove it from the environment, or set a new key`,
      );
    }
    if (!existing) await mintApiKey(store, DEFAULT_ORGANIZATION, mode, bootstrapKey);
    return null;
  }
  if ((await store.countApiKeys()) > 0) return null;
  return mintApiKey(store, DEFAULT_ORGANIZATION, "sandbox");
}
