import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { addEndpoint, newWorkspace, publishCreated, rawDb, testId } from "../../../test/support/store-fixtures.js";
import type { AttemptRecord } from "../store.js";

const attempt = (outcome: AttemptRecord["outcome"] = "http_error"): AttemptRecord => ({
  id: testId("att"),
  startedAt: 1_000,
  durationMs: 5,
  statusCode: outcome === "delivered" ? 200 : 500,
  outcome,
  error: null,
  responseBody: null,
});

/** The queue's contract: what a claim takes, and that only the lease holder records an outcome. */
describeEachDatabase("store claims", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test("a claim takes due events of active endpoints only, skips excluded ones, and moves them to the lease's end", async () => {
    const ws = await newWorkspace(db.store);
    const active = await addEndpoint(db.store, ws);
    const busy = await addEndpoint(db.store, ws);
    const paused = await addEndpoint(db.store, ws);
    const t0 = 5_000_000;
    await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    await db.store.updateEndpoint(ws, paused.id, { status: "disabled", now: t0 });
    const claims = (await db.store.claimDue({ owner: "w1", limit: 100, leaseMs: 1_000, now: t0 + 10, excludeEndpointIds: [busy.id] })).filter(
      (c) => c.event.organizationId === ws.organizationId,
    );
    expect(claims.map((c) => c.endpoint.id)).toEqual([active.id]);
    expect(claims[0]!.leaseExpiresAt).toBe(t0 + 1_010);
    // What an attempt needs, none of the event's history (a retry's last response body can be 4 KB).
    expect(Object.keys(claims[0]!.event).sort()).toEqual(["attempts", "endpointId", "id", "mode", "organizationId", "payload", "scheduledAttempts", "type"]);
    expect((await db.store.findEvent(ws, claims[0]!.event.id))?.nextAttemptAt).toBe(t0 + 1_010);
    const again = await db.store.claimDue({ owner: "w2", limit: 100, leaseMs: 1_000, now: t0 + 20, excludeEndpointIds: [] });
    expect(again.map((c) => c.endpoint.id)).toEqual([busy.id]);
  });

  test("only the lease holder records an outcome; an expired lease goes to the next worker", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const t0 = 9_000_000;
    const [event] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    const claim = async (owner: string, now: number) =>
      (await db.store.claimDue({ owner, limit: 100, leaseMs: 1_000, now, excludeEndpointIds: [] })).find((c) => c.event.id === event!.id);
    const first = await claim("w1", t0);
    expect(first).toBeDefined();
    expect(await claim("w2", t0 + 999)).toBeUndefined();
    // w1 stalls past its lease; w2 takes the event over.
    const second = await claim("w2", t0 + 1_001);
    expect(second).toBeDefined();
    const outcome = { nextAttemptAt: t0 + 60_000, deliveredAt: null, exhaustedAt: null };
    expect(await db.store.completeAttempt({ owner: "w1", leaseExpiresAt: first!.leaseExpiresAt, eventId: event!.id, attempt: attempt(), ...outcome })).toMatchObject({ recorded: false });
    expect(await db.store.completeAttempt({ owner: "w2", leaseExpiresAt: first!.leaseExpiresAt, eventId: event!.id, attempt: attempt(), ...outcome })).toMatchObject({ recorded: false });
    expect(await db.store.completeAttempt({ owner: "w2", leaseExpiresAt: second!.leaseExpiresAt, eventId: event!.id, attempt: attempt(), ...outcome })).toMatchObject({ recorded: true });
    expect(await db.store.findEvent(ws, event!.id)).toMatchObject({ attempts: 1, scheduledAttempts: 1, nextAttemptAt: t0 + 60_000, lastStatusCode: 500 });
    const log = await db.store.listAttempts(ws, event!.id, { limit: 10 });
    expect(log.data.map((a) => [a.attempt, a.trigger])).toEqual([[1, "automatic"]]);
  });

  test("exhaustion disables the endpoint and parks its other events in the same transaction", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const t0 = 12_000_000;
    const [first] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    const [second] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 + 5 });
    const claim = (await db.store.claimDue({ owner: "w", limit: 100, leaseMs: 1_000, now: t0, excludeEndpointIds: [] })).find((c) => c.event.id === first!.id)!;
    expect(
      await db.store.completeAttempt({
        owner: "w",
        leaseExpiresAt: claim.leaseExpiresAt,
        eventId: first!.id,
        attempt: attempt(),
        nextAttemptAt: null,
        deliveredAt: null,
        exhaustedAt: t0 + 10,
        disableEndpoint: "exhausted",
      }),
    ).toEqual({ recorded: true, endpointDisabled: true });
    expect(await db.store.findEndpoint(ws, endpoint.id)).toMatchObject({ status: "disabled", disabledReason: "exhausted" });
    expect(await db.store.findEvent(ws, second!.id)).toMatchObject({ nextAttemptAt: null });
    await db.store.updateEndpoint(ws, endpoint.id, { status: "active", now: t0 + 20 });
    expect(await db.store.findEvent(ws, second!.id)).toMatchObject({ nextAttemptAt: t0 + 5 });
    expect(await db.store.findEvent(ws, first!.id)).toMatchObject({ nextAttemptAt: null, exhaustedAt: t0 + 10 });
  });

  test("a claim handed back after its endpoint was disabled stays parked, due at once when resumed, not at its lease's end", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const t0 = 30_000_000;
    const [event] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    await db.store.claimDue({ owner: "w", limit: 100, leaseMs: 60_000, now: t0, excludeEndpointIds: [] });
    await db.store.updateEndpoint(ws, endpoint.id, { status: "disabled", disabledReason: "gone", now: t0 + 1 });
    await db.store.releaseClaims("w", [event!.id], t0 + 2);
    const row = await rawDb(db.store).selectFrom("events").select(["next_attempt_at", "parked_at", "lease_owner"]).where("id", "=", event!.id).executeTakeFirst();
    expect(row).toEqual({ next_attempt_at: null, parked_at: t0 + 2, lease_owner: null });
    await db.store.updateEndpoint(ws, endpoint.id, { status: "active", disabledReason: null, now: t0 + 3 });
    expect(await db.store.findEvent(ws, event!.id)).toMatchObject({ nextAttemptAt: t0 + 2 });
  });

  test("released claims are due at once; redelivery reservations are atomic per interval; recover takes a window", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const t0 = 20_000_000;
    const [event] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    await db.store.claimDue({ owner: "w", limit: 100, leaseMs: 60_000, now: t0, excludeEndpointIds: [] });
    await db.store.releaseClaims("w", [event!.id], t0 + 1);
    expect(await db.store.findEvent(ws, event!.id)).toMatchObject({ nextAttemptAt: t0 + 1 });
    const lease = await rawDb(db.store).selectFrom("events").select(["lease_owner"]).where("id", "=", event!.id).executeTakeFirst();
    expect(lease!.lease_owner).toBeNull();

    const results = await Promise.all([1, 2, 3].map(() => db.store.reserveRedelivery(ws, event!.id, t0, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.store.reserveRedelivery(ws, event!.id, t0 + 59_999, 60_000)).toBe(false);
    expect(await db.store.reserveRedelivery(ws, event!.id, t0 + 60_000, 60_000)).toBe(true);
    expect(await db.store.reserveRedelivery({ ...ws, mode: "live" }, event!.id, t0 + 500_000, 60_000)).toBe(false);

    await rawDb(db.store).updateTable("events").set({ next_attempt_at: null, exhausted_at: t0 + 5, scheduled_attempts: 9 }).where("id", "=", event!.id).execute();
    expect(await db.store.recoverEvents(ws, endpoint.id, { since: t0 + 1, until: t0 + 10, now: t0 + 100 })).toBe(0);
    expect(await db.store.recoverEvents(ws, endpoint.id, { since: t0, until: t0 + 10, now: t0 + 100 })).toBe(1);
    expect(await db.store.findEvent(ws, event!.id)).toMatchObject({ nextAttemptAt: t0 + 100, exhaustedAt: null, scheduledAttempts: 0 });
  });
});
