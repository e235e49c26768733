import type { Kysely } from "kysely";
import type { StoreAnnouncements } from "../store.js";
import type { Database } from "./schema.js";

/**
 * What the shared queries need to know about the database underneath, in the spirit of Kysely's
 * dialect adapters: a few facts and hooks, so `shared/` never branches on a dialect name.
 */
export interface DialectSupport {
  readonly name: "sqlite" | "postgres";
  /** Column type for epoch-millisecond times: INTEGER in SQLite, BIGINT in PostgreSQL. */
  readonly timeType: "integer" | "bigint";
  /**
   * Whether `SELECT … FOR UPDATE / FOR KEY SHARE` exists. SQLite has no row locks; it serializes
   * writers instead (every write transaction there starts with `BEGIN IMMEDIATE`).
   */
  readonly supportsRowLocks: boolean;
  /**
   * Whether `JOIN LATERAL` exists (PostgreSQL). Where it does not (SQLite), a per-row subquery is
   * written as a correlated `IN (SELECT … LIMIT n)` instead.
   */
  readonly supportsLateralJoins: boolean;
  /**
   * Whether a `WITH` may hold an `UPDATE … RETURNING` that the main statement reads (PostgreSQL),
   * so one statement can change rows and log what it changed.
   */
  readonly supportsDataModifyingCtes: boolean;
  /**
   * Whether the database takes one writer at a time (SQLite): small write transactions that arrive
   * together then share a commit instead of queueing for the lock one by one.
   */
  readonly hasOneWriter: boolean;
  /**
   * Runs before the migrator: creates what the migrations need (a PostgreSQL schema) and returns the
   * schema Kysely's migration tables live in, or undefined for the database's only namespace.
   */
  prepareMigrations(db: Kysely<Database>): Promise<string | undefined>;
  /**
   * Tells other processes, on commit, that events became due (PostgreSQL NOTIFY). A no-op where
   * processes cannot be told (SQLite): their poll picks the events up.
   */
  notifyDue(trx: Kysely<Database>): Promise<void>;
  /** Tells other processes that an endpoint changed (see `StoreAnnouncements`); a no-op on SQLite. */
  notifyEndpointChanged(db: Kysely<Database>, endpointId: string): Promise<void>;
  /** Calls `listener` for what other processes announce; resolves with an unsubscribe. */
  onAnnouncements(listener: StoreAnnouncements): Promise<() => Promise<void>>;
}
