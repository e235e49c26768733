import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Medblocks,
  MedblocksApiError,
  MedblocksConnectionError,
  MedblocksEhrError,
  MedblocksInvalidRequestError,
  MedblocksNotFoundError,
  MedblocksRateLimitError,
  fixtures,
} from "../src/index.node.js";
import { answer, hang, reset, startReceiver, type Behaviour, type TestReceiver } from "./support/server.js";

// The request layer against a real HTTP server on 127.0.0.1 that fails on purpose and counts.

const KEY = "mb_sk_sbx_retrytests";
const envelope = (type: string, code: string, extra: object = {}) =>
  JSON.stringify({ error: { type, code, message: `${code}!`, param: null, doc_url: null, request_id: "req_body", ...extra } });
const json = { "content-type": "application/json" };
const ok = (body: object = { ok: 1 }) => answer(200, JSON.stringify(body), json);
const unavailable = answer(503, envelope("api_error", "unavailable"), json);

/** Answers the n-th request with the n-th behaviour, and the last one from then on. */
const script = (...steps: Behaviour[]): Behaviour => {
  let n = 0;
  return (request, response, body) => steps[Math.min(n++, steps.length - 1)]!(request, response, body);
};

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());
beforeEach(() => {
  receiver.requests.length = 0;
});

const client = (options: ConstructorParameters<typeof Medblocks>[1] = {}) => new Medblocks(KEY, { baseUrl: receiver.url, ...options });
const gaps = () => receiver.requests.slice(1).map((r, i) => r.receivedAt - receiver.requests[i]!.receivedAt);

