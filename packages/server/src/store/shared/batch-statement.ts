import { CompiledQuery, sql, type Kysely, type QueryResult, type RawBuilder } from "kysely";
import type { DialectSupport } from "./dialect-support.js";

/** The values of one row of a batch, in the order its statement lists them. */
export type BatchRow = readonly unknown[];

/** A batch as the rows of a VALUES list: `(a, b), (c, d)`. */
export function valuesList(rows: readonly BatchRow[]) {
  return sql.join(rows.map((row) => sql`(${sql.join(row)})`));
}

/**
 * A statement over a batch of rows whose text depends only on the dialect and the number of rows
 * (a VALUES list of the batch). Kysely builds and compiles a query anew at every call, which for a
 * recording batch of 64–128 attempts took 2.2–2.3 µs per row and statement, a third of what SQLite
 * takes to run it; here each shape is compiled once and a batch brings only its values.
 */
export class BatchStatement<R> {
  readonly #texts = new Map<string, string>();

  constructor(private readonly build: (rows: readonly BatchRow[], dialect: DialectSupport) => RawBuilder<R>) {}

  compile(db: Kysely<any>, dialect: DialectSupport, rows: readonly BatchRow[]): CompiledQuery<R> {
    const shape = `${dialect.name}:${rows.length}`;
    let text = this.#texts.get(shape);
    if (text === undefined) {
      text = this.#compileShape(db, dialect, rows);
      this.#texts.set(shape, text);
    }
    return CompiledQuery.raw(text, flatten(rows)) as CompiledQuery<R>;
  }

  execute(db: Kysely<any>, dialect: DialectSupport, rows: readonly BatchRow[]): Promise<QueryResult<R>> {
    return db.executeQuery(this.compile(db, dialect, rows));
  }

  /**
   * The statement's text for batches of this many rows, compiled over stand-ins for the values: a
   * statement that used a value twice, dropped one or moved it would bind the wrong values to later
   * batches, so that is refused here.
   */
  #compileShape(db: Kysely<any>, dialect: DialectSupport, rows: readonly BatchRow[]): string {
    const standIns = rows.map((row) => row.map(() => ({})));
    const compiled = this.build(standIns, dialect).compile(db);
    const expected = flatten(standIns);
    if (compiled.parameters.length !== expected.length || compiled.parameters.some((parameter, i) => parameter !== expected[i])) {
      throw new Error("A batch statement must bind each value of its rows once, in the rows' order.");
    }
    return compiled.sql;
  }
}

/** The rows' values one after another (a loop: `Array.prototype.flat` took about 15 times as long here). */
function flatten(rows: readonly BatchRow[]): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) for (const value of row) values.push(value);
  return values;
}
