import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../test/support/databases.js";
import { addEndpoint, newWorkspace, publishCreated, rawDb } from "../../test/support/store-fixtures.js";
import { createStore } from "./create-store.js";
import { postgresSupport } from "./postgres/postgres-store.js";
import { parsePostgresUrl } from "./postgres/postgres-url.js";
import { migrationsFor, runMigrations } from "./shared/migrations.js";
import { sqliteSupport } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/** Every migration, in order: a fresh database ends with all of them applied, each once. */
const MIGRATIONS = Object.keys(migrationsFor({ timeType: "integer" }));

describe("createStore URL handling", () => {
  let directory: string;
  const opened: Store[] = [];
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "medblocks-store-url-"));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test.each([
    ["mysql://root@localhost/db", /Unsupported DATABASE_URL scheme "mysql:"/],
    ["file:./data.db", /Unsupported DATABASE_URL scheme "file:"/],
    ["./data/medblocks.db", /DATABASE_URL has no scheme/],
    ["", /DATABASE_URL has no scheme/],
    ["sqlite:", /names no file/],
  ])("rejects %j naming the accepted forms", async (url, message) => {
    const attempt = createStore(url);
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toThrow(/sqlite:<path>.*sqlite::memory:.*postgres:\/\//);
  });

  test("never echoes a password from a rejected URL", async () => {
    await expect(createStore("mysql://root:hunter2@db/x")).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });

  test("sqlite:<relative path> resolves against the working directory and creates parent directories", async () => {
    const file = join(directory, "nested", "deeper", "medblocks.db");
    const store = await createStore(`sqlite:${relative(process.cwd(), file)}`);
    opened.push(store);
    await store.migrate();
    expect(existsSync(file)).toBe(true);
    expect(store.dialect).toBe("sqlite");
    expect(store.dataDirectory).toBe(join(directory, "nested", "deeper"));
  });

  test("sqlite:///absolute is accepted too", async () => {
    const file = join(directory, "triple", "x.db");
    const store = await createStore(`sqlite://${file}`);
    opened.push(store);
    await store.migrate();
    expect(existsSync(file)).toBe(true);
  });

  test("sqlite::memory: is a private database with no data directory", async () => {
    const a = await createStore("sqlite::memory:");
    const b = await createStore("sqlite::memory:");
    opened.push(a, b);
    await a.migrate();
    await b.migrate();
    await a.ensureOrganization("only-in-a", "org_a", 1);
    expect(a.dataDirectory).toBeNull();
    expect(await a.findOrganizationByName("only-in-a")).toEqual({ id: "org_a", name: "only-in-a", createdAt: 1 });
    expect(await b.findOrganizationByName("only-in-a")).toBeUndefined();
  });

  test("opens SQLite with WAL, foreign keys and a busy timeout", async () => {
    const store = await createStore(`sqlite:${join(directory, "pragmas.db")}`);
    opened.push(store);
    const db = rawDb(store);
    const pragma = async (name: string) =>
      Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)).rows[0] ?? {})[0];
    expect(await pragma("journal_mode")).toBe("wal");
    expect(await pragma("foreign_keys")).toBe(1);
    expect(await pragma("busy_timeout")).toBe(5000);
    expect(await pragma("synchronous")).toBe(1); // NORMAL
  });

  test("postgres URLs: ?schema= is stripped for pg and becomes the search_path", () => {
    expect(parsePostgresUrl("postgres://u:p@h:5432/db")).toEqual({ connectionString: "postgres://u:p@h:5432/db" });
    expect(parsePostgresUrl("postgresql://u@h/db?sslmode=require&schema=tenant_1")).toEqual({
      connectionString: "postgresql://u@h/db?sslmode=require",
      schema: "tenant_1",
      options: "-c search_path=tenant_1",
    });
    expect(parsePostgresUrl("postgres://u@h/db?options=-c%20statement_timeout%3D5000&schema=s").options).toBe(
      "-c statement_timeout=5000 -c search_path=s",
    );
  });

  test.each(["Tenant", "1abc", "a-b", "a;drop", "x".repeat(64), ""])("rejects schema name %j", async (schema) => {
    await expect(createStore(`postgres://postgres@127.0.0.1/test?schema=${encodeURIComponent(schema)}`)).rejects.toThrow(
      /Invalid schema/,
    );
  });
});

