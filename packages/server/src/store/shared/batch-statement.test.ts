import BetterSqlite3 from "better-sqlite3";
import { Kysely, sql, SqliteDialect } from "kysely";
import { afterAll, describe, expect, test } from "vitest";
import { sqliteSupport } from "../sqlite/sqlite-store.js";
import { BatchStatement, valuesList } from "./batch-statement.js";

describe("BatchStatement", () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }) });
  afterAll(() => db.destroy());

  test("compiles each batch size once, and binds every batch's own values in order", async () => {
    let builds = 0;
    const echo = new BatchStatement<{ n: number; word: string }>((rows) => {
      builds++;
      return sql`with v (n, word) as (values ${valuesList(rows)}) select n, word from v`;
    });
    const first = await echo.execute(db, sqliteSupport, [[1, "one"], [2, "two"]]);
    const second = await echo.execute(db, sqliteSupport, [[3, "three"], [4, null]]);
    const single = await echo.execute(db, sqliteSupport, [[5, "five"]]);
    expect(first.rows).toEqual([{ n: 1, word: "one" }, { n: 2, word: "two" }]);
    expect(second.rows).toEqual([{ n: 3, word: "three" }, { n: 4, word: null }]);
    expect(single.rows).toEqual([{ n: 5, word: "five" }]);
    expect(builds).toBe(2);
  });

  test("refuses a statement that would bind values out of the rows' order", () => {
    const reversed = new BatchStatement((rows) => sql`select ${sql.join(rows.map((row) => sql.join([...row].reverse())))}`);
    expect(() => reversed.compile(db, sqliteSupport, [[1, 2]])).toThrow(/in the rows' order/);
    const twice = new BatchStatement((rows) => sql`select ${sql.join(rows[0]!)}, ${sql.join(rows[0]!)}`);
    expect(() => twice.compile(db, sqliteSupport, [[1]])).toThrow(/once/);
  });
});
