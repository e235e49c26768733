import { constructEvent } from "@medblocks/connect";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { createTestDatabase, describeEachDatabase, describePostgres, type TestDatabase } from "../support/databases.js";
import { answer, startReceiver, type Behaviour, type TestReceiver } from "../support/receiver.js";
import { startTestService, type TestService } from "../support/service.js";
import { sleep, waitUntil } from "../support/wait.js";

const fact = (n: number) => ({ type: "records.sync.completed", data: { object: { resource_type: "records_sync", patient_id: `p_${n}`, connection_id: "conn_1", total: n, errors: 0, duration_ms: 12 } } });
const after = (ms: number, status: number): Behaviour => (_request, response) => void setTimeout(() => response.writeHead(status).end(String(status)), ms);

/**
 * End to end, on SQLite and PostgreSQL: events already claimed for an endpoint (waiting behind its
 * cap of one attempt on the wire) when that endpoint is disabled, deleted or moved are not sent as
 * they were claimed.
 */
describeEachDatabase("delivery after an endpoint changes", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let receiver: TestReceiver;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_ENDPOINT_CONCURRENCY: "1", MEDBLOCKS_RETRY_SCHEDULE: "0,1h", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "2000" });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await db?.dispose();
  });

  /** A fresh organization, its endpoint at `path` on the receiver, and `count` events published to it. */
  async function backlog(path: string, count: number) {
    const key = await api.mintKey(`org-${Math.random().toString(36).slice(2)}`);
    const created = await api.request("POST", "/webhooks", { key, body: { url: `${receiver.url}${path}`, events: ["*"] } });
    expect(created.status).toBe(200);
    const ids: string[] = [];
    for (let n = 0; n < count; n++) ids.push((await api.request("POST", "/events", { key, body: fact(n) })).body.data[0].id);
    return { key, endpointId: created.body.id as string, secret: created.body.secret as string, ids };
  }
  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);

  test("after a 410 nothing more is sent; the events claimed behind it wait parked and go out on resume", async () => {
    receiver.respondWith((request, response) => (request.url === "/gone" ? after(300, 410)(request, response, "") : answer(200, "ok")(request, response, "")));
    const { key, endpointId, ids } = await backlog("/gone", 6);
    await waitUntil(async () => (await api.request("GET", `/webhooks/${endpointId}`, { key })).body.status === "disabled", 5_000);
    await sleep(700);
    // The first attempt answered 410; none of the five claimed behind it went out.
    expect(requestsTo("/gone")).toHaveLength(1);
    for (const id of ids.slice(1)) expect((await api.request("GET", `/events/${id}`, { key })).body).toMatchObject({ attempts: 0, next_attempt_at: null });

    receiver.respondWith(answer(200, "ok"));
    expect((await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "active" } })).status).toBe(200);
    await waitUntil(async () => {
      const records = await Promise.all(ids.slice(1).map(async (id) => (await api.request("GET", `/events/${id}`, { key })).body));
      return records.every((r) => r.delivered_at !== null);
    }, 10_000);
    expect(requestsTo("/gone")).toHaveLength(6);
  });

  test("disabling or deleting the endpoint stops its claimed events; the attempt on the wire finishes", async () => {
    receiver.respondWith(after(300, 500));
    for (const [path, change] of [
      ["/paused", (key: string, id: string) => api.request("PATCH", `/webhooks/${id}`, { key, body: { status: "disabled" } })],
      ["/deleted", (key: string, id: string) => api.request("DELETE", `/webhooks/${id}`, { key })],
    ] as const) {
      const { key, endpointId } = await backlog(path, 6);
      await waitUntil(() => requestsTo(path).length === 1, 5_000, 5);
      expect((await change(key, endpointId)).status).toBe(200);
      await sleep(900);
      expect(requestsTo(path), path).toHaveLength(1);
    }
  });

  test("a new URL: the events claimed behind the endpoint go to it, not to the old one", async () => {
    receiver.respondWith(after(300, 200));
    const { key, endpointId, ids } = await backlog("/old", 4);
    await waitUntil(() => requestsTo("/old").length === 1, 5_000, 5);
    expect((await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { url: `${receiver.url}/new` } })).status).toBe(200);
    await waitUntil(() => requestsTo("/new").length === 3, 10_000);
    expect(requestsTo("/old")).toHaveLength(1);
    expect(new Set([...requestsTo("/old"), ...requestsTo("/new")].map((r) => r.headers["webhook-id"]))).toEqual(new Set(ids));
  });

  test("a new secret with no grace: the events claimed behind the endpoint are signed with it alone", async () => {
    receiver.respondWith(after(300, 200));
    const { key, endpointId, secret: old } = await backlog("/rotated", 4);
    await waitUntil(() => requestsTo("/rotated").length === 1, 5_000, 5);
    const rotated = await api.request("POST", `/webhooks/${endpointId}/rotate-secret`, { key, body: { expires_in: 0 } });
    expect(rotated.status).toBe(200);
    await waitUntil(() => requestsTo("/rotated").length === 4, 10_000);
    const [first, ...rest] = requestsTo("/rotated");
    const signature = (request: typeof first) => request!.headers["medblocks-signature"] as string;
    await expect(constructEvent(first!.body, signature(first), old)).resolves.toBeDefined();
    for (const request of rest) {
      await expect(constructEvent(request.body, signature(request), rotated.body.secret)).resolves.toBeDefined();
      await expect(constructEvent(request.body, signature(request), old)).rejects.toThrow();
    }
  });

  test("when other processes cannot be told of a change, the change stands and the failure is logged", async () => {
    const { key, endpointId } = await backlog("/unannounced", 0);
    const announce = vi.spyOn(api.service.store, "announceEndpointChanged").mockRejectedValue(new Error("notification channel down"));
    try {
      const patched = await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "disabled" } });
      expect(patched).toMatchObject({ status: 200, body: { status: "disabled" } });
      const line = await waitUntil(() => api.logs.find((l) => l.includes("could not tell other processes")), 2_000);
      expect(JSON.parse(line)).toMatchObject({ level: 40, endpoint_id: endpointId, err: { message: "notification channel down" } });
      expect(announce).toHaveBeenCalledWith(endpointId);
    } finally {
      announce.mockRestore();
    }
  });
});

describePostgres("delivery after an endpoint changes in another process", () => {
  let db: TestDatabase;
  let api: TestService;
  let worker: TestService;
  let receiver: TestReceiver;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    api = await startTestService(db, { MEDBLOCKS_ROLE: "api" });
    worker = await startTestService(db, { MEDBLOCKS_ROLE: "worker", MEDBLOCKS_ENDPOINT_CONCURRENCY: "1", MEDBLOCKS_RETRY_SCHEDULE: "0,1h", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "2000" });
    receiver = await startReceiver(after(300, 500));
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await receiver?.close();
    await db?.dispose();
  });

  test("disabling an endpoint through the API stops the claims a worker process holds for it", async () => {
    const key = await api.mintKey("acme");
    const created = await api.request("POST", "/webhooks", { key, body: { url: `${receiver.url}/elsewhere`, events: ["*"] } });
    for (let n = 0; n < 6; n++) await api.request("POST", "/events", { key, body: fact(n) });
    await waitUntil(() => receiver.requests.length === 1, 5_000, 5);
    expect((await api.request("PATCH", `/webhooks/${created.body.id}`, { key, body: { status: "disabled" } })).status).toBe(200);
    await sleep(900);
    expect(receiver.requests).toHaveLength(1);
  });
});
