import { openPostgresStore } from "./postgres/postgres-store.js";
import type { StoreLogger } from "./shared/store-logger.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export type { StoreLogger } from "./shared/store-logger.js";

export interface CreateStoreOptions {
  logger?: StoreLogger;
}

const ACCEPTED_FORMS =
  "sqlite:<path> (relative to the working directory, e.g. sqlite:./data/medblocks.db), sqlite::memory:, " +
  "or postgres://user:password@host:5432/database (postgresql:// also works; ?schema=<name> picks a schema)";

/**
 * Opens the store a `DATABASE_URL` names. The only code that looks at the scheme. The store is not
 * migrated yet: call `migrate()` before use.
 */
export async function createStore(url: string, options: CreateStoreOptions = {}): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "sqlite":
      return openSqliteStore(sqliteLocation(url.slice("sqlite:".length)), options.logger);
    case "postgres":
    case "postgresql":
      return openPostgresStore(url, options.logger);
    default:
      // Only the scheme is echoed: the rest of a URL may hold a password.
      throw new Error(
        scheme === undefined
          ? `DATABASE_URL has no scheme; use ${ACCEPTED_FORMS}`
          : `Unsupported DATABASE_URL scheme "${scheme}:"; use ${ACCEPTED_FORMS}`,
      );
  }
}

function sqliteLocation(rest: string): string {
  // Accept the `sqlite://relative` and `sqlite:///absolute` spellings other tools use too.
  const location = rest.startsWith("//") ? rest.slice(2) : rest;
  if (location === "") throw new Error(`DATABASE_URL "sqlite:" names no file; use ${ACCEPTED_FORMS}`);
  return location;
}
