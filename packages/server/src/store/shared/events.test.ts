import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { addEndpoint, newWorkspace, otherMode, publishCreated, rawDb } from "../../../test/support/store-fixtures.js";
import type { EventRow, Workspace } from "../store.js";

describeEachDatabase("store events", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** One endpoint subscribed to exactly `types`, with one event per entry, oldest first. */
  async function endpointWithEvents(ws: Workspace, types: string[]) {
    const endpoint = await addEndpoint(db.store, ws, { events: [...new Set(types)] });
    const events: EventRow[] = [];
    for (const type of types) events.push(...(await publishCreated(db.store, ws, type)));
    return { endpoint, events };
  }

  const markDelivered = (event: EventRow, at: number) =>
    rawDb(db.store)
      .updateTable("events")
      .set({ delivered_at: at, next_attempt_at: null, attempts: 1, last_status_code: 204 })
      .where("id", "=", event.id)
      .execute();

  test("findEvent returns the workspace's record and nothing of another's", async () => {
    const ws = await newWorkspace(db.store);
    const { events } = await endpointWithEvents(ws, ["records.sync.completed"]);
    const event = events[0]!;
    expect(await db.store.findEvent(ws, event.id)).toEqual(event);
    expect(await db.store.findEvent(otherMode(ws), event.id)).toBeUndefined();
    expect(await db.store.findEvent(await newWorkspace(db.store), event.id)).toBeUndefined();
    expect(await db.store.findEvent(ws, "evt_missing")).toBeUndefined();
  });

  test("the lease columns exist for the delivery engine and stay out of the record", async () => {
    const ws = await newWorkspace(db.store);
    const { events } = await endpointWithEvents(ws, ["records.sync.completed"]);
    await rawDb(db.store)
      .updateTable("events")
      .set({ lease_owner: "worker-1", lease_expires_at: 1_750_000_030_000 })
      .where("id", "=", events[0]!.id)
      .execute();
    const read = await db.store.findEvent(ws, events[0]!.id);
    expect(read).toEqual(events[0]);
    expect(Object.keys(read!)).not.toContain("leaseOwner");
  });

  test("listEndpointEvents pages one endpoint's events newest first", async () => {
    const ws = await newWorkspace(db.store);
    const { endpoint, events } = await endpointWithEvents(ws, Array(5).fill("records.sync.completed"));
    // Events of a sibling endpoint, newer than all of these, never appear.
    await endpointWithEvents(ws, ["records.sync.failed"]);
    const newestFirst = events.map((e) => e.id).reverse();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await db.store.listEndpointEvents(ws, endpoint.id, {
        limit: 2,
        ...(cursor === undefined ? {} : { startingAfter: cursor }),
      });
      pages += 1;
      seen.push(...page.data.map((e) => e.id));
      if (!page.hasMore) break;
      cursor = page.data.at(-1)!.id;
    }
    expect(seen).toEqual(newestFirst);
    expect(pages).toBe(3);

    const one = await db.store.listEndpointEvents(ws, endpoint.id, { limit: 1 });
    expect(one).toEqual({ data: [events[4]], hasMore: true });
    expect(await db.store.listEndpointEvents(ws, endpoint.id, { limit: 5 })).toMatchObject({ hasMore: false });
    expect(await db.store.listEndpointEvents(ws, endpoint.id, { limit: 5, startingAfter: events[0]!.id })).toEqual({
      data: [],
      hasMore: false,
    });
  });

  test("listEndpointEvents filters by delivery state and type", async () => {
    const ws = await newWorkspace(db.store);
    const { endpoint, events } = await endpointWithEvents(ws, [
      "records.sync.completed",
      "records.sync.failed",
      "records.sync.completed",
    ]);
    await markDelivered(events[0]!, 1_750_000_000_900);
    const ids = async (query: { delivered?: boolean; type?: string }) =>
      (await db.store.listEndpointEvents(ws, endpoint.id, { limit: 10, ...query })).data.map((e) => e.id);

    expect(await ids({ delivered: true })).toEqual([events[0]!.id]);
    expect(await ids({ delivered: false })).toEqual([events[2]!.id, events[1]!.id]);
    expect(await ids({ type: "records.sync.completed" })).toEqual([events[2]!.id, events[0]!.id]);
    expect(await ids({ type: "records.sync.completed", delivered: false })).toEqual([events[2]!.id]);
    expect(await ids({ type: "patient_flow.completed" })).toEqual([]);
    const delivered = await db.store.findEvent(ws, events[0]!.id);
    expect(delivered).toMatchObject({ deliveredAt: 1_750_000_000_900, nextAttemptAt: null, attempts: 1, lastStatusCode: 204 });
  });

  test("another workspace listing the endpoint's events gets nothing, whatever the cursor", async () => {
    const ws = await newWorkspace(db.store);
    const { endpoint, events } = await endpointWithEvents(ws, ["records.sync.completed", "records.sync.failed"]);
    const stranger = await newWorkspace(db.store);
    const theirs = await endpointWithEvents(stranger, ["records.sync.completed"]);
    for (const other of [stranger, otherMode(ws)]) {
      expect(await db.store.listEndpointEvents(other, endpoint.id, { limit: 10 })).toEqual({ data: [], hasMore: false });
    }
    // A cursor taken from another workspace only positions the scan.
    const page = await db.store.listEndpointEvents(ws, endpoint.id, { limit: 10, startingAfter: theirs.events[0]!.id });
    expect(page.data.map((e) => e.id)).toEqual([events[1]!.id, events[0]!.id]);
  });
});
