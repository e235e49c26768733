import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import type { DialectSupport } from "./dialect-support.js";
import type { Database } from "./schema.js";
import type { StoreLogger } from "./store-logger.js";

/** Everything the migrations need to know about the dialect: only the time column type differs. */
type MigrationDialect = Pick<DialectSupport, "timeType">;

// Migrations are written against `Kysely<any>` on purpose: they describe the schema as it was at
// that step, not the current `Database` type.
type AnyDb = Kysely<any>;

const MODES = sql`('sandbox', 'live')`;

function initialSchema({ timeType: time }: MigrationDialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("organizations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", time, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) =>
          c.notNull().references("organizations.id").onDelete("cascade"),
        )
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("hint", "text", (c) => c.notNull())
        .addColumn("created_at", time, (c) => c.notNull())
        .addColumn("revoked_at", time)
        .addCheckConstraint("api_keys_mode_check", sql`mode in ${MODES}`)
        .execute();
      await db.schema.createIndex("api_keys_organization_idx").on("api_keys").column("organization_id").execute();

      await db.schema
        .createTable("webhook_endpoints")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) =>
          c.notNull().references("organizations.id").onDelete("cascade"),
        )
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("http"))
        .addColumn("device", "text")
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("events", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("disabled_reason", "text")
        .addColumn("description", "text")
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("api_version", "text", (c) => c.notNull())
        .addColumn("secret_ciphertext", "text", (c) => c.notNull())
        .addColumn("previous_secret_ciphertext", "text")
        .addColumn("previous_secret_expires_at", time)
        .addColumn("created_at", time, (c) => c.notNull())
        .addColumn("updated_at", time, (c) => c.notNull())
        .addCheckConstraint("webhook_endpoints_mode_check", sql`mode in ${MODES}`)
        .addCheckConstraint("webhook_endpoints_status_check", sql`status in ('active', 'disabled')`)
        .addCheckConstraint("webhook_endpoints_kind_check", sql`kind in ('http', 'cli')`)
        .addCheckConstraint(
          "webhook_endpoints_disabled_reason_check",
          sql`disabled_reason is null or disabled_reason in ('manual', 'exhausted', 'gone')`,
        )
        .execute();
      // Workspace listings, newest first (a B-tree serves both directions).
      await db.schema
        .createIndex("webhook_endpoints_workspace_idx")
        .on("webhook_endpoints")
        .columns(["organization_id", "mode", "id"])
        .execute();

      // One `medblocks listen` endpoint per workspace and machine.
      await db.schema
        .createIndex("webhook_endpoints_device_idx")
        .on("webhook_endpoints")
        .columns(["organization_id", "mode", "device"])
        .unique()
        .where(sql.ref("kind"), "=", "cli")
        .execute();

      await db.schema
        .createTable("events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("endpoint_id", "text", (c) =>
          c.notNull().references("webhook_endpoints.id").onDelete("cascade"),
        )
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("api_version", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("scheduled_attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", time)
        .addColumn("parked_at", time)
        .addColumn("delivered_at", time)
        .addColumn("exhausted_at", time)
        .addColumn("last_status_code", "integer")
        .addColumn("last_response_body", "text")
        .addColumn("last_redelivered_at", time)
        .addColumn("created_at", time, (c) => c.notNull())
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", time)
        .addCheckConstraint("events_mode_check", sql`mode in ${MODES}`)
        .execute();
      // An endpoint's events newest first (keyset on the ULID id); also serves the cascade from
      // webhook_endpoints, which PostgreSQL does not index by itself.
      await db.schema.createIndex("events_endpoint_idx").on("events").columns(["endpoint_id", "id"]).execute();
      // The queue: only rows with a scheduled attempt are indexed, so delivered, exhausted and
      // unscheduled history costs the claim query nothing however large it grows.
      await db.schema
        .createIndex("events_due_idx")
        .on("events")
        .column("next_attempt_at")
        .where(sql.ref("next_attempt_at"), "is not", null)
        .execute();
      // Retention purge: `delivered_at < cutoff OR exhausted_at < cutoff` uses both (bitmap OR in
      // PostgreSQL, the OR-by-union plan in SQLite).
      await db.schema
        .createIndex("events_delivered_idx")
        .on("events")
        .column("delivered_at")
        .where(sql.ref("delivered_at"), "is not", null)
        .execute();
      await db.schema
        .createIndex("events_exhausted_idx")
        .on("events")
        .column("exhausted_at")
        .where(sql.ref("exhausted_at"), "is not", null)
        .execute();

      await db.schema
        .createTable("event_attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event_id", "text", (c) => c.notNull().references("events.id").onDelete("cascade"))
        .addColumn("endpoint_id", "text", (c) =>
          c.notNull().references("webhook_endpoints.id").onDelete("cascade"),
        )
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("trigger", "text", (c) => c.notNull())
        .addColumn("started_at", time, (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("status_code", "integer")
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("error", "text")
        .addColumn("response_body", "text")
        .addCheckConstraint("event_attempts_trigger_check", sql`${sql.ref("trigger")} in ('automatic', 'manual')`)
        .addCheckConstraint(
          "event_attempts_outcome_check",
          sql`outcome in ('delivered', 'http_error', 'timeout', 'connection_error', 'blocked')`,
        )
        .execute();
      await db.schema
        .createIndex("event_attempts_event_idx")
        .on("event_attempts")
        .columns(["event_id", "id"])
        .execute();
      await db.schema
        .createIndex("event_attempts_endpoint_idx")
        .on("event_attempts")
        .column("endpoint_id")
        .execute();

      await db.schema
        .createTable("idempotency_keys")
        .addColumn("organization_id", "text", (c) =>
          c.notNull().references("organizations.id").onDelete("cascade"),
        )
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("event_ids", "text", (c) => c.notNull())
        .addColumn("created_at", time, (c) => c.notNull())
        .addColumn("expires_at", time, (c) => c.notNull())
        .addPrimaryKeyConstraint("idempotency_keys_pkey", ["organization_id", "mode", "key"])
        .addCheckConstraint("idempotency_keys_mode_check", sql`mode in ${MODES}`)
        .execute();
      await db.schema
        .createIndex("idempotency_keys_expires_idx")
        .on("idempotency_keys")
        .column("expires_at")
        .execute();
    },
  };
}

/**
 * The queue is read per endpoint: a claim takes each active endpoint's oldest due events from an
 * index on (endpoint_id, next_attempt_at), so its cost follows the number of endpoints, never the
 * size of the backlog, and an endpoint with a flood of due events costs the others nothing (with
 * one global due-time index, a claim that skips a flooded endpoint had to read past its whole
 * flood). Workers of the previous version still claim correctly without the old index, only slower.
 */
const queueByEndpoint: Migration = {
  async up(db: AnyDb) {
    // IF NOT EXISTS: an operator may build it beforehand with CREATE INDEX CONCURRENTLY.
    await db.schema
      .createIndex("events_queue_idx")
      .ifNotExists()
      .on("events")
      .columns(["endpoint_id", "next_attempt_at"])
      .where(sql.ref("next_attempt_at"), "is not", null)
      .execute();
    await db.schema.dropIndex("events_due_idx").ifExists().execute();
  },
};

/** Idempotency keys also serve the other POST routes: the first answer is kept to be replayed. */
const requestIdempotency: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable("idempotency_keys").addColumn("response", "text").execute();
  },
};

