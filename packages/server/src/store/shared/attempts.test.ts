import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { addEndpoint, insertAttempt, newWorkspace, otherMode, publishCreated } from "../../../test/support/store-fixtures.js";
import type { AttemptRow } from "../store.js";

describeEachDatabase("store attempts", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  async function eventWithAttempts(count: number) {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const [event] = await publishCreated(db.store, ws, "patient_flow.completed");
    const attempts: AttemptRow[] = [];
    for (let i = 1; i <= count; i++) {
      attempts.push(
        await insertAttempt(db.store, event!, {
          attempt: i,
          startedAt: 1_750_000_000_000 + i * 60_000,
          ...(i === count
            ? { outcome: "delivered", statusCode: 200, responseBody: "ok", trigger: "manual" as const }
            : { outcome: "timeout", statusCode: null, responseBody: null, error: "no response within 5000 ms" }),
        }),
      );
    }
    return { ws, event: event!, attempts };
  }

  test("listAttempts returns the log oldest first with every field", async () => {
    const { ws, event, attempts } = await eventWithAttempts(3);
    const page = await db.store.listAttempts(ws, event.id, { limit: 10 });
    expect(page).toEqual({ data: attempts, hasMore: false });
    expect(page.data[0]).toMatchObject({ outcome: "timeout", statusCode: null, error: "no response within 5000 ms" });
    expect(page.data[2]).toMatchObject({ outcome: "delivered", statusCode: 200, trigger: "manual", responseBody: "ok" });
  });

  test("listAttempts pages forward from a cursor", async () => {
    const { ws, event, attempts } = await eventWithAttempts(5);
    const first = await db.store.listAttempts(ws, event.id, { limit: 2 });
    expect(first).toEqual({ data: attempts.slice(0, 2), hasMore: true });
    const second = await db.store.listAttempts(ws, event.id, { limit: 2, startingAfter: first.data[1]!.id });
    expect(second).toEqual({ data: attempts.slice(2, 4), hasMore: true });
    const last = await db.store.listAttempts(ws, event.id, { limit: 2, startingAfter: second.data[1]!.id });
    expect(last).toEqual({ data: attempts.slice(4), hasMore: false });
    expect(await db.store.listAttempts(ws, event.id, { limit: 1, startingAfter: attempts[4]!.id })).toEqual({
      data: [],
      hasMore: false,
    });
    expect(await db.store.listAttempts(ws, event.id, { limit: 5 })).toMatchObject({ hasMore: false });
  });

  test("an event without attempts has an empty log", async () => {
    const { ws, event } = await eventWithAttempts(0);
    expect(await db.store.listAttempts(ws, event.id, { limit: 10 })).toEqual({ data: [], hasMore: false });
  });

  test("another organization, or the same organization in the other mode, sees no attempts", async () => {
    const { ws, event } = await eventWithAttempts(2);
    for (const other of [await newWorkspace(db.store), otherMode(ws)]) {
      expect(await db.store.listAttempts(other, event.id, { limit: 10 })).toEqual({ data: [], hasMore: false });
    }
  });
});
