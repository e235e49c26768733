import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { addEndpoint, insertAttempt, newWorkspace, publishCreated, rawDb } from "../../../test/support/store-fixtures.js";

const DAY = 86_400_000;

describeEachDatabase("retention purge", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test("only delivered and exhausted records finished before the cutoff go, with their attempts, in batches", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const now = Date.now();
    const events = [];
    for (let i = 0; i < 7; i++) events.push(...(await publishCreated(db.store, ws, "records.sync.completed", { now: now - 40 * DAY })));
    const [oldDelivered, oldExhausted, recentDelivered, pending, neverScheduled, oldDelivered2, oldExhausted2] = events;
    const set = async (id: string, values: Record<string, number | null>) =>
      rawDb(db.store).updateTable("events").set(values).where("id", "=", id).execute();
    await set(oldDelivered!.id, { delivered_at: now - 31 * DAY, next_attempt_at: null });
    await set(oldDelivered2!.id, { delivered_at: now - 35 * DAY, next_attempt_at: null });
    await set(oldExhausted!.id, { exhausted_at: now - 32 * DAY, next_attempt_at: null });
    await set(oldExhausted2!.id, { exhausted_at: now - 33 * DAY, next_attempt_at: null });
    await set(recentDelivered!.id, { delivered_at: now - 29 * DAY, next_attempt_at: null });
    await set(neverScheduled!.id, { next_attempt_at: null });
    for (const e of events) await insertAttempt(db.store, e);

    const cutoff = now - 30 * DAY;
    expect(await db.store.purgeFinishedEvents(cutoff, 3)).toBe(3);
    expect(await db.store.purgeFinishedEvents(cutoff, 3)).toBe(1);
    expect(await db.store.purgeFinishedEvents(cutoff, 3)).toBe(0);
    const left = (await rawDb(db.store).selectFrom("events").select("id").where("organization_id", "=", ws.organizationId).execute()).map((r) => r.id);
    expect(left.sort()).toEqual([recentDelivered!.id, pending!.id, neverScheduled!.id].sort());
    const attempts = await rawDb(db.store).selectFrom("event_attempts").select("event_id").where("organization_id", "=", ws.organizationId).execute();
    expect(attempts.map((a) => a.event_id).sort()).toEqual(left.sort());
  });

  test("expired idempotency keys are purged, live ones kept", async () => {
    const ws = await newWorkspace(db.store);
    await addEndpoint(db.store, ws);
    const now = Date.now();
    await publishCreated(db.store, ws, "records.sync.completed", { now, idempotency: { key: "old", fingerprint: "f", expiresAt: now - 1 } });
    await publishCreated(db.store, ws, "records.sync.completed", { now, idempotency: { key: "live", fingerprint: "f", expiresAt: now + DAY } });
    expect(await db.store.purgeIdempotencyKeys(now, 100)).toBeGreaterThanOrEqual(1);
    const keys = await rawDb(db.store).selectFrom("idempotency_keys").select("key").where("organization_id", "=", ws.organizationId).execute();
    expect(keys.map((k) => k.key)).toEqual(["live"]);
  });
});
