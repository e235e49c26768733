import { mkdirSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely } from "kysely";
import type { DialectSupport } from "../shared/dialect-support.js";
import { KyselyStore } from "../shared/kysely-store.js";
import type { Database } from "../shared/schema.js";
import type { StoreLogger } from "../shared/store-logger.js";
import { acquireConnection, releaseConnection } from "./sqlite-connections.js";
import { WriterSqliteDialect } from "./sqlite-dialect.js";

export const SQLITE_MEMORY = ":memory:";

// How long a writer waits for another process's write transaction before failing with SQLITE_BUSY.
const BUSY_TIMEOUT_MS = 5_000;

export const sqliteSupport: DialectSupport = {
  name: "sqlite",
  timeType: "integer",
  supportsRowLocks: false,
  supportsLateralJoins: false,
  supportsDataModifyingCtes: false,
  hasOneWriter: true,
  // One database, one namespace: nothing to create, and Kysely's tables sit beside ours.
  prepareMigrations: async () => undefined,
  notifyDue: async () => {},
  notifyEndpointChanged: async () => {},
  // Processes sharing one SQLite file are not told; the dispatcher's poll finds their events.
  onAnnouncements: async () => async () => {},
};

/** Opens (creating if needed) the database file at `location`, relative to the working directory. */
export function openSqliteStore(location: string, logger?: StoreLogger): KyselyStore {
  if (location === SQLITE_MEMORY) {
    // Every in-memory database is private to its connection: nothing to share or to keep on disk.
    const db = connect(SQLITE_MEMORY, logger);
    return new KyselyStore({ db, support: sqliteSupport, dataDirectory: null, logger });
  }
  const path = canonicalPath(location);
  const db = acquireConnection(path, () => connect(path, logger));
  return new KyselyStore({
    db,
    support: sqliteSupport,
    dataDirectory: dirname(path),
    logger,
    release: () => releaseConnection(path),
  });
}

// The same file reached through a relative path, `..` or a symlinked directory must map to one
// shared connection, so the directory is created and then resolved to its real path.
function canonicalPath(location: string): string {
  const absolute = resolve(location);
  mkdirSync(dirname(absolute), { recursive: true });
  return join(realpathSync(dirname(absolute)), basename(absolute));
}

function connect(path: string, logger: StoreLogger | undefined): Kysely<Database> {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open SQLite database at ${path}: ${reason}`, { cause: error });
  }

  // WAL lets readers (the API) run while a writer (a delivery) commits; NORMAL sync is durable
  // across process crashes in WAL mode and only risks the last commits on power loss.
  const journalMode = String(database.pragma("journal_mode = WAL", { simple: true }));
  if (path !== SQLITE_MEMORY && journalMode.toLowerCase() !== "wal") {
    logger?.warn({ path, journalMode }, "SQLite could not enable WAL; concurrent readers will block on writes");
  }
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma("synchronous = NORMAL");
  // Off by default in SQLite; the schema's cascades and references rely on it.
  database.pragma("foreign_keys = ON");

  return new Kysely<Database>({ dialect: new WriterSqliteDialect({ database: withStatementCache(database) }) });
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query it runs, and for the service's hot queries (publish, claim, record an
 * attempt) preparing costs about as much as running them. This keeps the most recently used
 * statements prepared. Reuse is safe: the driver runs one query at a time on the connection, and
 * SQLite re-prepares a statement by itself when the schema changes.
 */
function withStatementCache(database: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      } else cache.delete(sql);
      cache.set(sql, statement);
      return statement;
    },
  };
}
