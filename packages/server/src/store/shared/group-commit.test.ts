import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { newWorkspace, rawDb } from "../../../test/support/store-fixtures.js";
import { inGroupCommit } from "./group-commit.js";

/** SQLite's group commit: transactions arriving together share one commit, each keeps its own outcome. */
describe("group commit [sqlite]", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("sqlite");
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const organizationNamed = async (name: string) =>
    rawDb(db.store).selectFrom("organizations").select("name").where("name", "=", name).executeTakeFirst();
  const insertOrganization = (name: string) => (trx: ReturnType<typeof rawDb>) =>
    trx.insertInto("organizations").values({ id: `org_${name}`, name, created_at: 1 }).execute().then(() => name);

  test("units arriving together each get their own answer; one that throws leaves no trace and harms no other", async () => {
    const results = await Promise.allSettled([
      inGroupCommit(rawDb(db.store), insertOrganization("gc-a")),
      inGroupCommit(rawDb(db.store), async (trx) => {
        await insertOrganization("gc-broken")(trx);
        throw new Error("this unit fails after writing");
      }),
      inGroupCommit(rawDb(db.store), insertOrganization("gc-b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(results[0]).toMatchObject({ value: "gc-a" });
    expect(results[1]).toMatchObject({ reason: new Error("this unit fails after writing") });
    expect(await organizationNamed("gc-a")).toBeDefined();
    expect(await organizationNamed("gc-b")).toBeDefined();
    expect(await organizationNamed("gc-broken")).toBeUndefined();
  });

  test("a commit that fails fails every unit of its group, and none of them is written", async () => {
    const ws = await newWorkspace(db.store);
    const results = await Promise.allSettled([
      inGroupCommit(rawDb(db.store), insertOrganization("gc-c")),
      // A foreign key checked at commit: the group's commit fails, not this unit's statement.
      inGroupCommit(rawDb(db.store), async (trx) => {
        await sql`pragma defer_foreign_keys = on`.execute(trx);
        await trx
          .insertInto("api_keys")
          .values({ id: "key_orphan", organization_id: "org_missing", mode: ws.mode, key_hash: "h-orphan", hint: "x", created_at: 1, revoked_at: null })
          .execute();
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(await organizationNamed("gc-c")).toBeUndefined();
    // The next group commits normally.
    await inGroupCommit(rawDb(db.store), insertOrganization("gc-d"));
    expect(await organizationNamed("gc-d")).toBeDefined();
  });
});
