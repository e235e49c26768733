import type { Kysely } from "kysely";
import type { Database } from "../shared/schema.js";

/**
 * One connection per database file per process. better-sqlite3 is synchronous: a second connection
 * to the same file that wants the write lock busy-waits on the event loop thread, so the first one
 * can never reach its COMMIT and both stall for the whole busy timeout. Stores opened on the same
 * file in one process (the service and a test, or `keys create` run in-process) therefore share
 * one Kysely instance, whose driver serializes them. Other processes still coordinate through
 * SQLite's file locks.
 */
interface Shared {
  db: Kysely<Database>;
  users: number;
}

const open = new Map<string, Shared>();

/** The process's connection to `path`, created by `connect` on first use. */
export function acquireConnection(path: string, connect: () => Kysely<Database>): Kysely<Database> {
  let shared = open.get(path);
  if (shared === undefined) {
    shared = { db: connect(), users: 0 };
    open.set(path, shared);
  }
  shared.users += 1;
  return shared.db;
}

/** Gives back one use; the last one closes the connection. */
export async function releaseConnection(path: string): Promise<void> {
  const shared = open.get(path);
  if (shared === undefined) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  open.delete(path);
  await shared.db.destroy();
}
