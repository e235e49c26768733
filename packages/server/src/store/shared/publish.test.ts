import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import {
  addEndpoint,
  buildEventsLikeTheDomain,
  newWorkspace,
  otherMode,
  publishCreated,
  rawDb,
  testId,
} from "../../../test/support/store-fixtures.js";
import { createStore } from "../create-store.js";
import type { EndpointRow, EventRow, Workspace } from "../store.js";

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;

describeEachDatabase("store publish", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const idempotent = (key: string, fingerprint = "fp-1", now = T0) => ({
    now,
    idempotency: { key, fingerprint, expiresAt: now + DAY },
  });

  async function eventIdsOf(ws: Workspace): Promise<string[]> {
    const rows = await rawDb(db.store)
      .selectFrom("events")
      .select("id")
      .where("organization_id", "=", ws.organizationId)
      .where("mode", "=", ws.mode)
      .orderBy("id")
      .execute();
    return rows.map((r) => r.id);
  }

  test("fans out to endpoints subscribed to the type or to *, active and disabled, ordered by id", async () => {
    const ws = await newWorkspace(db.store);
    const wildcard = await addEndpoint(db.store, ws, { events: ["*"] });
    const exact = await addEndpoint(db.store, ws, { events: ["records.sync.failed", "patient_flow.completed"] });
    await addEndpoint(db.store, ws, { events: ["records.sync.completed"] });
    const paused = await addEndpoint(db.store, ws, { events: ["patient_flow.completed"] });
    const pausedRow = await db.store.updateEndpoint(ws, paused.id, { status: "disabled", now: T0 - 1 });
    // Same organization, other mode; and another organization: never offered.
    await addEndpoint(db.store, otherMode(ws), { events: ["*"] });
    await addEndpoint(db.store, await newWorkspace(db.store), { events: ["*"] });

    const offered: EndpointRow[][] = [];
    const build = buildEventsLikeTheDomain("patient_flow.completed", T0);
    const result = await db.store.publish(ws, {
      type: "patient_flow.completed",
      now: T0,
      buildEvents: (endpoints) => {
        offered.push(endpoints);
        return build(endpoints);
      },
    });

    expect(offered).toEqual([[wildcard, exact, pausedRow]]);
    expect(result.kind).toBe("created");
    const events = result.kind === "created" ? result.events : [];
    expect(events.map((e) => e.endpointId)).toEqual([wildcard.id, exact.id, paused.id]);
    expect(events.map((e) => e.nextAttemptAt)).toEqual([T0, T0, null]);
    for (const event of events) {
      expect(event).toMatchObject({
        organizationId: ws.organizationId,
        mode: ws.mode,
        type: "patient_flow.completed",
        apiVersion: "2026-04-25",
        attempts: 0,
        deliveredAt: null,
        exhaustedAt: null,
        lastStatusCode: null,
        lastResponseBody: null,
        lastRedeliveredAt: null,
        createdAt: T0,
      });
      expect(await db.store.findEvent(ws, event.id)).toEqual(event);
    }
    expect(await eventIdsOf(ws)).toEqual(events.map((e) => e.id).sort());
  });

  test("a fact nobody subscribes to creates nothing", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws, { events: ["records.sync.completed"] });
    const build = vi.fn(buildEventsLikeTheDomain("records.sync.failed", T0));
    expect(await db.store.publish(ws, { type: "records.sync.failed", now: T0, buildEvents: build })).toEqual({
      kind: "created",
      events: [],
    });
    expect(build).toHaveBeenCalledWith([]);
  });

  test("refuses events for endpoints it did not offer, and rolls everything back", async () => {
    const ws = await newWorkspace(db.store);
    const own = await addEndpoint(db.store, ws);
    const stranger = await addEndpoint(db.store, await newWorkspace(db.store));
    const attempt = db.store.publish(ws, {
      type: "records.sync.failed",
      ...idempotent("rollback-key"),
      buildEvents: (endpoints) => buildEventsLikeTheDomain("records.sync.failed", T0)([...endpoints, stranger]),
    });
    await expect(attempt).rejects.toThrow(/not offered/);
    expect(await eventIdsOf(ws)).toEqual([]);
    // The key was not consumed by the failed transaction.
    const retried = await publishCreated(db.store, ws, "records.sync.failed", idempotent("rollback-key"));
    expect(retried.map((e) => e.endpointId)).toEqual([own.id]);
  });

  test("a failing buildEvents leaves nothing behind", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const attempt = db.store.publish(ws, {
      type: "records.sync.failed",
      ...idempotent("throwing"),
      buildEvents: () => {
        throw new Error("domain bug");
      },
    });
    await expect(attempt).rejects.toThrow("domain bug");
    expect(await eventIdsOf(ws)).toEqual([]);
    expect(await rawDb(db.store).selectFrom("idempotency_keys").selectAll().where("key", "=", "throwing").execute()).toEqual(
      [],
    );
  });

  test("the same key and request replays the first result, re-read, in its order", async () => {
    const ws = await newWorkspace(db.store);
    for (let i = 0; i < 3; i++) await addEndpoint(db.store, ws);
    const first = await publishCreated(db.store, ws, "patient_flow.completed", idempotent("k-replay"));
    expect(first).toHaveLength(3);
    // The replay reads the rows as they are now, not as they were.
    await rawDb(db.store).updateTable("events").set({ attempts: 2 }).where("id", "=", first[1]!.id).execute();

    const build = vi.fn(buildEventsLikeTheDomain("patient_flow.completed", T0 + 1_000));
    const replay = await db.store.publish(ws, {
      type: "patient_flow.completed",
      ...idempotent("k-replay", "fp-1", T0 + 1_000),
      buildEvents: build,
    });
    expect(build).not.toHaveBeenCalled();
    expect(replay).toEqual({ kind: "replayed", events: [first[0], { ...first[1], attempts: 2 }, first[2]] });
    expect(await eventIdsOf(ws)).toHaveLength(3);
  });

  test("a replay skips records deleted since (their endpoint was deleted)", async () => {
    const ws = await newWorkspace(db.store);
    const kept = await addEndpoint(db.store, ws);
    const removed = await addEndpoint(db.store, ws);
    const first = await publishCreated(db.store, ws, "records.sync.completed", idempotent("k-deleted"));
    await db.store.deleteEndpoint(ws, removed.id);
    const replay = await db.store.publish(ws, {
      type: "records.sync.completed",
      ...idempotent("k-deleted"),
      buildEvents: buildEventsLikeTheDomain("records.sync.completed", T0),
    });
    expect(replay).toEqual({ kind: "replayed", events: first.filter((e) => e.endpointId === kept.id) });
  });

  test("the same key with a different request is a conflict and creates nothing", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    await publishCreated(db.store, ws, "records.sync.failed", idempotent("k-conflict", "fp-a"));
    const result = await db.store.publish(ws, {
      type: "records.sync.failed",
      ...idempotent("k-conflict", "fp-b", T0 + 5),
      buildEvents: buildEventsLikeTheDomain("records.sync.failed", T0 + 5),
    });
    expect(result).toEqual({ kind: "idempotency_conflict" });
    expect(await eventIdsOf(ws)).toHaveLength(1);
  });

  test("an expired key is replaced: the request runs again and the new fingerprint holds", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const first = await publishCreated(db.store, ws, "records.sync.failed", idempotent("k-expiry", "fp-old"));
    const justBefore = T0 + DAY - 1;
    const stillLive = await db.store.publish(ws, {
      type: "records.sync.failed",
      ...idempotent("k-expiry", "fp-old", justBefore),
      buildEvents: buildEventsLikeTheDomain("records.sync.failed", justBefore),
    });
    expect(stillLive).toEqual({ kind: "replayed", events: first });

    const expiredAt = T0 + DAY;
    const second = await publishCreated(db.store, ws, "records.sync.failed", idempotent("k-expiry", "fp-new", expiredAt));
    expect(second).toHaveLength(1);
    expect(second[0]!.id).not.toBe(first[0]!.id);
    const after = await db.store.publish(ws, {
      type: "records.sync.failed",
      ...idempotent("k-expiry", "fp-old", expiredAt + 1),
      buildEvents: buildEventsLikeTheDomain("records.sync.failed", expiredAt + 1),
    });
    expect(after).toEqual({ kind: "idempotency_conflict" });
  });

  test("keys are per workspace: another organization or mode may use the same key", async () => {
    const ws = await newWorkspace(db.store);
    const others = [otherMode(ws), await newWorkspace(db.store)];
    for (const w of [ws, ...others]) await addEndpoint(db.store, w);
    const mine = await publishCreated(db.store, ws, "records.sync.failed", idempotent("shared-key"));
    for (const other of others) {
      const theirs = await publishCreated(db.store, other, "records.sync.failed", idempotent("shared-key", "other-fp"));
      expect(theirs).toHaveLength(1);
      expect(theirs[0]!.id).not.toBe(mine[0]!.id);
      expect(theirs[0]!.organizationId).toBe(other.organizationId);
      expect(theirs[0]!.mode).toBe(other.mode);
    }
  });

  test("concurrent publishes with one key create once; the rest replay that result", async () => {
    const ws = await newWorkspace(db.store);
    for (let i = 0; i < 3; i++) await addEndpoint(db.store, ws);
    // A second store is a second pool (PostgreSQL) so the race crosses connections, as between hosts.
    const second = await createStore(db.url);
    try {
      const stores = [db.store, second];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % 2]!.publish(ws, {
            type: "patient_flow.completed",
            ...idempotent("k-race"),
            buildEvents: buildEventsLikeTheDomain("patient_flow.completed", T0),
          }),
        ),
      );
      expect(results.filter((r) => r.kind === "created")).toHaveLength(1);
      expect(results.filter((r) => r.kind === "replayed")).toHaveLength(9);
      const ids = (r: (typeof results)[number]) => (r.kind === "idempotency_conflict" ? [] : r.events.map((e) => e.id));
      const created = ids(results.find((r) => r.kind === "created")!);
      expect(created).toHaveLength(3);
      for (const result of results) expect(ids(result)).toEqual(created);
      expect(await eventIdsOf(ws)).toEqual([...created].sort());
    } finally {
      await second.close();
    }
  });

  test("concurrent publishes without a key all create", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => publishCreated(db.store, ws, "records.sync.completed")),
    );
    expect(new Set(results.flat().map((e) => e.id)).size).toBe(6);
    expect(await eventIdsOf(ws)).toHaveLength(6);
  });

  test("payload bytes round-trip exactly: unicode, odd JSON spelling, 500 KB", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const unicode = 'é ✓ 🚀 👩‍👩‍👧 é (e+◌́) 中文 עברית \u2028\u2029 "\\u0000" "\\ud800" \\" tab\t';
    // Spelling a re-serializer would change: spacing, key order, 1.0, exponent, escapes.
    const head = `{ "id" : "x",  "z":1.0, "a":2e10, "s":"\\u00e9\\/", "u":"${unicode.replaceAll('"', '\\"')}", "pad":"`;
    const piece = "Ω≈ç√∫🙂 ";
    const big = head + piece.repeat(Math.ceil(500_000 / Buffer.byteLength(piece))) + '" }';
    expect(Buffer.byteLength(big)).toBeGreaterThan(500_000);

    const payloads = [big, head + '" }'];
    const created: EventRow[] = [];
    for (const payload of payloads) {
      const result = await db.store.publish(ws, {
        type: "records.sync.completed",
        now: T0,
        buildEvents: (endpoints) =>
          endpoints.map((e) => ({
            id: testId("evt"),
            endpointId: e.id,
            type: "records.sync.completed",
            payload,
            apiVersion: e.apiVersion,
            nextAttemptAt: T0,
            createdAt: T0,
          })),
      });
      if (result.kind !== "created") throw new Error(result.kind);
      expect(result.events[0]!.payload).toBe(payload);
      created.push(result.events[0]!);
    }
    for (const [i, event] of created.entries()) {
      const read = await db.store.findEvent(ws, event.id);
      expect(read!.payload === payloads[i]).toBe(true);
      expect(Buffer.compare(Buffer.from(read!.payload), Buffer.from(payloads[i]!))).toBe(0);
    }
    const listed = await db.store.listEndpointEvents(ws, endpoint.id, { limit: 10 });
    expect(listed.data.map((e) => e.payload)).toEqual([...payloads].reverse());
  });
});
