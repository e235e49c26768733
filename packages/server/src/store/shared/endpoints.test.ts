import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import {
  addEndpoint,
  insertAttempt,
  newEndpointInput,
  newWorkspace,
  otherMode,
  publishCreated,
  rawDb,
} from "../../../test/support/store-fixtures.js";
import type { EndpointRow, Workspace } from "../store.js";

describeEachDatabase("store endpoints", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** Three workspaces that must never see each other: ws, another organization, ws's other mode. */
  async function workspaces(): Promise<{ ws: Workspace; foreign: Workspace[] }> {
    const ws = await newWorkspace(db.store, "sandbox");
    return { ws, foreign: [await newWorkspace(db.store, "sandbox"), otherMode(ws)] };
  }

  test("inserts racing for the last places of a workspace's limit never pass it", async () => {
    const { ws, foreign } = await workspaces();
    await addEndpoint(db.store, ws);
    // Listen sessions' endpoints are not counted; another workspace's are not either.
    await addEndpoint(db.store, foreign[0]!);
    await rawDb(db.store).updateTable("webhook_endpoints").set({ kind: "cli", device: "laptop" }).where("organization_id", "=", ws.organizationId).execute();
    await addEndpoint(db.store, ws);
    const results = await Promise.all(Array.from({ length: 12 }, () => db.store.insertEndpointWithinLimit(ws, newEndpointInput(), 5)));
    expect(results.filter((row) => row !== undefined)).toHaveLength(4);
    expect(await db.store.countEndpoints(ws)).toBe(5);
    expect(await db.store.insertEndpointWithinLimit(foreign[0]!, newEndpointInput(), 5)).toMatchObject({ organizationId: foreign[0]!.organizationId });
  });

  test("insertEndpoint stores every field and returns the row", async () => {
    const ws = await newWorkspace(db.store, "live");
    const input = newEndpointInput({
      url: "https://hooks.example.com/a?b=c",
      events: ["patient_flow.completed", "records.sync.failed"],
      description: "prod — émojis ✓ 🚀",
      metadata: { team: "ehr", "key with space": "välue" },
      now: 1_750_000_000_123,
    });
    const expected: EndpointRow = {
      id: input.id,
      organizationId: ws.organizationId,
      mode: "live",
      kind: "http",
      url: input.url,
      events: input.events,
      status: "active",
      disabledReason: null,
      description: input.description,
      metadata: input.metadata,
      apiVersion: "2026-04-25",
      secretCiphertext: input.secretCiphertext,
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      createdAt: 1_750_000_000_123,
      updatedAt: 1_750_000_000_123,
    };
    expect(await db.store.insertEndpoint(ws, input)).toEqual(expected);
    expect(await db.store.findEndpoint(ws, input.id)).toEqual(expected);
  });

  test("an endpoint needs an existing organization", async () => {
    await expect(
      db.store.insertEndpoint({ organizationId: "org_missing", mode: "sandbox" }, newEndpointInput()),
    ).rejects.toThrow();
  });

  test("find, count, update, rotate and delete see only their own workspace", async () => {
    const { ws, foreign } = await workspaces();
    const endpoint = await addEndpoint(db.store, ws);
    for (const other of foreign) {
      expect(await db.store.findEndpoint(other, endpoint.id)).toBeUndefined();
      expect(await db.store.countEndpoints(other)).toBe(0);
      expect((await db.store.listEndpoints(other, { limit: 10 })).data).toEqual([]);
      expect(await db.store.updateEndpoint(other, endpoint.id, { url: "https://evil.example", now: 5 })).toBeUndefined();
      expect(
        await db.store.rotateSecret(other, endpoint.id, {
          secretCiphertext: "stolen",
          previousSecretCiphertext: null,
          previousSecretExpiresAt: null,
          now: 5,
        }),
      ).toBeUndefined();
      expect(await db.store.deleteEndpoint(other, endpoint.id)).toBe(false);
    }
    expect(await db.store.findEndpoint(ws, endpoint.id)).toEqual(endpoint);
    expect(await db.store.countEndpoints(ws)).toBe(1);
  });

  test("listEndpoints pages newest first with limit+1 look-ahead", async () => {
    const ws = await newWorkspace(db.store);
    const made: EndpointRow[] = [];
    for (let i = 0; i < 5; i++) made.push(await addEndpoint(db.store, ws, { url: `https://hooks.example.com/${i}` }));
    const newestFirst = made.map((e) => e.id).reverse();

    const first = await db.store.listEndpoints(ws, { limit: 2 });
    expect(first.data.map((e) => e.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.hasMore).toBe(true);
    const second = await db.store.listEndpoints(ws, { limit: 2, startingAfter: first.data[1]!.id });
    expect(second.data.map((e) => e.id)).toEqual(newestFirst.slice(2, 4));
    expect(second.hasMore).toBe(true);
    const last = await db.store.listEndpoints(ws, { limit: 2, startingAfter: second.data[1]!.id });
    expect(last.data.map((e) => e.id)).toEqual(newestFirst.slice(4));
    expect(last.hasMore).toBe(false);

    // Exactly `limit` rows left: no phantom next page.
    expect(await db.store.listEndpoints(ws, { limit: 5 })).toMatchObject({ hasMore: false });
    expect((await db.store.listEndpoints(ws, { limit: 1 })).data).toEqual([made[4]]);
    // A cursor past the end (the oldest id) and one before everything.
    expect(await db.store.listEndpoints(ws, { limit: 3, startingAfter: made[0]!.id })).toEqual({
      data: [],
      hasMore: false,
    });
    expect((await db.store.listEndpoints(ws, { limit: 100, startingAfter: "wh_0" })).data).toEqual([]);
    expect((await db.store.listEndpoints(ws, { limit: 100, startingAfter: "wh_Z" })).data).toHaveLength(5);
  });

  test("a cursor from another workspace only positions the scan; it reveals nothing", async () => {
    const { ws, foreign } = await workspaces();
    const older = await addEndpoint(db.store, ws);
    const foreignEndpoint = await addEndpoint(db.store, foreign[0]!);
    const newer = await addEndpoint(db.store, ws);
    const page = await db.store.listEndpoints(ws, { limit: 10, startingAfter: foreignEndpoint.id });
    expect(page).toEqual({ data: [older], hasMore: false });
    expect((await db.store.listEndpoints(foreign[0]!, { limit: 10, startingAfter: newer.id })).data).toEqual([
      foreignEndpoint,
    ]);
  });

  test("listEndpoints filters by status", async () => {
    const ws = await newWorkspace(db.store);
    const a = await addEndpoint(db.store, ws);
    const b = await addEndpoint(db.store, ws);
    const disabledB = await db.store.updateEndpoint(ws, b.id, { status: "disabled", now: 10 });
    expect((await db.store.listEndpoints(ws, { limit: 10, status: "disabled" })).data).toEqual([disabledB]);
    expect((await db.store.listEndpoints(ws, { limit: 10, status: "active" })).data).toEqual([a]);
  });

  test("page limits must be positive integers", async () => {
    const ws = await newWorkspace(db.store);
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(db.store.listEndpoints(ws, { limit })).rejects.toThrow(RangeError);
    }
  });

  test("updateEndpoint applies only the given fields and stamps updatedAt", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws, { description: "keep me", metadata: { a: "1" } });
    const updated = await db.store.updateEndpoint(ws, endpoint.id, {
      url: "https://hooks.example.com/new",
      events: ["records.sync.completed"],
      metadata: { b: "2" },
      now: 1_750_000_100_000,
    });
    expect(updated).toEqual({
      ...endpoint,
      url: "https://hooks.example.com/new",
      events: ["records.sync.completed"],
      metadata: { b: "2" },
      updatedAt: 1_750_000_100_000,
    });
    const cleared = await db.store.updateEndpoint(ws, endpoint.id, { description: null, now: 1_750_000_200_000 });
    expect(cleared).toEqual({ ...updated, description: null, updatedAt: 1_750_000_200_000 });
    expect(await db.store.findEndpoint(ws, endpoint.id)).toEqual(cleared);
    expect(await db.store.updateEndpoint(ws, "wh_missing", { now: 1 })).toBeUndefined();
  });

  test("disabling records a reason (manual by default); re-enabling clears it", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const paused = await db.store.updateEndpoint(ws, endpoint.id, { status: "disabled", now: 20 });
    expect(paused).toMatchObject({ status: "disabled", disabledReason: "manual", updatedAt: 20 });
    const gone = await db.store.updateEndpoint(ws, endpoint.id, { status: "disabled", disabledReason: "gone", now: 21 });
    expect(gone).toMatchObject({ status: "disabled", disabledReason: "gone" });
    const resumed = await db.store.updateEndpoint(ws, endpoint.id, { status: "active", now: 22 });
    expect(resumed).toMatchObject({ status: "active", disabledReason: null, updatedAt: 22 });
  });

  test("disabling parks pending events with their due time; re-enabling puts them back, overdue", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const t0 = 1_750_000_000_000;
    const [pending] = await publishCreated(db.store, ws, "records.sync.completed", { now: t0 });
    expect(pending!.nextAttemptAt).toBe(t0);

    await db.store.updateEndpoint(ws, endpoint.id, { status: "disabled", disabledReason: "exhausted", now: t0 + 1 });
    // Out of the queue while paused: nothing is scheduled, and no claim can take it.
    expect(await db.store.findEvent(ws, pending!.id)).toEqual({ ...pending, nextAttemptAt: null });
    expect(await db.store.claimDue({ owner: "w", limit: 10, leaseMs: 1_000, now: t0 + 30_000, excludeEndpointIds: [] })).toEqual([]);

    const resumed = await db.store.updateEndpoint(ws, endpoint.id, { status: "active", now: t0 + 60_000 });
    expect(resumed).toMatchObject({ status: "active", disabledReason: null });
    // Still scheduled in the past, so the next claim takes it at once; nothing else about it changed.
    expect(await db.store.findEvent(ws, pending!.id)).toEqual(pending);
  });

  test("rotateSecret sets the secret columns and updatedAt", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const graced = await db.store.rotateSecret(ws, endpoint.id, {
      secretCiphertext: "sealed:new",
      previousSecretCiphertext: endpoint.secretCiphertext,
      previousSecretExpiresAt: 1_750_000_086_400,
      now: 1_750_000_000_500,
    });
    expect(graced).toEqual({
      ...endpoint,
      secretCiphertext: "sealed:new",
      previousSecretCiphertext: endpoint.secretCiphertext,
      previousSecretExpiresAt: 1_750_000_086_400,
      updatedAt: 1_750_000_000_500,
    });
    const immediate = await db.store.rotateSecret(ws, endpoint.id, {
      secretCiphertext: "sealed:newer",
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      now: 1_750_000_000_600,
    });
    expect(immediate).toMatchObject({
      secretCiphertext: "sealed:newer",
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
    });
    const rotation = { secretCiphertext: "x", previousSecretCiphertext: null, previousSecretExpiresAt: null, now: 1 };
    expect(await db.store.rotateSecret(ws, "wh_missing", rotation)).toBeUndefined();
  });

  test("deleteEndpoint removes its events and attempts and nothing of its neighbours", async () => {
    const ws = await newWorkspace(db.store);
    const doomed = await addEndpoint(db.store, ws);
    const neighbour = await addEndpoint(db.store, ws);
    const events = await publishCreated(db.store, ws, "patient_flow.completed");
    expect(events).toHaveLength(2);
    for (const event of events) await insertAttempt(db.store, event);
    const doomedEvent = events.find((e) => e.endpointId === doomed.id)!;
    const neighbourEvent = events.find((e) => e.endpointId === neighbour.id)!;

    expect(await db.store.deleteEndpoint(ws, doomed.id)).toBe(true);
    expect(await db.store.findEndpoint(ws, doomed.id)).toBeUndefined();
    expect(await db.store.findEvent(ws, doomedEvent.id)).toBeUndefined();
    const raw = rawDb(db.store);
    expect(await raw.selectFrom("event_attempts").selectAll().where("endpoint_id", "=", doomed.id).execute()).toEqual([]);
    expect(await raw.selectFrom("events").selectAll().where("endpoint_id", "=", doomed.id).execute()).toEqual([]);

    expect(await db.store.findEvent(ws, neighbourEvent.id)).toEqual(neighbourEvent);
    expect((await db.store.listAttempts(ws, neighbourEvent.id, { limit: 10 })).data).toHaveLength(1);
    expect(await db.store.deleteEndpoint(ws, doomed.id)).toBe(false);
  });

  test("deleting the endpoint row alone cascades to its history (foreign keys are on)", async () => {
    const ws = await newWorkspace(db.store);
    const endpoint = await addEndpoint(db.store, ws);
    const [event] = await publishCreated(db.store, ws, "records.sync.failed");
    await insertAttempt(db.store, event!);
    await rawDb(db.store).deleteFrom("webhook_endpoints").where("id", "=", endpoint.id).execute();
    const raw = rawDb(db.store);
    expect(await raw.selectFrom("events").select("id").where("id", "=", event!.id).execute()).toEqual([]);
    expect(await raw.selectFrom("event_attempts").select("id").where("event_id", "=", event!.id).execute()).toEqual([]);
  });
});
