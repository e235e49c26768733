import { afterAll, beforeAll, expect, it } from "vitest";
import {
  Medblocks,
  MedblocksConflictError,
  MedblocksNotFoundError,
  MedblocksRateLimitError,
  fixtures,
  type WebhookEndpointWithSecret,
  type WebhookEventRecord,
} from "../src/index.node.js";
import {
  answer,
  createTestDatabase,
  describeEachDatabase,
  startReceiver,
  startTestService,
  type TestDatabase,
  type TestReceiver,
  type TestService,
} from "./support/server.js";
import { waitUntil } from "./support/wait.js";

// Every method of `mb.webhooks` and `mb.events` against the real service (real HTTP, real
// delivery to a receiver on 127.0.0.1), in the order an integrator meets them.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeEachDatabase("API client against the service", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let receiver: TestReceiver;
  let mb: Medblocks;
  let endpoint: WebhookEndpointWithSecret;
  let record: WebhookEventRecord;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_RETRY_SCHEDULE: "0,200ms", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "1000" });
    receiver = await startReceiver(answer(200, "thanks"));
    mb = new Medblocks(await api.mintKey("clinic"), { baseUrl: api.url });
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await db?.dispose();
  });

  const deliveriesOf = (id: string) => receiver.requests.filter((r) => r.headers["webhook-id"] === id);

  it("webhooks.create registers an endpoint and returns its secret, once", async () => {
    endpoint = await mb.webhooks.create({
      url: `${receiver.url}/medblocks`,
      events: ["patient_flow.completed"],
      description: "main receiver",
      metadata: { team: "care" },
    });
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^wh_[0-9A-Z]{26}$/),
      resource_type: "webhook_endpoint",
      url: `${receiver.url}/medblocks`,
      events: ["patient_flow.completed"],
      status: "active",
      description: "main receiver",
      metadata: { team: "care" },
      api_version: "2026-04-25",
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
  });

  it("webhooks.retrieve returns it without the secret", async () => {
    const { secret: _secret, ...withoutSecret } = endpoint;
    expect(await mb.webhooks.retrieve(endpoint.id)).toEqual(withoutSecret);
  });

  it("webhooks.update changes only the fields given; null clears the description", async () => {
    const updated = await mb.webhooks.update(endpoint.id, { description: null, events: ["patient_flow.completed", "records.sync.failed"] });
    expect(updated).toMatchObject({ id: endpoint.id, description: null, events: ["patient_flow.completed", "records.sync.failed"], metadata: { team: "care" } });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(endpoint.updated_at));
  });

  it("webhooks.list: await gives a page", async () => {
    const other = await mb.webhooks.create({ url: "https://hooks.example.com/other", events: ["*"] });
    const page = await mb.webhooks.list();
    expect(page).toMatchObject({ resource_type: "list", has_more: false, next_cursor: null });
    expect(page.data.map((e) => e.id)).toEqual([other.id, endpoint.id]);
    expect(page.data[0]).not.toHaveProperty("secret");
    expect((await mb.webhooks.list({ limit: 1 })).next_cursor).toBe(other.id);
    await mb.webhooks.delete(other.id);
  });

  it("events.publish creates a record per subscribed endpoint; the delivery verifies with the stored secret", async () => {
    const fact = fixtures.patientFlowCompleted({ patient_id: "user_42" });
    const page = await mb.events.publish(fact);
    expect(page).toMatchObject({ resource_type: "list", has_more: false, next_cursor: null });
    expect(page.data).toHaveLength(1);
    record = page.data[0]!;
    expect(record).toMatchObject({ resource_type: "event", webhook_endpoint_id: endpoint.id, type: "patient_flow.completed", attempts: 0 });
    if (record.type === "patient_flow.completed") expect(record.data.object.patient_id).toBe("user_42");

    await waitUntil(() => deliveriesOf(record.id).length === 1);
    const [delivery] = deliveriesOf(record.id);
    const event = await Medblocks.webhooks.constructEvent(delivery!.body, delivery!.headers["medblocks-signature"] as string, endpoint.secret);
    expect(event).toMatchObject({ id: record.id, type: "patient_flow.completed", data: { object: { patient_id: "user_42" } } });
  });

  it("events.retrieve shows the delivery; events.listAttempts its log", async () => {
    const delivered = await waitUntil(async () => {
      const r = await mb.events.retrieve(record.id);
      return r.delivered_at ? r : null;
    });
    expect(delivered).toMatchObject({ id: record.id, attempts: 1, next_attempt_at: null, last_status_code: 200, last_response_body: "thanks", last_redelivered_at: null });
    const attempts = await mb.events.listAttempts(record.id);
    expect(attempts.data).toEqual([
      {
        id: expect.stringMatching(/^att_/),
        resource_type: "event_attempt",
        event_id: record.id,
        attempt: 1,
        trigger: "automatic",
        started_at: expect.stringMatching(ISO),
        duration_ms: expect.any(Number),
        status_code: 200,
        outcome: "delivered",
        error: null,
        response_body: "thanks",
      },
    ]);
  });

  it("webhooks.listEvents filters by delivered and type", async () => {
    const ids = async (params: Parameters<Medblocks["webhooks"]["listEvents"]>[1]) =>
      (await mb.webhooks.listEvents(endpoint.id, params)).data.map((r) => r.id);
    expect(await ids({})).toEqual([record.id]);
    expect(await ids({ delivered: true })).toEqual([record.id]);
    expect(await ids({ delivered: false })).toEqual([]);
    expect(await ids({ type: "records.sync.failed" })).toEqual([]);
    expect(await ids({ type: "patient_flow.completed", delivered: true })).toEqual([record.id]);
  });

  it("webhooks.rotateSecret returns a new secret; with expires_in both secrets sign for a while", async () => {
    const rotated = await mb.webhooks.rotateSecret(endpoint.id, { expires_in: 600 });
    expect(rotated.id).toBe(endpoint.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const [next] = (await mb.events.publish(fixtures.recordsSyncFailed())).data;
    await waitUntil(() => deliveriesOf(next!.id).length === 1);
    const [delivery] = deliveriesOf(next!.id);
    const header = delivery!.headers["medblocks-signature"] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    for (const secret of [rotated.secret, endpoint.secret]) {
      expect((await Medblocks.webhooks.constructEvent(delivery!.body, header, secret)).id).toBe(next!.id);
    }
    endpoint = rotated;
    expect(await mb.webhooks.rotateSecret(endpoint.id)).not.toHaveProperty("secret", rotated.secret);
  });

  it("events.redeliver makes one attempt now, same event id; a second within 60 s is a 429 with retryAfter", async () => {
    const before = deliveriesOf(record.id).length;
    const redelivered = await mb.events.redeliver(record.id);
    expect(redelivered).toMatchObject({ id: record.id, attempts: 2, last_status_code: 200, last_redelivered_at: expect.stringMatching(ISO) });
    expect(deliveriesOf(record.id)).toHaveLength(before + 1);
    const attempts = await mb.events.listAttempts(record.id);
    expect(attempts.data.map((a) => [a.attempt, a.trigger, a.outcome])).toEqual([
      [1, "automatic", "delivered"],
      [2, "manual", "delivered"],
    ]);

    const error = await mb.events.redeliver(record.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedblocksRateLimitError);
    const throttled = error as MedblocksRateLimitError;
    expect(throttled).toMatchObject({ statusCode: 429, type: "rate_limit_error", code: "throttled", requestId: expect.stringMatching(/^req_/) });
    expect(throttled.retryAfter).toBeGreaterThanOrEqual(55);
    expect(throttled.retryAfter).toBeLessThanOrEqual(60);
    expect(deliveriesOf(record.id)).toHaveLength(before + 1);
  });

  it("a disabled endpoint: redeliver and recover are 409 endpoint_disabled; re-enabled, recover re-enqueues what it missed", async () => {
    await mb.webhooks.update(endpoint.id, { status: "disabled" });
    const [missed] = (await mb.events.publish(fixtures.patientFlowCompleted())).data;
    expect(missed).toMatchObject({ attempts: 0, next_attempt_at: null });
    for (const call of [() => mb.events.redeliver(missed!.id), () => mb.webhooks.recover(endpoint.id, { since: new Date(Date.now() - 3_600_000) })]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MedblocksConflictError);
      expect(error).toMatchObject({ statusCode: 409, code: "endpoint_disabled" });
    }
    await mb.webhooks.update(endpoint.id, { status: "active" });
    const { enqueued } = await mb.webhooks.recover(endpoint.id, { since: new Date(Date.now() - 3_600_000), until: new Date() });
    expect(enqueued).toBe(1);
    await waitUntil(() => deliveriesOf(missed!.id).length === 1);
    expect((await mb.webhooks.recover(endpoint.id, { since: new Date(Date.now() - 3_600_000).toISOString() })).enqueued).toBe(0);
  });

  it("webhooks.delete removes the endpoint and its history", async () => {
    expect(await mb.webhooks.delete(endpoint.id)).toEqual({ id: endpoint.id, resource_type: "webhook_endpoint", deleted: true });
    await expect(mb.webhooks.retrieve(endpoint.id)).rejects.toBeInstanceOf(MedblocksNotFoundError);
    await expect(mb.events.retrieve(record.id)).rejects.toMatchObject({ statusCode: 404, code: "resource_not_found" });
    expect((await mb.webhooks.list()).data).toEqual([]);
  });
});

