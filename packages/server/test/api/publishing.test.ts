import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

const flow = { id: "pf_123", resource_type: "patient_flow", status: "complete", patient_id: "user_42", metadata: { é: "ü" } };
const fact = { type: "patient_flow.completed", data: { object: flow } };

describeEachDatabase("publishing and event records API", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let key: string;
  const endpoints: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db);
    key = await api.mintKey("publisher");
    const make = async (name: string, events: string[]) =>
      (endpoints[name] = (await api.request("POST", "/webhooks", { key, body: { url: `https://hooks.example.com/${name}`, events } })).body.id);
    await make("all", ["*"]);
    await make("flows", ["patient_flow.completed"]);
    await make("syncs", ["records.sync.completed", "records.sync.failed"]);
    await make("paused", ["patient_flow.completed"]);
    await api.request("PATCH", `/webhooks/${endpoints.paused}`, { key, body: { status: "disabled" } });
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  test("POST /events fans out to every subscribed endpoint; disabled ones get an unscheduled record", async () => {
    const before = Date.now();
    const response = await api.request("POST", "/events", { key, body: fact });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ resource_type: "list", has_more: false, next_cursor: null });
    const records = response.body.data as any[];
    expect(records.map((r) => r.webhook_endpoint_id).sort()).toEqual([endpoints.all, endpoints.flows, endpoints.paused].sort());
    expect(new Set(records.map((r) => r.id)).size).toBe(3);
    for (const record of records) {
      expect(record).toMatchObject({
        resource_type: "event",
        type: "patient_flow.completed",
        data: { object: flow },
        api_version: "2026-04-25",
        attempts: 0,
        delivered_at: null,
        last_status_code: null,
        last_response_body: null,
        last_redelivered_at: null,
      });
      expect(record.id).toMatch(/^evt_[0-9A-Z]{26}$/);
      expect(Date.parse(record.created_at)).toBeGreaterThanOrEqual(before - 5);
      if (record.webhook_endpoint_id === endpoints.paused) expect(record.next_attempt_at).toBeNull();
      else expect(record.next_attempt_at).toBe(record.created_at);
    }

    // The stored body is the envelope of SPEC §2, keys in order, byte for byte what is delivered;
    // each endpoint's has its own id.
    const ws = { organizationId: (await db.store.findOrganizationByName("publisher"))!.id, mode: "sandbox" as const };
    for (const record of records) {
      const row = await db.store.findEvent(ws, record.id);
      expect(row!.payload).toBe(
        JSON.stringify({ id: record.id, object: "event", type: fact.type, api_version: "2026-04-25", created_at: record.created_at, data: { object: flow } }),
      );
    }

    const retrieved = await api.request("GET", `/events/${records[0].id}`, { key });
    expect(retrieved.body).toEqual(records[0]);
    const attempts = await api.request("GET", `/events/${records[0].id}/attempts`, { key });
    expect(attempts.body).toEqual({ resource_type: "list", data: [], has_more: false, next_cursor: null });
  });

  test("a fact nobody subscribes to creates nothing", async () => {
    const other = await api.mintKey("lonely-org");
    const response = await api.request("POST", "/events", { key: other, body: fact });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([]);
  });

  test("endpoint event listings filter by type and delivery state", async () => {
    await api.request("POST", "/events", { key, body: { type: "records.sync.failed", data: { object: { resource_type: "records_sync", patient_id: "p", connection_id: "c", error_message: "boom" } } } });
    const all = await api.request("GET", `/webhooks/${endpoints.all}/events?limit=100`, { key });
    expect(all.status).toBe(200);
    const types = all.body.data.map((r: { type: string }) => r.type);
    expect(types[0]).toBe("records.sync.failed");
    expect(types).toContain("patient_flow.completed");
    const failedOnly = await api.request("GET", `/webhooks/${endpoints.all}/events?type=records.sync.failed`, { key });
    expect(failedOnly.body.data.every((r: { type: string }) => r.type === "records.sync.failed")).toBe(true);
    expect(failedOnly.body.data.length).toBeGreaterThan(0);
    const undelivered = await api.request("GET", `/webhooks/${endpoints.all}/events?delivered=false&limit=100`, { key });
    expect(undelivered.body.data).toHaveLength(all.body.data.length);
    const delivered = await api.request("GET", `/webhooks/${endpoints.all}/events?delivered=true`, { key });
    expect(delivered.body.data).toEqual([]);
    const bad = await api.request("GET", `/webhooks/${endpoints.all}/events?delivered=yes`, { key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("delivered");
  });

  test("Idempotency-Key: the same key and body replays the first result and creates nothing", async () => {
    const headers = { "Idempotency-Key": `order-${kind}-1` };
    const first = await api.request("POST", "/events", { key, body: fact, headers });
    const second = await api.request("POST", "/events", { key, body: fact, headers });
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.data.map((r: { id: string }) => r.id)).toEqual(first.body.data.map((r: { id: string }) => r.id));
    const listed = await api.request("GET", `/webhooks/${endpoints.flows}/events?limit=100`, { key });
    expect(listed.body.data.filter((r: { id: string }) => first.body.data.some((f: { id: string }) => f.id === r.id))).toHaveLength(1);

    const conflict = await api.request("POST", "/events", { key, body: { ...fact, data: { object: { ...flow, id: "pf_other" } } }, headers });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({ type: "conflict_error", code: "resource_conflict" });

    // Keys are per workspace: another organization may use the same key for its own fact.
    const other = await api.mintKey("other-publisher");
    expect((await api.request("POST", "/events", { key: other, body: fact, headers })).headers.get("idempotent-replayed")).toBeNull();

    const badKey = await api.request("POST", "/events", { key, body: fact, headers: { "Idempotency-Key": "x".repeat(256) } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.param).toBe("Idempotency-Key");
  });

  test.each([
    [{ type: "patient_flow.created", data: { object: {} } }, "type"],
    [{ type: "patient_flow.completed" }, "data"],
    [{ type: "patient_flow.completed", data: {} }, "data.object"],
    [{ type: "patient_flow.completed", data: { object: [] } }, "data.object"],
    [{ type: "patient_flow.completed", data: { object: "x" } }, "data.object"],
    [{ type: "patient_flow.completed", data: { object: {}, extra: 1 } }, "data.extra"],
    [{ type: 5, data: { object: {} } }, "type"],
  ])("invalid fact %j → 400 param %s", async (body, param) => {
    const response = await api.request("POST", "/events", { key, body });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_data", param });
  });

  test("live keys may not publish unless the operator allows it", async () => {
    const live = await api.mintKey("publisher", "live");
    const response = await api.request("POST", "/events", { key: live, body: fact });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ type: "permission_error", code: "forbidden" });
    expect(response.body.error.message).toContain("MEDBLOCKS_LIVE_PUBLISH");

    const permissive = await startTestService(db, { MEDBLOCKS_LIVE_PUBLISH: "true" });
    try {
      const allowed = await permissive.request("POST", "/events", { key: live, body: fact });
      expect(allowed.status).toBe(200);
      // Live and sandbox are separate workspaces: the sandbox endpoints above receive nothing.
      expect(allowed.body.data).toEqual([]);
    } finally {
      await permissive.close();
    }
  });

  test("in-process publish reaches live workspaces without an API key", async () => {
    const live = await api.mintKey("platform-org", "live");
    const endpoint = (await api.request("POST", "/webhooks", { key: live, body: { url: "https://hooks.example.com/live", events: ["*"] } })).body;
    const organization = await db.store.findOrganizationByName("platform-org");
    const published = await api.service.publish({ organizationId: organization!.id, mode: "live" }, fact);
    expect(published.replayed).toBe(false);
    expect(published.events.map((e) => e.endpointId)).toEqual([endpoint.id]);
  });

  test("in-process publish refuses a resource that serializes to nothing, and creates nothing", async () => {
    const organization = await db.store.findOrganizationByName("publisher");
    const ws = { organizationId: organization!.id, mode: "sandbox" as const };
    // The endpoint's newest event (listings are newest first) stays the newest.
    const newest = async () => (await api.request("GET", `/webhooks/${endpoints.all}/events?limit=1`, { key })).body.data[0]?.id;
    const before = await newest();
    expect(before).toBeDefined();
    const hollow = { type: "patient_flow.completed", data: { object: { toJSON: () => undefined } } };
    await expect(api.service.publish(ws, hollow)).rejects.toMatchObject({ code: "invalid_data", param: "data.object" });
    expect(await newest()).toBe(before);
  });

  test("unknown and foreign event ids answer 404", async () => {
    for (const id of ["evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", "evt_nope", "wh_01J9YR9N3X4VZ6P2K5RH7M3LMP", "%00", "..%2F..%2Fetc"]) {
      for (const path of [`/events/${id}`, `/events/${id}/attempts`]) {
        const response = await api.request("GET", path, { key });
        expect(response.status, path).toBe(404);
        expect(response.body.error.code).toBe("resource_not_found");
      }
    }
  });
});
