import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { testId } from "../../../test/support/store-fixtures.js";

describeEachDatabase("store organizations", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test("ensureOrganization inserts once and then returns the existing row", async () => {
    const id = testId("org");
    const created = await db.store.ensureOrganization("acme", id, 1_000);
    expect(created).toEqual({ id, name: "acme", createdAt: 1_000 });

    const again = await db.store.ensureOrganization("acme", testId("org"), 2_000);
    expect(again).toEqual(created);
    expect(await db.store.findOrganizationByName("acme")).toEqual(created);
  });

  test("findOrganizationByName is exact", async () => {
    await db.store.ensureOrganization("Exact Name", testId("org"), 1);
    expect(await db.store.findOrganizationByName("exact name")).toBeUndefined();
    expect(await db.store.findOrganizationByName("Exact")).toBeUndefined();
    expect((await db.store.findOrganizationByName("Exact Name"))?.name).toBe("Exact Name");
  });

  test("concurrent ensures of one name agree on a single organization", async () => {
    const ids = Array.from({ length: 8 }, () => testId("org"));
    const results = await Promise.all(ids.map((id) => db.store.ensureOrganization("racy", id, 5)));
    const winner = results[0]!;
    expect(ids).toContain(winner.id);
    for (const result of results) expect(result).toEqual(winner);
  });
});