describeEachDatabase("store migrations", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const migrationNames = async (store: Store) =>
    (await rawDb(store).selectFrom("kysely_migration" as never).select("name" as never).execute()).map(
      (r) => (r as { name: string }).name,
    );

  test("migrating again is a no-op and keeps the data", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    await db.store.migrate();
    await db.store.migrate();
    expect(await migrationNames(db.store)).toEqual(MIGRATIONS);
    expect(await db.store.findEndpoint(ws, endpoint.id)).toEqual(endpoint);
  });

  test("a database of the first schema version upgrades in place (queue index built beforehand), and its queued events are still claimed", async () => {
    const empty = await emptyDatabaseBeside(db);
    try {
      const support = kind === "sqlite" ? sqliteSupport : postgresSupport(new URL(empty.url).searchParams.get("schema")!);
      await runMigrations(rawDb(empty.store), support, undefined, "0001_initial");
      expect(await migrationNames(empty.store)).toEqual(["0001_initial"]);
      const ws = await newWorkspace(empty.store);
      const endpoint = await addEndpoint(empty.store, ws);
      const [event] = await publishCreated(empty.store, ws, "records.sync.completed", { now: 1_000 });
      // The queue index built ahead of the upgrade, as the README tells operators of large tables.
      const concurrently = kind === "postgres" ? sql`concurrently` : sql``;
      await sql`create index ${concurrently} if not exists events_queue_idx on events (endpoint_id, next_attempt_at) where next_attempt_at is not null`.execute(
        rawDb(empty.store),
      );
      await empty.store.migrate();
      expect(await migrationNames(empty.store)).toEqual(MIGRATIONS);
      const claims = await empty.store.claimDue({ owner: "w", limit: 10, leaseMs: 1_000, now: 2_000, excludeEndpointIds: [] });
      expect(claims.map((c) => [c.event.id, c.endpoint.id])).toEqual([[event!.id, endpoint.id]]);
    } finally {
      await empty.dispose();
    }
  });

  test("a second process reaches the same data through TestDatabase.url", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const other = await createStore(db.url);
    try {
      await other.migrate();
      expect(await other.findEndpoint(ws, endpoint.id)).toEqual(endpoint);
    } finally {
      await other.close();
    }
  });

  test("several stores migrating one fresh database at once all succeed, once", async () => {
    const fresh = await createTestDatabase(kind);
    const stores = await Promise.all([1, 2, 3].map(() => createStore(fresh.url)));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      expect(await migrationNames(fresh.store)).toEqual(MIGRATIONS);
      const ws = await newWorkspace(stores[0]!);
      await addEndpoint(stores[1]!, ws);
      expect(await stores[2]!.countEndpoints(ws)).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await fresh.dispose();
    }
  });

  test("several processes starting at once on one empty database migrate it once", async () => {
    const empty = await emptyDatabaseBeside(db);
    try {
      // Start-up takes a few hundred milliseconds; a common start time makes the migrations overlap.
      const startAt = Date.now() + 2_000;
      const runs = await Promise.all([1, 2, 3, 4].map(() => runMigrateProcess(empty.url, startAt)));
      for (const run of runs) expect(run).toEqual({ code: 0, stdout: "migrated\n", stderr: "" });
      expect(await migrationNames(empty.store)).toEqual(MIGRATIONS);
      const ws = await newWorkspace(empty.store);
      await addEndpoint(empty.store, ws);
      expect(await empty.store.countEndpoints(ws)).toBe(1);
    } finally {
      await empty.dispose();
    }
  });

  if (kind === "postgres") {
    test("two stores migrating a schema that does not exist yet create it once", async () => {
      const empty = await emptyDatabaseBeside(db);
      const other = await createStore(empty.url);
      try {
        await Promise.all([empty.store.migrate(), other.migrate()]);
        expect(await migrationNames(empty.store)).toEqual(MIGRATIONS);
        const ws = await newWorkspace(empty.store);
        await addEndpoint(other, ws);
        expect(await empty.store.countEndpoints(ws)).toBe(1);
        // Another schema of the same database is another store: it sees none of this.
        expect(await db.store.countEndpoints(ws)).toBe(0);
      } finally {
        await other.close();
        await empty.dispose();
      }
    });

    test("BIGINT times and counts come back as numbers without touching pg's global parsers", async () => {
      const ws = await newWorkspace(db.store);
      const endpoint = await addEndpoint(db.store, ws, { now: 1_750_000_000_123 });
      expect(endpoint.createdAt).toBe(1_750_000_000_123);
      expect(await db.store.countEndpoints(ws)).toBe(1);
      const pg = (await import("pg")).default;
      expect(pg.types.getTypeParser(20, "text")("42")).toBe("42");
    });
  }
});

const MIGRATE_PROCESS = fileURLToPath(new URL("../../test/support/migrate-process.ts", import.meta.url));

function runMigrateProcess(url: string, startAt: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ["--import", "tsx", MIGRATE_PROCESS, url, String(startAt)], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * A database nobody has migrated yet, of the same kind as `beside`: a new file in a new directory,
 * or a new schema. Its store is opened but not migrated.
 */
async function emptyDatabaseBeside(beside: TestDatabase): Promise<TestDatabase> {
  if (beside.kind === "sqlite") {
    const directory = await mkdtemp(join(tmpdir(), "medblocks-empty-"));
    const url = `sqlite:${join(directory, "medblocks.db")}`;
    const store = await createStore(url);
    const dispose = async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    };
    return { kind: "sqlite", url, store, dispose };
  }
  const schema = `t_empty_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const target = new URL(beside.url);
  target.searchParams.set("schema", schema);
  const url = target.toString();
  const store = await createStore(url);
  const dispose = async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(rawDb(beside.store));
    await store.close();
  };
  return { kind: "postgres", url, store, dispose };
}
