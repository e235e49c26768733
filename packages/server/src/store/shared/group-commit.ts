import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Group commit for a database with one writer (SQLite). Transactions that arrive together run one
 * after another inside a single transaction, each in a savepoint of its own, and commit once: on
 * SQLite the commit (writing the changed pages to the WAL) costs more than a small transaction's
 * statements, and every writer waits its turn for the one write lock anyway. Each caller still gets
 * its own answer: a unit that throws is rolled back to its savepoint without touching the others,
 * and only a failed commit fails them all (nothing of theirs was written then).
 */
export function inGroupCommit<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new GroupCommit(db)));
  return group.run(work);
}

/** At most this many transactions commit as one, so a burst still commits in steps. */
export const GROUP_COMMIT_LIMIT = 64;

interface Unit {
  work: (trx: Kysely<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const groups = new WeakMap<Kysely<Database>, GroupCommit>();

class GroupCommit {
  #pending: Unit[] = [];
  #draining = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#draining) return;
      this.#draining = true;
      // Whatever arrives in this turn of the event loop joins the first group; what arrives while a
      // group is being written forms the next.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const group = this.#pending.splice(0, GROUP_COMMIT_LIMIT);
      const outcomes: Outcome[] = [];
      try {
        await this.db.transaction().execute(async (trx) => {
          for (const unit of group) {
            await sql`savepoint group_unit`.execute(trx);
            try {
              outcomes.push({ ok: true, value: await unit.work(trx) });
            } catch (error) {
              await sql`rollback to group_unit`.execute(trx);
              outcomes.push({ ok: false, error });
            }
            await sql`release group_unit`.execute(trx);
          }
        });
      } catch (error) {
        for (const unit of group) unit.reject(error);
        continue;
      }
      group.forEach((unit, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) unit.resolve(outcome.value);
        else unit.reject(outcome.error);
      });
    }
    this.#draining = false;
  }
}