/** The migrations, in order. Names sort lexically; never rename or edit one that has shipped. */
export function migrationsFor(dialect: MigrationDialect): Record<string, Migration> {
  return {
    "0001_initial": initialSchema(dialect),
    "0002_queue_by_endpoint": queueByEndpoint,
    "0003_request_idempotency": requestIdempotency,
  };
}

/** A static provider: the migrations ship inside the bundle, so nothing is read from disk. */
export function staticMigrationProvider(migrations: Record<string, Migration>): MigrationProvider {
  return { getMigrations: async () => migrations };
}

/**
 * Applies pending migrations (up to and including `upTo`, when given: how an older version's
 * database is reproduced in tests), or throws with the name of the migration that failed.
 */
export async function runMigrations(
  db: Kysely<Database>,
  dialect: DialectSupport,
  logger?: StoreLogger,
  upTo?: string,
): Promise<void> {
  const migrationTableSchema = await dialect.prepareMigrations(db);
  const migrator = new Migrator({
    db,
    provider: staticMigrationProvider(migrationsFor(dialect)),
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results = [] } = await (upTo === undefined ? migrator.migrateToLatest() : migrator.migrateTo(upTo));
  const failed = results.find((r) => r.status === "Error");
  if (error !== undefined || failed !== undefined) {
    const cause = error instanceof Error ? error : new Error(String(error));
    const step = failed ? ` at ${failed.migrationName}` : "";
    throw new Error(`Database migration failed${step}: ${cause.message}`, { cause });
  }
  const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName);
  if (applied.length > 0) logger?.info({ migrations: applied, dialect: dialect.name }, "database migrated");
}
