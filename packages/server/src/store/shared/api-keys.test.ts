import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { newWorkspace, testId } from "../../../test/support/store-fixtures.js";
import type { ApiKeyRow, Mode } from "../store.js";

describeEachDatabase("store API keys", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  let serial = 0;
  const keyRow = (organizationId: string, mode: Mode = "sandbox", createdAt = 1_000): ApiKeyRow => {
    serial += 1;
    return {
      id: testId("key"),
      organizationId,
      mode,
      keyHash: `${kind}-hash-${serial}-${Math.random()}`,
      hint: `mb_sk_sbx_…${String(serial).padStart(4, "0")}`,
      createdAt,
      revokedAt: null,
    };
  };

  test("countApiKeys counts every key, revoked ones included", async () => {
    // Runs first in this file: the fresh database has no keys, which is what first-start bootstrap checks.
    expect(await db.store.countApiKeys()).toBe(0);
    const { organizationId } = await newWorkspace(db.store);
    const a = keyRow(organizationId);
    await db.store.insertApiKey(a);
    await db.store.insertApiKey(keyRow(organizationId, "live"));
    expect(await db.store.countApiKeys()).toBe(2);
    await db.store.revokeApiKey(a.id, 2_000);
    expect(await db.store.countApiKeys()).toBe(2);
  });

  test("a key is found by its hash with every field intact", async () => {
    const { organizationId } = await newWorkspace(db.store);
    const key = keyRow(organizationId, "live", 1_750_000_000_001);
    await db.store.insertApiKey(key);
    expect(await db.store.findApiKeyByHash(key.keyHash)).toEqual(key);
    expect(await db.store.findApiKeyByHash(`${key.keyHash}x`)).toBeUndefined();
  });

  test("a revoked key is no longer found, and revoking twice reports false", async () => {
    const { organizationId } = await newWorkspace(db.store);
    const key = keyRow(organizationId);
    await db.store.insertApiKey(key);
    expect(await db.store.revokeApiKey(key.id, 9_000)).toBe(true);
    expect(await db.store.findApiKeyByHash(key.keyHash)).toBeUndefined();
    expect(await db.store.revokeApiKey(key.id, 9_500)).toBe(false);
    expect(await db.store.revokeApiKey("key_missing", 9_500)).toBe(false);
    const listed = await db.store.listApiKeys(organizationId);
    expect(listed).toEqual([{ ...key, revokedAt: 9_000 }]);
  });

  test("listApiKeys filters by organization, oldest first", async () => {
    const one = await newWorkspace(db.store);
    const two = await newWorkspace(db.store);
    const later = keyRow(one.organizationId, "sandbox", 3_000);
    const earlier = keyRow(one.organizationId, "live", 2_000);
    const foreign = keyRow(two.organizationId, "sandbox", 1_000);
    for (const key of [later, earlier, foreign]) await db.store.insertApiKey(key);

    expect(await db.store.listApiKeys(one.organizationId)).toEqual([earlier, later]);
    expect(await db.store.listApiKeys(two.organizationId)).toEqual([foreign]);
    const all = await db.store.listApiKeys();
    expect(all.map((k) => k.id)).toEqual(expect.arrayContaining([earlier.id, later.id, foreign.id]));
    expect(all.map((k) => k.createdAt)).toEqual([...all.map((k) => k.createdAt)].sort((a, b) => a - b));
  });

  test("key hashes are unique and keys need an existing organization", async () => {
    const { organizationId } = await newWorkspace(db.store);
    const key = keyRow(organizationId);
    await db.store.insertApiKey(key);
    await expect(db.store.insertApiKey({ ...key, id: testId("key") })).rejects.toThrow();
    await expect(db.store.insertApiKey(keyRow("org_does_not_exist"))).rejects.toThrow();
  });
});