it("an endpoint auto-disabled after its retries are exhausted is found with autoPagingIterator", async () => {
  const db = await createTestDatabase("sqlite");
  const api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_RETRY_SCHEDULE: "0,50ms", MEDBLOCKS_DELIVERY_TIMEOUT_MS: "1000" });
  const failing = await startReceiver(answer(500, "down"));
  try {
    const mb = new Medblocks(await api.mintKey("flaky"), { baseUrl: api.url });
    const broken = await mb.webhooks.create({ url: `${failing.url}/hook`, events: ["*"] });
    const healthy = await mb.webhooks.create({ url: "https://hooks.example.com/ok", events: ["records.sync.completed"] });
    const [record] = (await mb.events.publish(fixtures.recordsSyncFailed())).data;
    await waitUntil(async () => (await mb.webhooks.retrieve(broken.id)).status === "disabled");

    const disabled: string[] = [];
    for await (const ep of mb.webhooks.list({ status: "disabled" }).autoPagingIterator()) disabled.push(ep.id);
    expect(disabled).toEqual([broken.id]);
    expect((await mb.webhooks.retrieve(healthy.id)).status).toBe("active");
    const exhausted = await mb.events.retrieve(record!.id);
    expect(exhausted).toMatchObject({ attempts: 2, delivered_at: null, next_attempt_at: null, last_status_code: 500, last_response_body: "down" });
    const undelivered = await mb.webhooks.listEvents(broken.id, { delivered: false });
    expect(undelivered.data.map((r) => r.id)).toEqual([record!.id]);
  } finally {
    await api.close();
    await failing.close();
    await db.dispose();
  }
});
