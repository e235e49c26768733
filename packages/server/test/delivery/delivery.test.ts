import Stripe from "stripe";
import { constructEvent } from "@medblocks/connect";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { answer, hang, reset, startReceiver, type TestReceiver } from "../support/receiver.js";
import { startTestService, type TestService } from "../support/service.js";
import { sleep, waitUntil } from "../support/wait.js";

const stripe = new Stripe("sk_test_unused");
const fact = (n = 1) => ({ type: "records.sync.completed", data: { object: { resource_type: "records_sync", patient_id: `p_${n}`, connection_id: "conn_1", total: n, errors: 0, duration_ms: 12 } } });

/** End to end: the real service delivering to real receivers on 127.0.0.1, on SQLite and PostgreSQL. */
describeEachDatabase("delivery", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let receiver: TestReceiver;
  let key: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_RETRY_SCHEDULE: "0,300ms,600ms", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "500" });
    receiver = await startReceiver();
  });
  afterEach(() => receiver.respondWith(answer(200, "ok")));
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await db?.dispose();
  });

  /** A fresh organization with one endpoint pointing at the receiver (or `url`). */
  async function endpoint(url = `${receiver.url}/hook`) {
    key = await api.mintKey(`org-${Math.random().toString(36).slice(2)}`);
    const created = await api.request("POST", "/webhooks", { key, body: { url, events: ["*"] } });
    expect(created.status).toBe(200);
    return created.body as { id: string; secret: string };
  }
  const publish = async (n = 1) => (await api.request("POST", "/events", { key, body: fact(n) })).body.data[0] as { id: string };
  const record = async (id: string) => (await api.request("GET", `/events/${id}`, { key })).body;
  const attempts = async (id: string) => (await api.request("GET", `/events/${id}/attempts?limit=100`, { key })).body.data as any[];
  const deliveriesOf = (id: string) => receiver.requests.filter((r) => r.headers["webhook-id"] === id);

  test("a published event is delivered within milliseconds, signed, and logged", async () => {
    const { secret } = await endpoint();
    const publishedAt = Date.now();
    const { id } = await publish();
    await waitUntil(() => deliveriesOf(id).length === 1, 5_000, 5);
    const [delivery] = deliveriesOf(id);
    expect(delivery!.receivedAt - publishedAt).toBeLessThan(1_000);
    const event = await constructEvent(delivery!.body, delivery!.headers["medblocks-signature"] as string, secret);
    expect(event).toMatchObject({ id, object: "event", type: "records.sync.completed", api_version: "2026-04-25" });
    expect(stripe.webhooks.constructEvent(delivery!.body, delivery!.headers["medblocks-signature"] as string, secret)).toMatchObject({ id });

    const done = await waitUntil(async () => {
      const r = await record(id);
      return r.delivered_at ? r : null;
    });
    expect(done).toMatchObject({ attempts: 1, next_attempt_at: null, last_status_code: 200, last_response_body: "ok" });
    const log = await attempts(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ resource_type: "event_attempt", event_id: id, attempt: 1, trigger: "automatic", status_code: 200, outcome: "delivered", error: null, response_body: "ok" });
    expect(log[0].duration_ms).toBeGreaterThanOrEqual(0);
  });

  test("an answer with a NUL in its body is recorded, the NUL kept as U+FFFD", async () => {
    await endpoint();
    receiver.respondWith(answer(200, "ok\0"));
    const { id } = await publish();
    const done = await waitUntil(async () => {
      const r = await record(id);
      return r.delivered_at ? r : null;
    });
    expect(done).toMatchObject({ attempts: 1, next_attempt_at: null, last_status_code: 200, last_response_body: "ok\uFFFD" });
    expect(await attempts(id)).toMatchObject([{ attempt: 1, outcome: "delivered", status_code: 200, response_body: "ok\uFFFD" }]);
    expect(deliveriesOf(id)).toHaveLength(1);
  });

  test("fail, fail, succeed: three attempts spaced by the schedule, the same event id each time", async () => {
    await endpoint();
    let calls = 0;
    receiver.respondWith((_req, res) => {
      calls++;
      res.writeHead(calls < 3 ? 500 : 200).end(calls < 3 ? "not yet" : "ok");
    });
    const { id } = await publish();
    await waitUntil(async () => (await record(id)).delivered_at, 10_000);
    const got = deliveriesOf(id);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => JSON.parse(r.body).id))).toEqual(new Set([id]));
    const gap1 = got[1]!.receivedAt - got[0]!.receivedAt;
    const gap2 = got[2]!.receivedAt - got[1]!.receivedAt;
    expect(gap1).toBeGreaterThanOrEqual(290);
    expect(gap1).toBeLessThan(1_300);
    expect(gap2).toBeGreaterThanOrEqual(590);
    expect(gap2).toBeLessThan(1_600);
    // Each attempt is signed anew with its own time.
    expect(got.map((r) => r.headers["webhook-timestamp"])).toEqual([...got.map((r) => r.headers["webhook-timestamp"])].sort());
    const log = await attempts(id);
    expect(log.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, "http_error", 500],
      [2, "http_error", 500],
      [3, "delivered", 200],
    ]);
    expect(log[0].response_body).toBe("not yet");
    expect(await record(id)).toMatchObject({ attempts: 3, last_status_code: 200, next_attempt_at: null });
  });

  test("exhaustion disables the endpoint; new facts wait unscheduled; re-enable and recover sends them", async () => {
    const { id: endpointId } = await endpoint();
    receiver.respondWith(answer(503, "down"));
    const { id } = await publish();
    const exhausted = await waitUntil(async () => {
      const r = await record(id);
      return r.attempts === 3 && r.next_attempt_at === null ? r : null;
    });
    expect(exhausted.delivered_at).toBeNull();
    const disabled = await waitUntil(async () => {
      const e = (await api.request("GET", `/webhooks/${endpointId}`, { key })).body;
      return e.status === "disabled" ? e : null;
    });
    expect(disabled.status).toBe("disabled");
    expect(deliveriesOf(id)).toHaveLength(3);

    const later = await publish(2);
    expect(await record(later.id)).toMatchObject({ attempts: 0, next_attempt_at: null });
    const conflict = await api.request("POST", `/events/${later.id}/redeliver`, { key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("endpoint_disabled");
    const recoverWhileDisabled = await api.request("POST", `/webhooks/${endpointId}/recover`, { key, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(recoverWhileDisabled.status).toBe(409);
    await sleep(400);
    expect(deliveriesOf(later.id)).toHaveLength(0);

    receiver.respondWith(answer(200, "back"));
    expect((await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "active" } })).body.status).toBe("active");
    const recovered = await api.request("POST", `/webhooks/${endpointId}/recover`, { key, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(recovered.status).toBe(200);
    expect(recovered.body).toEqual({ enqueued: 2 });
    await waitUntil(async () => (await record(id)).delivered_at && (await record(later.id)).delivered_at);
    expect(deliveriesOf(later.id)).toHaveLength(1);
    expect(await record(id)).toMatchObject({ attempts: 4, last_status_code: 200 });
  });

  test("a paused endpoint keeps its pending events in place; resuming sends the overdue ones at once", async () => {
    await api.close();
    api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_RETRY_SCHEDULE: "0,1s,1s", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "500" });
    const { id: endpointId } = await endpoint();
    receiver.respondWith(answer(500));
    const { id } = await publish();
    await waitUntil(async () => (await record(id)).attempts === 1);
    await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "disabled" } });
    expect((await record(id)).next_attempt_at).toBeNull();
    await sleep(1_300);
    expect(deliveriesOf(id)).toHaveLength(1);
    receiver.respondWith(answer(204));
    const resumedAt = Date.now();
    await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "active" } });
    await waitUntil(() => deliveriesOf(id).length === 2, 2_000, 5);
    expect(deliveriesOf(id)[1]!.receivedAt - resumedAt).toBeLessThan(500);
    await waitUntil(async () => (await record(id)).delivered_at);
  });

  test("410 Gone disables the endpoint after one attempt", async () => {
    const { id: endpointId } = await endpoint();
    receiver.respondWith(answer(410, "gone"));
    const { id } = await publish();
    await waitUntil(async () => (await api.request("GET", `/webhooks/${endpointId}`, { key })).body.status === "disabled");
    await sleep(500);
    expect(deliveriesOf(id)).toHaveLength(1);
    expect((await attempts(id))[0]).toMatchObject({ outcome: "http_error", status_code: 410 });
  });

  test.each([
    ["a receiver that hangs", "timeout", null, hang],
    ["a reset connection", "connection_error", null, reset],
    ["a redirect", "http_error", 301, answer(301, "", { location: "https://example.com/elsewhere" })],
    ["a 10 MB answer from a 500", "http_error", 500, answer(500, Buffer.alloc(10 * 1024 * 1024, "y"))],
  ] as const)("%s is a failed attempt: %s", async (_label, outcome, status, behaviour) => {
    await endpoint();
    receiver.respondWith(behaviour);
    const { id } = await publish();
    const [first] = await waitUntil(async () => {
      const log = await attempts(id);
      return log.length > 0 ? log : null;
    });
    expect(first).toMatchObject({ outcome, status_code: status, attempt: 1 });
    if (outcome !== "http_error") expect(first.error).toBeTruthy();
    if (status === 500) expect(first.response_body).toHaveLength(4096);
    const current = await record(id);
    expect(current.delivered_at).toBeNull();
    expect(current.last_status_code).toBe(status);
    receiver.respondWith(answer(200));
    await waitUntil(async () => (await record(id)).delivered_at);
  });

  test("rotation grace: both secrets sign until the old one expires; stripe accepts either", async () => {
    const { id: endpointId, secret: oldSecret } = await endpoint();
    const rotated = await api.request("POST", `/webhooks/${endpointId}/rotate-secret`, { key, body: { expires_in: 600 } });
    const newSecret = rotated.body.secret as string;
    const { id } = await publish();
    await waitUntil(() => deliveriesOf(id).length === 1);
    const [delivery] = deliveriesOf(id);
    const header = delivery!.headers["medblocks-signature"] as string;
    expect(header.match(/,v1=/g)).toHaveLength(2);
    for (const secret of [newSecret, oldSecret]) {
      expect(stripe.webhooks.constructEvent(delivery!.body, header, secret)).toMatchObject({ id });
      expect((await constructEvent(delivery!.body, header, secret)).id).toBe(id);
    }
    expect((delivery!.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);

    await api.request("POST", `/webhooks/${endpointId}/rotate-secret`, { key, body: { expires_in: 0 } });
    const second = await publish(2);
    await waitUntil(() => deliveriesOf(second.id).length === 1);
    const single = deliveriesOf(second.id)[0]!.headers["medblocks-signature"] as string;
    expect(single.match(/v1=/g)).toHaveLength(1);
    expect(() => stripe.webhooks.constructEvent(deliveriesOf(second.id)[0]!.body, single, newSecret)).toThrow();
  });

  test("redeliver: one manual attempt within the request, then 429 with Retry-After for a minute", async () => {
    await endpoint();
    const { id } = await publish();
    await waitUntil(async () => (await record(id)).delivered_at);
    receiver.respondWith(answer(202, "again"));
    const redelivered = await api.request("POST", `/events/${id}/redeliver`, { key });
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ id, attempts: 2, last_status_code: 202, last_response_body: "again" });
    expect(Date.parse(redelivered.body.last_redelivered_at)).toBeGreaterThan(Date.now() - 5_000);
    expect(deliveriesOf(id)).toHaveLength(2);
    expect((await attempts(id)).map((a) => [a.attempt, a.trigger])).toEqual([
      [1, "automatic"],
      [2, "manual"],
    ]);
    const throttled = await api.request("POST", `/events/${id}/redeliver`, { key });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toMatchObject({ type: "rate_limit_error", code: "throttled" });
    const retryAfter = Number(throttled.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(deliveriesOf(id)).toHaveLength(2);
    expect((await api.request("POST", "/events/evt_01J9YR9N3X4VZ6P2K5RH7M3LMP/redeliver", { key })).status).toBe(404);
  });

  test("redeliver with an Idempotency-Key: a retry replays the attempt's answer; a throttled answer is not kept", async () => {
    await endpoint();
    const { id } = await publish();
    await waitUntil(async () => (await record(id)).delivered_at);
    const first = await api.request("POST", `/events/${id}/redeliver`, { key, headers: { "Idempotency-Key": "redeliver-1" } });
    expect(first.status).toBe(200);
    const retried = await api.request("POST", `/events/${id}/redeliver`, { key, headers: { "Idempotency-Key": "redeliver-1" } });
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expect(deliveriesOf(id)).toHaveLength(2);
    // Throttled under a new key: a 429 is what clients retry with the same key, so it is not replayed.
    for (let i = 0; i < 2; i++) {
      const throttled = await api.request("POST", `/events/${id}/redeliver`, { key, headers: { "Idempotency-Key": "redeliver-2" } });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(deliveriesOf(id)).toHaveLength(2);
  });

  test("a failed manual redelivery is logged and leaves the automatic schedule alone", async () => {
    await endpoint();
    receiver.respondWith(answer(500));
    const { id } = await publish();
    await waitUntil(async () => (await record(id)).attempts === 1);
    const before = await record(id);
    const redelivered = await api.request("POST", `/events/${id}/redeliver`, { key });
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ attempts: 2, delivered_at: null, last_status_code: 500 });
    expect(redelivered.body.next_attempt_at).toBe(before.next_attempt_at);
    receiver.respondWith(answer(200));
    await waitUntil(async () => (await record(id)).delivered_at);
  });

  test("a manual redelivery answered 410 disables the endpoint; its pending events wait, parked, until it is resumed", async () => {
    const { id: endpointId } = await endpoint();
    const { id: done } = await publish(1);
    await waitUntil(async () => (await record(done)).delivered_at);
    // From now on the receiver is gone for the redelivered event; the other one is asked to come back in a minute.
    receiver.respondWith((request, response) => {
      if (request.headers["webhook-id"] === done) response.writeHead(410).end("gone");
      else response.writeHead(503, { "retry-after": "60" }).end("later");
    });
    const { id: pending } = await publish(2);
    await waitUntil(async () => (await record(pending)).attempts === 1);
    const scheduled = (await record(pending)).next_attempt_at;
    expect(Date.parse(scheduled)).toBeGreaterThan(Date.now() + 50_000);

    const redelivered = await api.request("POST", `/events/${done}/redeliver`, { key });
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ id: done, attempts: 2, last_status_code: 410 });
    expect((await api.request("GET", `/webhooks/${endpointId}`, { key })).body.status).toBe("disabled");
    expect(await record(pending)).toMatchObject({ attempts: 1, next_attempt_at: null });
    expect((await attempts(done)).map((a) => [a.trigger, a.status_code])).toEqual([
      ["automatic", 200],
      ["manual", 410],
    ]);

    expect((await api.request("PATCH", `/webhooks/${endpointId}`, { key, body: { status: "active" } })).status).toBe(200);
    expect((await record(pending)).next_attempt_at).toBe(scheduled);
  });

  test("a hanging endpoint does not delay a fast one", async () => {
    const slow = await startReceiver(hang);
    try {
      await endpoint(`${slow.url}/hook`);
      const slowKey = key;
      for (let i = 0; i < 30; i++) await api.request("POST", "/events", { key: slowKey, body: fact(i) });
      await endpoint();
      const start = Date.now();
      const fast: string[] = [];
      for (let i = 0; i < 20; i++) fast.push((await publish(i)).id);
      await waitUntil(() => fast.every((id) => deliveriesOf(id).length > 0), 5_000, 5);
      // The fast endpoint is served while the slow one still holds its slots (timeout 500 ms).
      expect(Date.now() - start).toBeLessThan(1_500);
      // The slow endpoint never had more than its cap (8) in flight: none of the first batch was
      // answered, so a ninth request could only come after the first ones timed out.
      const first = slow.requests[0]!.receivedAt;
      expect(slow.requests.filter((r) => r.receivedAt < first + 400).length).toBeLessThanOrEqual(8);
    } finally {
      await slow.close();
    }
  });

  test("a deleted endpoint gets nothing more", async () => {
    const { id: endpointId } = await endpoint();
    receiver.respondWith(answer(500));
    const { id } = await publish();
    await waitUntil(() => deliveriesOf(id).length === 1);
    await api.request("DELETE", `/webhooks/${endpointId}`, { key });
    await sleep(800);
    expect(deliveriesOf(id)).toHaveLength(1);
  });

  test("metrics count attempts by outcome and report the queue", async () => {
    const metrics = (await api.request("GET", "/metrics", { key: null })).text;
    expect(metrics).toMatch(/medblocks_delivery_attempts_total\{outcome="delivered"\} [1-9]/);
    expect(metrics).toMatch(/medblocks_delivery_attempt_duration_seconds_bucket/);
    expect(metrics).toMatch(/medblocks_delivery_queue_due \d+/);
    expect(metrics).toMatch(/medblocks_delivery_queue_oldest_due_age_seconds \d/);
    expect(metrics).toMatch(/medblocks_delivery_in_flight \d+/);
  });
});
