import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import Stripe from "stripe";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { answer, hang, reset, startReceiver, type TestReceiver } from "../../test/support/receiver.js";
import { createSender, RESPONSE_BODY_LIMIT, USER_AGENT, type Delivery, type SenderOptions } from "./sender.js";
import { createThreadedSender } from "./threaded-sender.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const payload = JSON.stringify({ id: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", object: "event", type: "records.sync.completed", data: { object: { total: 3, note: "héllo ✓" } } });

// Names the connect-time guard resolves in these tests, without touching real DNS.
const hosts = { "internal.test": "10.0.0.7", "receiver.test": "127.0.0.1" };

// The service sends on a thread of its own; both forms must behave the same.
describe.each([
  { form: "in process", create: createSender, inProcess: true },
  { form: "on its thread", create: createThreadedSender, inProcess: false },
])("sender ($form)", ({ create, inProcess }: { create: (options: SenderOptions) => ReturnType<typeof createSender>; inProcess: boolean }) => {
  let receiver: TestReceiver;
  const sender = create({ timeoutMs: 800, allowPrivateNetworks: false, hosts });
  const delivery = (overrides: Partial<Delivery> = {}): Delivery => ({
    eventId: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP",
    url: `${receiver.url}/hook?x=1`,
    payload,
    secrets: [SECRET],
    mode: "sandbox",
    ...overrides,
  });

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.respondWith(answer(200, "ok")));
  afterAll(async () => {
    await receiver.close();
    await sender.close();
  });

  test("a 2xx is delivered, with the exact body and headers that stripe and Standard Webhooks verify", async () => {
    receiver.respondWith(answer(204));
    const before = receiver.requests.length;
    const result = await sender.send(delivery({ secrets: [SECRET, OLD_SECRET] }));
    expect(result).toMatchObject({ outcome: "delivered", statusCode: 204, error: null, responseBody: "" });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const got = receiver.requests[before]!;
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/hook?x=1");
    expect(got.body).toBe(payload);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["user-agent"]).toBe(USER_AGENT);
    expect(got.headers["user-agent"]).toMatch(/^Medblocks-Webhooks\/\d+\.\d+\.\d+$/);
    const signature = got.headers["medblocks-signature"] as string;
    expect(signature.match(/v1=/g)).toHaveLength(2);
    const stripe = new Stripe("sk_test_unused");
    for (const secret of [SECRET, OLD_SECRET]) {
      expect((stripe.webhooks.constructEvent(got.body, signature, secret) as { id: string }).id).toBe("evt_01J9YR9N3X4VZ6P2K5RH7M3LMP");
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ type: "records.sync.completed" });
    }
    expect(got.headers["webhook-id"]).toBe("evt_01J9YR9N3X4VZ6P2K5RH7M3LMP");
    expect(Math.abs(Number(got.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
  });

  test("non-2xx is an http_error with the answer kept, and Retry-After read", async () => {
    receiver.respondWith(answer(503, "busy", { "retry-after": "120" }));
    expect(await sender.send(delivery())).toMatchObject({ outcome: "http_error", statusCode: 503, responseBody: "busy", retryAfterMs: 120_000 });
  });

  test("an informational answer before the real one is passed over", async () => {
    receiver.respondWith((_request, response) => {
      response.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
      response.writeHead(202, { "content-type": "text/plain" }).end("accepted");
    });
    expect(await sender.send(delivery())).toMatchObject({ outcome: "delivered", statusCode: 202, responseBody: "accepted", error: null });
  });

  test("an answer under 4 KB leaves its connection open for the next attempt; a longer one closes it", async () => {
    let socket: Socket | undefined;
    const answerOf = (length: number) => (request: IncomingMessage, response: ServerResponse) => {
      socket = request.socket;
      response.writeHead(200).end("x".repeat(length));
    };
    receiver.respondWith(answerOf(RESPONSE_BODY_LIMIT - 1));
    expect((await sender.send(delivery())).responseBody).toHaveLength(RESPONSE_BODY_LIMIT - 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket!.destroyed).toBe(false);

    receiver.respondWith(answerOf(RESPONSE_BODY_LIMIT * 4));
    expect((await sender.send(delivery())).responseBody).toHaveLength(RESPONSE_BODY_LIMIT);
    const closing = socket!;
    if (!closing.destroyed) await new Promise((resolve) => closing.once("close", resolve));
    expect(closing.destroyed).toBe(true);
  });

  test("a NUL in the answer is kept as U+FFFD, which both databases store", async () => {
    receiver.respondWith(answer(200, "ok\0"));
    expect(await sender.send(delivery())).toMatchObject({ outcome: "delivered", statusCode: 200, responseBody: "ok\uFFFD", error: null });
    receiver.respondWith(answer(500, Buffer.from("a\0b\0c")));
    expect(await sender.send(delivery())).toMatchObject({ outcome: "http_error", statusCode: 500, responseBody: "a\uFFFDb\uFFFDc" });
  });

  test("redirects are never followed", async () => {
    receiver.respondWith(answer(302, "", { location: "https://elsewhere.example.com/" }));
    const before = receiver.requests.length;
    const result = await sender.send(delivery());
    expect(result).toMatchObject({ outcome: "http_error", statusCode: 302 });
    expect(result.error).toContain("not followed");
    expect(receiver.requests.length).toBe(before + 1);
  });

  test("a receiver that hangs times out at the deadline", async () => {
    receiver.respondWith(hang);
    const result = await sender.send(delivery());
    expect(result.outcome).toBe("timeout");
    expect(result.statusCode).toBeNull();
    expect(result.durationMs).toBeGreaterThanOrEqual(780);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  test("a body that trickles past the deadline is a timeout, even after a 200 status", async () => {
    receiver.respondWith((_request, response) => {
      response.writeHead(200);
      response.write("a");
    });
    expect((await sender.send(delivery())).outcome).toBe("timeout");
  });

  test("a reset connection and a closed port are connection errors", async () => {
    receiver.respondWith(reset);
    const resetResult = await sender.send(delivery());
    expect(resetResult.outcome).toBe("connection_error");
    expect(resetResult.error).toBeTruthy();
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const refused = await sender.send(delivery({ url }));
    expect(refused.outcome).toBe("connection_error");
    expect(refused.error).toContain("ECONNREFUSED");
  });

  test("a 10 MB answer is cut at 4 KB without being read", async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, "x");
    receiver.respondWith(answer(200, big));
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await sender.send(delivery());
    expect(result.outcome).toBe("delivered");
    expect(result.responseBody).toHaveLength(RESPONSE_BODY_LIMIT);
    // Only the first chunks were read: the sender kept no copy of the 10 MB. (On its thread, the
    // reading happens in another heap; the same code is measured here in process.)
    if (inProcess) expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(3 * 1024 * 1024);
  });

  test("live endpoints are blocked from loopback and private addresses, by literal and by name", async () => {
    for (const url of [`${receiver.url}/hook`, `http://[::1]:${receiver.port}/hook`, `http://receiver.test:${receiver.port}/hook`, "https://internal.test/hook", "https://10.0.0.9/hook"]) {
      const before = receiver.requests.length;
      const result = await sender.send(delivery({ url, mode: "live" }));
      expect(result.outcome, url).toBe("blocked");
      expect(result.error).toMatch(/loopback|private/);
      expect(receiver.requests.length).toBe(before);
    }
    // Sandbox endpoints may use loopback, by name too, but never a private network.
    expect((await sender.send(delivery({ url: `http://receiver.test:${receiver.port}/hook` }))).outcome).toBe("delivered");
    expect((await sender.send(delivery({ url: "https://internal.test/hook" }))).outcome).toBe("blocked");
  });
});
