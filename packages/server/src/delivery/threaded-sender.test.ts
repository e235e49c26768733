import Stripe from "stripe";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startReceiver, type TestReceiver } from "../../test/support/receiver.js";
import { AttemptNotStartedError, type Delivery } from "./sender.js";
import { createThreadedSender, SenderThreadError, spawnSenderThread, type SpawnSenderThread } from "./threaded-sender.js";

// What only the threaded form has: the crossing between threads. What a send does is tested for
// both forms in sender.test.ts.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const payload = JSON.stringify({ id: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", object: "event", type: "records.sync.completed", data: { object: {} } });

describe("threaded sender", () => {
  let receiver: TestReceiver;
  const delivery = (path: string, overrides: Partial<Delivery> = {}): Delivery => ({
    eventId: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP",
    url: `${receiver.url}${path}`,
    payload,
    secrets: [SECRET],
    mode: "sandbox",
    ...overrides,
  });

  beforeAll(async () => {
    // Answers with the status its path names, after a pause its query names.
    receiver = await startReceiver(async (request, response) => {
      const url = new URL(request.url!, "http://x");
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("delay") ?? 0)));
      response.writeHead(Number(url.pathname.slice(1))).end(url.pathname);
    });
  });
  afterAll(() => receiver.close());

  test("many sends at once each get their own answer", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false });
    try {
      const kinds = [200, 201, 202, 400, 404, 410, 429, 500, 503];
      const statuses = Array.from({ length: 150 }, (_, i) => kinds[i % kinds.length]!);
      const results = await Promise.all(statuses.map((status) => sender.send(delivery(`/${status}`))));
      expect(results.map((r) => r.statusCode)).toEqual(statuses);
      expect(results.map((r) => r.responseBody)).toEqual(statuses.map((status) => `/${status}`));
    } finally {
      await sender.close();
    }
  });

  test("the attempt is timed and signed on the service's clock, not the thread's", async () => {
    const serviceNow = Date.UTC(2031, 0, 2, 3, 4, 5);
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, clock: () => serviceNow });
    try {
      const before = receiver.requests.length;
      const result = await sender.send(delivery("/200"));
      expect(result.startedAt).toBe(serviceNow);
      const got = receiver.requests[before]!;
      expect(got.headers["webhook-timestamp"]).toBe(String(serviceNow / 1000));
      const signature = got.headers["medblocks-signature"] as string;
      expect(signature.startsWith(`t=${serviceNow / 1000},`)).toBe(true);
      expect(() => new Stripe("sk_test_unused").webhooks.constructEvent(got.body, signature, SECRET, 300 * 1e9)).not.toThrow();
    } finally {
      await sender.close();
    }
  });

  test("with caps on the wire, an endpoint's attempts past its cap wait in the thread, timed from their start; a manual attempt goes at once", async () => {
    const serviceNow = Date.UTC(2031, 0, 2, 3, 4, 5);
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, clock: () => serviceNow, wire: { concurrency: 4, perEndpoint: 1 } });
    try {
      const before = receiver.requests.length;
      const automatic = [1, 2, 3].map(() => sender.send(delivery("/200?delay=150", { endpointId: "wh_capped" })));
      const manual = sender.send(delivery("/201?delay=150"));
      const results = await Promise.all([...automatic, manual]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 201]);
      const arrivals = receiver.requests.slice(before).map((r) => ({ path: r.path, at: r.receivedAt }));
      expect(arrivals).toHaveLength(4);
      // The manual attempt and the endpoint's first arrive together; the endpoint's others one by one, as each answer comes.
      const capped = arrivals.filter((a) => a.path.startsWith("/200"));
      const manualArrival = arrivals.find((a) => a.path.startsWith("/201"))!;
      expect(Math.abs(manualArrival.at - capped[0]!.at)).toBeLessThan(100);
      expect(capped[1]!.at - capped[0]!.at).toBeGreaterThanOrEqual(140);
      expect(capped[2]!.at - capped[1]!.at).toBeGreaterThanOrEqual(140);
      // Each waited in the thread for its turn: its start on the service's clock counts the wait.
      const [first, second, third] = results.slice(0, 3).map((r) => r.startedAt - serviceNow);
      expect(first).toBeLessThan(50);
      expect(second).toBeGreaterThanOrEqual(140);
      expect(third).toBeGreaterThanOrEqual(280);
    } finally {
      await sender.close();
    }
  });

  test("attempts still waiting for the wire can be given back unstarted; those on the wire finish", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, wire: { concurrency: 4, perEndpoint: 1 } });
    try {
      const before = receiver.requests.length;
      const sends = [1, 2, 3].map(() => sender.send(delivery("/200?delay=150", { endpointId: "wh_stopping" })));
      sender.releaseWaiting();
      const [first, ...rest] = await Promise.allSettled(sends);
      expect(first).toMatchObject({ status: "fulfilled", value: { outcome: "delivered" } });
      for (const outcome of rest) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(AttemptNotStartedError);
      }
      expect(receiver.requests.length - before).toBe(1);
      // The thread goes on: the next attempt for that endpoint is sent.
      expect(await sender.send(delivery("/202", { endpointId: "wh_stopping" }))).toMatchObject({ outcome: "delivered", statusCode: 202 });
    } finally {
      await sender.close();
    }
  });

  test("one endpoint's attempts waiting for the wire can be given back; the other endpoints' still go out", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, wire: { concurrency: 4, perEndpoint: 1 } });
    try {
      const changed = [1, 2].map(() => sender.send(delivery("/200?delay=150", { endpointId: "wh_changed" })));
      const other = [1, 2].map(() => sender.send(delivery("/201?delay=150", { endpointId: "wh_other" })));
      sender.releaseWaiting("wh_changed");
      const [onWire, waiting] = await Promise.allSettled(changed);
      expect(onWire).toMatchObject({ status: "fulfilled", value: { outcome: "delivered" } });
      expect(waiting).toMatchObject({ status: "rejected", reason: expect.any(AttemptNotStartedError) });
      expect((await Promise.all(other)).map((r) => r.statusCode)).toEqual([201, 201]);
    } finally {
      await sender.close();
    }
  });

  test("an answer that disables its endpoint (410, a failed last attempt) gives back the endpoint's attempts waiting behind it", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, wire: { concurrency: 4, perEndpoint: 1 } });
    try {
      const before = receiver.requests.length;
      const cases = [
        { endpointId: "wh_gone", first: delivery("/410?delay=100", { endpointId: "wh_gone" }), stops: true },
        { endpointId: "wh_last", first: delivery("/500?delay=100", { endpointId: "wh_last", lastAttempt: true }), stops: true },
        { endpointId: "wh_retry", first: delivery("/500?delay=100", { endpointId: "wh_retry" }), stops: false },
      ];
      const outcomes = await Promise.all(
        cases.map(({ endpointId, first }) => Promise.allSettled([sender.send(first), sender.send(delivery("/200", { endpointId }))])),
      );
      for (const [i, [answered, behind]] of outcomes.entries()) {
        expect(answered.status, cases[i]!.endpointId).toBe("fulfilled");
        if (cases[i]!.stops) expect(behind, cases[i]!.endpointId).toMatchObject({ status: "rejected", reason: expect.any(AttemptNotStartedError) });
        else expect(behind, cases[i]!.endpointId).toMatchObject({ status: "fulfilled", value: { statusCode: 200 } });
      }
      expect(receiver.requests.length - before).toBe(4);
    } finally {
      await sender.close();
    }
  });

  test("an attempt that waited for the wire past its start-by time comes back unstarted", async () => {
    const serviceNow = Date.UTC(2031, 0, 2, 3, 4, 5);
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false, clock: () => serviceNow, wire: { concurrency: 4, perEndpoint: 1 } });
    try {
      const before = receiver.requests.length;
      const first = sender.send(delivery("/200?delay=200", { endpointId: "wh_late", startBy: serviceNow + 1_000 }));
      // Handed over now, it may start until 100 ms from now; it waits 200 ms behind the first.
      const late = sender.send(delivery("/200", { endpointId: "wh_late", startBy: serviceNow + 100 }));
      expect(await first).toMatchObject({ outcome: "delivered" });
      await expect(late).rejects.toBeInstanceOf(AttemptNotStartedError);
      expect(receiver.requests.length - before).toBe(1);
    } finally {
      await sender.close();
    }
  });

  test("a send the sender refuses fails alone, and the thread goes on", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false });
    try {
      const [refused, fine] = await Promise.allSettled([sender.send(delivery("/200", { secrets: ["not a secret"] })), sender.send(delivery("/201"))]);
      expect(refused.status).toBe("rejected");
      expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(SenderThreadError);
      expect((refused as PromiseRejectedResult).reason.message).toMatch(/whsec_/);
      expect(fine).toMatchObject({ status: "fulfilled", value: { outcome: "delivered", statusCode: 201 } });
    } finally {
      await sender.close();
    }
  });

  test("a thread that dies fails its sends without an outcome, and the next send gets a new thread", async () => {
    let spawned = 0;
    // The first thread exits as soon as it is given work; the next ones are real.
    const spawn: SpawnSenderThread = (data) =>
      spawned++ === 0
        ? new Worker(`require("node:worker_threads").parentPort.once("message", () => process.exit(7))`, { eval: true })
        : spawnSenderThread(data);
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false }, spawn);
    try {
      const lost = await Promise.allSettled([sender.send(delivery("/200")), sender.send(delivery("/200"))]);
      for (const outcome of lost) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(SenderThreadError);
        expect((outcome as PromiseRejectedResult).reason.message).toContain("exited with code 7");
      }
      expect(await sender.send(delivery("/202"))).toMatchObject({ outcome: "delivered", statusCode: 202 });
      expect(spawned).toBe(2);
    } finally {
      await sender.close();
    }
  });

  test("ready says whether the thread loaded", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false });
    await expect(sender.ready()).resolves.toBeUndefined();
    await sender.close();
    const broken = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false }, () => new Worker(`throw new Error("a broken build")`, { eval: true }));
    const refused = await broken.ready().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SenderThreadError);
    expect((refused as Error).message).toContain("a broken build");
    await broken.close();
  });

  test("close lets the attempts in flight finish, then refuses new ones", async () => {
    const sender = createThreadedSender({ timeoutMs: 2_000, allowPrivateNetworks: false });
    const slow = sender.send(delivery("/200?delay=300"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sender.close();
    expect(await slow).toMatchObject({ outcome: "delivered", statusCode: 200 });
    await expect(sender.send(delivery("/200"))).rejects.toThrow(/closed/);
  });
});