describe("retries", () => {
  it("503 then 200: retried once after a backoff, then resolves", async () => {
    receiver.respondWith(script(unavailable, ok({ id: "wh_1" })));
    expect(await client().webhooks.retrieve("wh_1")).toEqual({ id: "wh_1" });
    expect(receiver.requests).toHaveLength(2);
    expect(gaps()[0]).toBeGreaterThanOrEqual(240);
  });

  it("429 with Retry-After: 1 waits at least that second, then resolves", async () => {
    receiver.respondWith(script(answer(429, envelope("rate_limit_error", "throttled"), { ...json, "retry-after": "1" }), ok()));
    expect(await client().webhooks.retrieve("wh_1")).toEqual({ ok: 1 });
    expect(receiver.requests).toHaveLength(2);
    expect(gaps()[0]).toBeGreaterThanOrEqual(990);
    expect(gaps()[0]).toBeLessThan(2_000);
  });

  it("a connection reset, then success", async () => {
    receiver.respondWith(script(reset, ok({ id: "wh_2" })));
    expect(await client().webhooks.retrieve("wh_2")).toEqual({ id: "wh_2" });
    expect(receiver.requests).toHaveLength(2);
  });

  it.each<[number, string, string, new (...args: never[]) => Error]>([
    [500, "api_error", "internal_error", MedblocksApiError],
    [400, "invalid_request_error", "invalid_data", MedblocksInvalidRequestError],
    [404, "not_found_error", "resource_not_found", MedblocksNotFoundError],
  ])("%i is not retried", async (status, type, code, ErrorClass) => {
    receiver.respondWith(answer(status, envelope(type, code), json));
    const error = await client().webhooks.retrieve("wh_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ statusCode: status, code, requestId: "req_body" });
    expect(receiver.requests).toHaveLength(1);
  });

  it("a Retry-After too long to wait out in a call is handed to the caller", async () => {
    receiver.respondWith(answer(429, envelope("rate_limit_error", "throttled"), { ...json, "retry-after": "45" }));
    const error = await client().events.redeliver("evt_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedblocksRateLimitError);
    expect((error as MedblocksRateLimitError).retryAfter).toBe(45);
    expect(receiver.requests).toHaveLength(1);
  });

  it("exhausted retries on 503/502 throw the last error, after 1 + maxNetworkRetries attempts", async () => {
    receiver.respondWith(unavailable);
    const error = await client({ maxNetworkRetries: 2 }).webhooks.retrieve("wh_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedblocksApiError);
    expect(error).toMatchObject({ statusCode: 503, code: "unavailable" });
    expect(receiver.requests).toHaveLength(3);
    const [first, second] = gaps();
    expect(first).toBeGreaterThanOrEqual(240);
    expect(second).toBeGreaterThanOrEqual(490);

    receiver.requests.length = 0;
    receiver.respondWith(answer(502, envelope("api_error", "ehr_unavailable"), json));
    await expect(client({ maxNetworkRetries: 1 }).webhooks.retrieve("wh_1")).rejects.toBeInstanceOf(MedblocksEhrError);
    expect(receiver.requests).toHaveLength(2);
  });

  it("exhausted retries on resets throw MedblocksConnectionError naming the URL and the cause", async () => {
    receiver.respondWith(reset);
    const error = (await client({ maxNetworkRetries: 1 }).webhooks.retrieve("wh_9").catch((e: unknown) => e)) as MedblocksConnectionError;
    expect(error).toBeInstanceOf(MedblocksConnectionError);
    expect(receiver.requests).toHaveLength(2);
    expect(error.message).toContain(`GET ${receiver.url}/webhooks/wh_9`);
    expect(error.message).toMatch(/other side closed|ECONNRESET|socket/i);
    expect(error.message).toContain("after 2 attempts");
    expect(error).toMatchObject({ type: "connection_error", code: "connection_failed", statusCode: undefined });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("nothing listening: MedblocksConnectionError with ECONNREFUSED", async () => {
    const port = await closedPort();
    const mb = new Medblocks(KEY, { baseUrl: `http://127.0.0.1:${port}`, maxNetworkRetries: 0 });
    const error = await mb.webhooks.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedblocksConnectionError);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}/webhooks`);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("a timeout is a MedblocksConnectionError, and is retried", async () => {
    receiver.respondWith(hang);
    const started = Date.now();
    const error = await client({ timeout: 150, maxNetworkRetries: 0 }).webhooks.retrieve("wh_1").catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(MedblocksConnectionError);
    expect(error).toMatchObject({ code: "timeout" });
    expect((error as Error).message).toContain("no response within 150 ms");
    expect(receiver.requests).toHaveLength(1);

    receiver.respondWith(script(hang, ok({ id: "late" })));
    receiver.requests.length = 0;
    expect(await client({ timeout: 150 }).webhooks.retrieve("wh_1")).toEqual({ id: "late" });
    expect(receiver.requests).toHaveLength(2);
  });

  it("per-call options override the client's", async () => {
    receiver.respondWith(unavailable);
    await expect(client().webhooks.retrieve("wh_1", { maxNetworkRetries: 0 })).rejects.toMatchObject({ statusCode: 503 });
    expect(receiver.requests).toHaveLength(1);
  });

  it("a caller's abort stops the call, the backoff wait included", async () => {
    receiver.respondWith(unavailable);
    const controller = new AbortController();
    const call = client().webhooks.retrieve("wh_1", { signal: controller.signal });
    await receiver.waitFor(1);
    setTimeout(() => controller.abort(new Error("caller gave up")), 20);
    await expect(call).rejects.toThrow("caller gave up");
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("POST idempotency", () => {
  const fact = fixtures.recordsSyncCompleted({ total: 3 });
  const page = { resource_type: "list", data: [], has_more: false, next_cursor: null };

  it("sends one generated Idempotency-Key, the same on every retry", async () => {
    receiver.respondWith(script(unavailable, reset, ok(page)));
    expect(await client().events.publish(fact)).toEqual(page);
    expect(receiver.requests).toHaveLength(3);
    const keys = receiver.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));

    receiver.respondWith(ok(page));
    await client().events.publish(fact);
    expect(receiver.requests[3]!.headers["idempotency-key"]).not.toBe(keys[0]);
  });

  it("uses the caller's key, and sends only type and data", async () => {
    receiver.respondWith(ok(page));
    await client().events.publish(fact, { idempotencyKey: "order-42" });
    expect(receiver.requests[0]!.headers["idempotency-key"]).toBe("order-42");
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ type: fact.type, data: fact.data });
  });

  it("every other POST sends a key too, the same on its retries; GET, PATCH and DELETE send none", async () => {
    receiver.respondWith(script(unavailable, ok()));
    await client().webhooks.create({ url: "https://example.com/hook", events: ["*"] });
    const [created, retried] = receiver.requests.map((r) => r.headers["idempotency-key"]);
    expect(created).toMatch(/^[0-9a-f-]{36}$/);
    expect(retried).toBe(created);

    receiver.respondWith(ok());
    await client().webhooks.rotateSecret("wh_1");
    await client().webhooks.recover("wh_1", { since: "2026-01-01T00:00:00Z" });
    await client().events.redeliver("evt_1");
    await client().webhooks.retrieve("wh_1");
    await client().webhooks.update("wh_1", { description: null });
    await client().webhooks.delete("wh_1");
    const keys = receiver.requests.slice(2).map((r) => [r.method, r.headers["idempotency-key"] !== undefined]);
    expect(keys).toEqual([
      ["POST", true],
      ["POST", true],
      ["POST", true],
      ["GET", false],
      ["PATCH", false],
      ["DELETE", false],
    ]);
  });
});

describe("requests", () => {
  it("carry the key, the version, JSON headers and a user agent", async () => {
    receiver.respondWith(ok());
    await client().webhooks.update("wh_1", { description: null });
    await client({ version: "2026-04-25" }).webhooks.retrieve("wh_1");
    const [patch, get] = receiver.requests;
    expect(patch).toMatchObject({ method: "PATCH", path: "/webhooks/wh_1", body: '{"description":null}' });
    expect(patch!.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      version: "2026-04-25",
      "content-type": "application/json",
      accept: "application/json",
    });
    expect(patch!.headers["user-agent"]).toMatch(/^medblocks-connect-js\/\d+\.\d+\.\d+/);
    expect(get).toMatchObject({ method: "GET", body: "" });
    expect(get!.headers["content-type"]).toBeUndefined();
  });

  it("build query strings and encode ids", async () => {
    receiver.respondWith(ok(page()));
    await client().webhooks.listEvents("wh_1", { delivered: false, type: "records.sync.failed", limit: 5 });
    await client().webhooks.list({ status: "disabled", starting_after: undefined });
    await client().events.retrieve("evt_../x?y");
    expect(receiver.requests.map((r) => r.path)).toEqual([
      "/webhooks/wh_1/events?delivered=false&type=records.sync.failed&limit=5",
      "/webhooks?status=disabled",
      "/events/evt_..%2Fx%3Fy",
    ]);
  });

  it("refuse an empty id before sending anything", () => {
    expect(() => client().webhooks.retrieve("")).toThrow(TypeError);
    expect(() => client().events.redeliver(undefined as unknown as string)).toThrow(/non-empty string/);
    expect(receiver.requests).toHaveLength(0);
  });

  it("a 2xx that is not JSON is a MedblocksApiError, and the request id falls back to X-Request-Id", async () => {
    receiver.respondWith(answer(200, "<html>proxy</html>", { "content-type": "text/html" }));
    await expect(client().webhooks.retrieve("wh_1")).rejects.toMatchObject({ name: "MedblocksApiError", code: "invalid_response" });
    receiver.respondWith(answer(404, JSON.stringify({ error: { type: "not_found_error", code: "resource_not_found", message: "gone" } }), { "x-request-id": "req_hdr" }));
    await expect(client().webhooks.retrieve("wh_1")).rejects.toMatchObject({ requestId: "req_hdr", statusCode: 404 });
  });
});

function page() {
  return { resource_type: "list", data: [], has_more: false, next_cursor: null };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
