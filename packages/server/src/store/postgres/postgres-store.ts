import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { DialectSupport } from "../shared/dialect-support.js";
import { KyselyStore } from "../shared/kysely-store.js";
import type { Database } from "../shared/schema.js";
import type { StoreLogger } from "../shared/store-logger.js";
import { parsePostgresUrl } from "./postgres-url.js";
import { listenForWakeups } from "./postgres-wakeups.js";

const INT8_OID = 20;

// Times are BIGINT epoch milliseconds and counts are BIGINT; pg returns both as strings by default
// because int8 can exceed 2^53. Ours never do (ms timestamps reach 2^53 in the year 287396), so
// parse them to numbers. Set per pool: pg's global parsers belong to whoever else shares the process.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * The channel on which publishes, resumes and recoveries announce due events to every worker (an
 * empty payload), and the API announces changed endpoints (`ENDPOINT_CHANGED` and the id).
 * Notifications are database-wide, so a schema-scoped store gets a channel of its own.
 */
export function wakeChannel(schema: string | undefined): string {
  return (schema ? `medblocks_events_due_${schema}` : "medblocks_events_due").slice(0, 63);
}

/** The payload's prefix for a changed endpoint; workers of earlier versions take it as a wake-up. */
const ENDPOINT_CHANGED = "endpoint_changed:";

export function postgresSupport(schema: string | undefined, connection: pg.ClientConfig = {}, logger?: StoreLogger): DialectSupport {
  const channel = wakeChannel(schema);
  return {
    name: "postgres",
    timeType: "bigint",
    supportsRowLocks: true,
    supportsLateralJoins: true,
    supportsDataModifyingCtes: true,
    hasOneWriter: false,
    async notifyDue(trx) {
      // Delivered when the transaction commits, and only then; identical payloads in one
      // transaction are folded into one notification by PostgreSQL.
      await sql`select pg_notify(${channel}, '')`.execute(trx);
    },
    async notifyEndpointChanged(db, endpointId) {
      await sql`select pg_notify(${channel}, ${ENDPOINT_CHANGED + endpointId})`.execute(db);
    },
    onAnnouncements: (listener) =>
      listenForWakeups(
        connection,
        channel,
        (payload) => {
          if (payload.startsWith(ENDPOINT_CHANGED)) listener.endpointChanged(payload.slice(ENDPOINT_CHANGED.length));
          // Anything else wakes the workers, as an empty payload does.
          else listener.due();
        },
        () => listener.due(),
        logger,
      ),
    async prepareMigrations(db) {
      if (schema !== undefined) {
        // `CREATE SCHEMA IF NOT EXISTS` can still fail with a unique violation when two sessions
        // race; a transaction-scoped advisory lock on the name makes the second one wait and no-op.
        await db.transaction().execute(async (trx) => {
          await sql`select pg_advisory_xact_lock(hashtext(${`medblocks.create_schema.${schema}`}))`.execute(trx);
          await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
        });
        return schema;
      }
      // Name the schema explicitly for Kysely's migrator: without one it treats a migration table
      // in any schema of the database as its own.
      const { rows } = await sql<{ name: string | null }>`select current_schema() as name`.execute(db);
      const current = rows[0]?.name;
      if (!current) {
        throw new Error(
          "PostgreSQL search_path names no existing schema: add ?schema=<name> to DATABASE_URL " +
            "or create the schema the search_path names",
        );
      }
      return current;
    },
  };
}

export function openPostgresStore(url: string, logger?: StoreLogger): KyselyStore {
  const target = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    types,
    ...(target.options === undefined ? {} : { options: target.options }),
    application_name: "medblocks-webhooks",
    // Fail a request instead of hanging when the server is unreachable or the pool is exhausted.
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its connection emits on the pool; unhandled, that would crash the
  // process. The pool drops the client and the next query reconnects.
  pool.on("error", (error) => logger?.warn({ err: error }, "idle PostgreSQL connection failed"));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const connection: pg.ClientConfig = {
    connectionString: target.connectionString,
    ...(target.options === undefined ? {} : { options: target.options }),
    connectionTimeoutMillis: 10_000,
  };
  return new KyselyStore({ db, support: postgresSupport(target.schema, connection, logger), dataDirectory: null, logger });
}
