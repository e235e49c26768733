import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from "kysely";

/**
 * Kysely's SQLite dialect with two overrides that make several processes on one database file safe
 * (the service plus `medblocks keys create`, or two services starting at once).
 */
export class WriterSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Starts every transaction with `BEGIN IMMEDIATE`. A plain (deferred) `BEGIN` that reads and then
 * writes must upgrade its lock, and in WAL mode that upgrade fails at once with SQLITE_BUSY when
 * another process committed in between; `busy_timeout` does not help there. Taking the write lock
 * up front makes such transactions wait their turn instead. Reads never open a transaction.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * SQLite does run DDL inside transactions; Kysely's adapter just does not claim it. Claiming it makes
 * the migrator wrap each run in one (immediate) transaction, which is the cross-process lock the
 * SQLite adapter otherwise lacks: a second process waits, then sees the migrations already applied.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
