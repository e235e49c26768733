/**
 * Real databases for tests: a SQLite file in a fresh temporary directory, or a fresh schema in the
 * PostgreSQL on 127.0.0.1:5432. Each `TestDatabase.url` is a DATABASE_URL a subprocess can use to
 * reach the same data, and `store` is already migrated.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, test } from "vitest";
import { createStore } from "../../src/store/create-store.js";
import type { Store } from "../../src/store/store.js";

export type DatabaseKind = "sqlite" | "postgres";

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  store: Store;
  dispose(): Promise<void>;
}

export const DATABASE_KINDS: DatabaseKind[] = ["sqlite", "postgres"];

const POSTGRES_BASE_URL = process.env.TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";
const PROBE_TIMEOUT_MS = 1_500;

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return kind === "sqlite" ? createSqliteDatabase() : createPostgresDatabase();
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  const directory = await mkdtemp(join(tmpdir(), "medblocks-test-"));
  const url = `sqlite:${join(directory, "medblocks.db")}`;
  const store = await createStore(url);
  const dispose = async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await store.migrate();
  } catch (error) {
    await dispose();
    throw error;
  }
  return { kind: "sqlite", url, store, dispose };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const unreachable = await postgresUnavailableReason();
  if (unreachable !== undefined) throw new Error(unreachable);
  const schema = `t_${randomBytes(8).toString("hex")}`;
  const target = new URL(POSTGRES_BASE_URL);
  target.searchParams.set("schema", schema);
  const url = target.toString();
  const store = await createStore(url);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await store.close();
    await withAdminClient((client) => client.query(`drop schema if exists ${schema} cascade`));
  };
  try {
    await store.migrate();
  } catch (error) {
    await dispose();
    throw error;
  }
  return { kind: "postgres", url, store, dispose };
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let probe: Promise<string | undefined> | undefined;

/** Why PostgreSQL cannot be used, or undefined when it answers. Probed once per test file. */
export function postgresUnavailableReason(): Promise<string | undefined> {
  probe ??= withAdminClient((client) => client.query("select 1")).then(
    () => undefined,
    (error: unknown) => {
      const target = new URL(POSTGRES_BASE_URL);
      const where = `${target.hostname}:${target.port || "5432"}`;
      const cause = error instanceof Error ? error.message : String(error);
      const required = process.env.REQUIRE_POSTGRES === "1";
      return required
        ? `PostgreSQL is required (REQUIRE_POSTGRES=1) but ${where} is unreachable: ${cause}`
        : `PostgreSQL at ${where} is unreachable (${cause}); set REQUIRE_POSTGRES=1 to fail instead of skipping`;
    },
  );
  return probe;
}

/**
 * `describe(\`${title} [${kind}]\`)` once per database. When PostgreSQL is unreachable its suite is
 * skipped, or fails with the reason when REQUIRE_POSTGRES=1 (CI must not pass by skipping).
 */
export function describeEachDatabase(title: string, fn: (kind: DatabaseKind) => void): void {
  describe(`${title} [sqlite]`, () => fn("sqlite"));
  describePostgres(title, () => fn("postgres"));
}

/**
 * A suite that needs PostgreSQL: skipped with the reason when it is unreachable, or failing when
 * `REQUIRE_POSTGRES=1` says it must be there.
 */
export function describePostgres(title: string, fn: () => void): void {
  // Vitest awaits an async suite factory while collecting, so the probe decides what is registered.
  describe(`${title} [postgres]`, async () => {
    const unavailable = await postgresUnavailableReason();
    if (unavailable === undefined) {
      fn();
    } else if (process.env.REQUIRE_POSTGRES === "1") {
      test("PostgreSQL is reachable", () => {
        throw new Error(unavailable);
      });
    } else {
      describe.skip(unavailable, fn);
    }
  });
}
