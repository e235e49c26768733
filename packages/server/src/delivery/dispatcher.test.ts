import pino from "pino";
import { afterEach, describe, expect, test } from "vitest";
import type { SecretBox } from "../domain/secret-box.js";
import type { ClaimedEvent, ClaimInput, CompleteAttemptInput, EndpointRow, EventRow, Store } from "../store/store.js";
import { createDispatcher, type Dispatcher } from "./dispatcher.js";
import { AttemptNotStartedError, type Delivery, type Sender, type SendResult } from "./sender.js";

/**
 * The dispatcher against an in-memory queue and a sender whose answers the test controls: batching,
 * the global and per-endpoint caps, fairness, wake-ups and shutdown, without a database or network.
 */

const LEASE_MS = 60_000;
const TIMEOUT_MS = 5_000;
const secrets: SecretBox = { seal: (plaintext) => plaintext, open: () => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };

function endpoint(id: string): EndpointRow {
  return {
    id,
    organizationId: "org_1",
    mode: "sandbox",
    kind: "http",
    url: `http://127.0.0.1:9/${id}`,
    events: ["*"],
    status: "active",
    disabledReason: null,
    description: null,
    metadata: {},
    apiVersion: "2026-04-25",
    secretCiphertext: `sealed-${id}`,
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    createdAt: 0,
    updatedAt: 0,
  } as EndpointRow;
}

function event(id: string, endpointId: string): EventRow {
  return {
    id,
    organizationId: "org_1",
    mode: "sandbox",
    endpointId,
    type: "records.sync.completed",
    payload: JSON.stringify({ id }),
    apiVersion: "2026-04-25",
    attempts: 0,
    scheduledAttempts: 0,
    nextAttemptAt: 0,
    deliveredAt: null,
    exhaustedAt: null,
    lastStatusCode: null,
    lastResponseBody: null,
    lastRedeliveredAt: null,
    createdAt: 0,
  };
}

/** Holds whoever passes while held, until released. */
class Gate {
  #waiting: (() => void)[] | null = null;
  hold() {
    this.#waiting = [];
  }
  get waiting() {
    return this.#waiting?.length ?? 0;
  }
  release() {
    const waiting = this.#waiting ?? [];
    this.#waiting = null;
    for (const resolve of waiting) resolve();
  }
  async pass() {
    if (this.#waiting) await new Promise<void>((resolve) => this.#waiting!.push(resolve));
  }
}

/** A queue in memory with the claim semantics of the real store (exclusions, limits, due order). */
function fakeStore() {
  const due: EventRow[] = [];
  const endpoints = new Map<string, EndpointRow>();
  const claims: ClaimInput[] = [];
  const completed: CompleteAttemptInput[] = [];
  const released: string[] = [];
  const taken: EventRow[] = [];
  const claimGate = new Gate();
  const recordGate = new Gate();
  /** While set, handing claims back fails, as with a database gone away. */
  let releaseFailure: Error | null = null;
  /** Endpoints disabled: their events stay in the queue but are not claimed, as when parked. */
  const disabled = new Set<string>();
  const store = {
    async claimDue(input: ClaimInput): Promise<ClaimedEvent[]> {
      claims.push({ ...input, excludeEndpointIds: [...input.excludeEndpointIds] });
      const claimed: ClaimedEvent[] = [];
      const perEndpoint = new Map<string, number>();
      for (let i = 0; i < due.length && claimed.length < input.limit; ) {
        const e = due[i]!;
        const count = perEndpoint.get(e.endpointId) ?? 0;
        if (input.excludeEndpointIds.includes(e.endpointId) || disabled.has(e.endpointId) || count >= (input.perEndpointLimit ?? input.limit)) {
          i++;
          continue;
        }
        perEndpoint.set(e.endpointId, count + 1);
        due.splice(i, 1);
        taken.push(e);
        claimed.push({ event: e, endpoint: endpoints.get(e.endpointId)!, leaseExpiresAt: input.now + input.leaseMs });
      }
      await claimGate.pass();
      return claimed;
    },
    async completeAttempt(input: CompleteAttemptInput) {
      await recordGate.pass();
      completed.push(input);
      if (input.disableEndpoint === undefined) return { recorded: true, endpointDisabled: false };
      const endpointId = taken.find((e) => e.id === input.eventId)!.endpointId;
      const endpointDisabled = !disabled.has(endpointId);
      disabled.add(endpointId);
      return { recorded: true, endpointDisabled };
    },
    async releaseClaims(_owner: string, ids: readonly string[]) {
      if (releaseFailure) throw releaseFailure;
      released.push(...ids);
      // Back in the queue, due now: behind what was already due.
      for (const id of ids) {
        const index = taken.findIndex((e) => e.id === id);
        if (index >= 0) due.push(...taken.splice(index, 1));
      }
    },
  };
  return {
    store: store as unknown as Store,
    claims,
    completed,
    released,
    add(endpointId: string, count: number) {
      if (!endpoints.has(endpointId)) endpoints.set(endpointId, endpoint(endpointId));
      const first = [...due, ...taken].filter((e) => e.endpointId === endpointId).length;
      for (let i = 0; i < count; i++) due.push(event(`evt_${endpointId}_${first + i}`, endpointId));
    },
    get dueCount() {
      return due.length;
    },
    /** The endpoint is disabled from now on: its events are no longer claimed. */
    disable(endpointId: string) {
      disabled.add(endpointId);
    },
    /** Handing claims back fails from now on. */
    failReleases() {
      releaseFailure = new Error("database unavailable");
    },
    /** While held, a claim waits (once it has read the queue) until released. */
    claimGate,
    /** While held, recording waits until released. */
    recordGate,
  };
}

interface FakeSender {
  sender: Sender;
  sent: Delivery[];
  held: { delivery: Delivery; finish: () => void; giveBack: () => void }[];
  endpointOf(delivery: Delivery): string;
  readonly maxTotal: number;
  maxPerEndpoint: Map<string, number>;
}

/**
 * A sender whose attempts finish when the test (or `auto`) says so; it tracks what is in flight.
 * With `heldBackForTheWire`, its held attempts count as waiting for the wire (as in the delivery
 * thread), so `releaseWaiting` gives them back unstarted.
 */
function fakeSender(
  auto: (delivery: Delivery) => Promise<void> | null = () => new Promise((resolve) => setTimeout(resolve, 1)),
  { heldBackForTheWire = false, answer = () => ({}) }: { heldBackForTheWire?: boolean; answer?: (delivery: Delivery) => Partial<SendResult> } = {},
): FakeSender {
  const inFlight = new Map<string, number>();
  let total = 0;
  let maxTotal = 0;
  const maxPerEndpoint = new Map<string, number>();
  const sent: Delivery[] = [];
  const held: { delivery: Delivery; finish: () => void; giveBack: () => void }[] = [];
  const endpointOf = (delivery: Delivery) => delivery.url.slice(delivery.url.lastIndexOf("/") + 1);
  const sender: Sender = {
    ready: () => Promise.resolve(),
    async send(delivery) {
      const endpointId = endpointOf(delivery);
      sent.push(delivery);
      total++;
      maxTotal = Math.max(maxTotal, total);
      inFlight.set(endpointId, (inFlight.get(endpointId) ?? 0) + 1);
      maxPerEndpoint.set(endpointId, Math.max(maxPerEndpoint.get(endpointId) ?? 0, inFlight.get(endpointId)!));
      const startedAt = Date.now();
      try {
        await (auto(delivery) ??
          new Promise<void>((finish, reject) =>
            held.push({ delivery, finish, giveBack: () => reject(new AttemptNotStartedError("given back")) }),
          ));
      } finally {
        total--;
        inFlight.set(endpointId, inFlight.get(endpointId)! - 1);
      }
      const result: SendResult = { outcome: "delivered", statusCode: 200, startedAt, durationMs: 1, responseBody: "ok", error: null, retryAfterMs: null, ...answer(delivery) };
      return result;
    },
    releaseWaiting: () => {
      if (heldBackForTheWire) for (const h of held.splice(0)) h.giveBack();
    },
    close: async () => {},
  };
  return {
    sender,
    sent,
    held,
    endpointOf,
    get maxTotal() {
      return maxTotal;
    },
    maxPerEndpoint,
  };
}

const until = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

describe("dispatcher", () => {
  let dispatcher: Dispatcher | undefined;
  let senders: ReturnType<typeof fakeSender>[] = [];
  afterEach(async () => {
    // Whatever a failed test left hanging finishes, so stop() can.
    const stopping = dispatcher?.stop();
    while (senders.some((s) => s.held.length > 0)) for (const s of senders) for (const h of s.held.splice(0)) h.finish();
    await stopping;
    dispatcher = undefined;
    senders = [];
  });

  function start(
    store: Store,
    fake: FakeSender,
    options: {
      concurrency: number;
      perEndpoint: number;
      pollIntervalMs?: number;
      logger?: pino.Logger;
      clock?: () => number;
      announceEndpointChanged?: (endpointId: string) => void;
    },
  ) {
    senders.push(fake);
    dispatcher = createDispatcher({
      store,
      sender: fake.sender,
      secrets,
      schedule: [0, 1_000],
      logger: options.logger ?? pino({ level: "silent" }),
      concurrency: options.concurrency,
      perEndpointConcurrency: options.perEndpoint,
      pollIntervalMs: options.pollIntervalMs ?? 60_000,
      leaseMs: LEASE_MS,
      timeoutMs: TIMEOUT_MS,
      ...(options.clock && { clock: options.clock }),
      ...(options.announceEndpointChanged && { announceEndpointChanged: options.announceEndpointChanged }),
    });
    dispatcher.start();
    return dispatcher;
  }

  test("a backlog goes out in claims of many events, within the global and per-endpoint caps", async () => {
    const queue = fakeStore();
    // As publishing fans out: each fact gives every endpoint one event.
    for (let n = 0; n < 50; n++) for (let e = 0; e < 10; e++) queue.add(`wh_${e}`, 1);
    const sender = fakeSender();
    start(queue.store, sender, { concurrency: 16, perEndpoint: 4 });
    await until(() => queue.completed.length === 500);

    expect(new Set(queue.completed.map((c) => c.eventId)).size).toBe(500);
    expect(queue.completed.every((c) => c.deliveredAt !== null && c.nextAttemptAt === null)).toBe(true);
    expect(sender.maxTotal).toBeLessThanOrEqual(16);
    expect(sender.maxTotal).toBeGreaterThan(8);
    expect(Math.max(...sender.maxPerEndpoint.values())).toBeLessThanOrEqual(4);
    // Claims are batches (at least half the concurrency while busy), not one query per attempt.
    expect(queue.claims.length).toBeLessThan(500 / 8);
    expect(queue.claims.every((c) => c.limit <= 32)).toBe(true);
  });

  test("an event waiting for a global slot starts when any attempt ends, not only one of its endpoint", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 2);
    const sender = fakeSender(() => null);
    const d = start(queue.store, sender, { concurrency: 2, perEndpoint: 2 });
    await until(() => sender.held.length === 2);
    // wh_b's event is claimed while both slots are taken by wh_a: it waits in the process.
    queue.add("wh_b", 1);
    d.wake();
    await until(() => queue.dueCount === 0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sender.sent).toHaveLength(2);
    sender.held.shift()!.finish();
    // wh_b had nothing in flight; it still gets the slot wh_a gave up.
    await until(() => sender.sent.length === 3);
    expect(sender.endpointOf(sender.sent[2]!)).toBe("wh_b");
    for (const h of sender.held.splice(0)) h.finish();
    await until(() => queue.completed.length === 3);
  });

  test("a backlog of one endpoint goes out at its cap, claimed in rounds rather than per attempt", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 200);
    const sender = fakeSender();
    start(queue.store, sender, { concurrency: 16, perEndpoint: 4 });
    await until(() => queue.completed.length === 200);
    expect(new Set(queue.completed.map((c) => c.eventId)).size).toBe(200);
    expect(sender.maxPerEndpoint.get("wh_a")).toBe(4);
    // Claimed in rounds of its cap: per round one claim for it and one that looks past it for
    // other endpoints' events; each claim asks for one round per endpoint, so none goes back.
    expect(queue.claims.length).toBeLessThanOrEqual(2 * (200 / 4) + 4);
    expect(queue.claims.every((c) => c.perEndpointLimit === 4)).toBe(true);
    expect(queue.released).toEqual([]);
  });

  test("attempts waiting to be recorded leave the next claim free for a round, then stop the claims", async () => {
    const queue = fakeStore();
    for (let n = 0; n < 10; n++) for (let e = 0; e < 4; e++) queue.add(`wh_${e}`, 1);
    queue.recordGate.hold();
    const sender = fakeSender(() => new Promise((resolve) => setImmediate(resolve)));
    start(queue.store, sender, { concurrency: 4, perEndpoint: 2 });
    try {
      // Capacity is twice the concurrency (8); a round of attempts (4) being recorded takes none
      // of it, so sending goes on past the capacity while the store is slow to record...
      await until(() => sender.sent.length === 12);
      // ...and stops there: the store is more than a round behind.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(sender.sent).toHaveLength(12);
      expect(queue.recordGate.waiting).toBe(12);
    } finally {
      queue.recordGate.release();
    }
    await until(() => queue.completed.length === 40);
    expect(new Set(queue.completed.map((c) => c.eventId)).size).toBe(40);
  });

  test("an endpoint that hangs keeps its cap and no more; the others flow past it", async () => {
    const queue = fakeStore();
    queue.add("wh_slow", 40);
    queue.add("wh_fast", 40);
    const sender = fakeSender((delivery) => (delivery.url.endsWith("wh_slow") ? null : new Promise((resolve) => setImmediate(resolve))));
    start(queue.store, sender, { concurrency: 8, perEndpoint: 2 });
    await until(() => queue.completed.length === 40);
    expect(queue.completed.every((c) => c.eventId.startsWith("evt_wh_fast"))).toBe(true);
    expect(sender.held).toHaveLength(2);
    // The slow endpoint's claims stop at its cap plus one round held back: the rest stay in the queue for others.
    expect(queue.dueCount).toBe(40 - 4);
    expect(queue.claims.at(-1)!.excludeEndpointIds).toEqual(["wh_slow"]);
    for (const h of sender.held.splice(0)) h.finish();
  });

  test("an endpoint disabled or changed meanwhile: its claims not yet started go back to the queue, none is sent as claimed", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 6);
    queue.add("wh_b", 2);
    const sender = fakeSender(() => null);
    const d = start(queue.store, sender, { concurrency: 4, perEndpoint: 2 });
    // Two of each endpoint on the wire, and a second round of wh_a's waiting for its slots.
    await until(() => sender.held.length === 4 && queue.dueCount === 2);
    queue.disable("wh_a");
    d.endpointChanged("wh_a");
    expect(queue.released).toEqual(["evt_wh_a_2", "evt_wh_a_3"]);
    for (const h of sender.held.splice(0)) h.finish();
    await until(() => queue.completed.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sender.sent.map((delivery) => delivery.eventId).sort()).toEqual(["evt_wh_a_0", "evt_wh_a_1", "evt_wh_b_0", "evt_wh_b_1"]);
  });

  test("a claim that was being made when its endpoint changed hands that endpoint's events back; they go out under a new claim", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 2);
    queue.claimGate.hold();
    const sender = fakeSender();
    const d = start(queue.store, sender, { concurrency: 4, perEndpoint: 2 });
    await until(() => queue.claimGate.waiting === 1);
    // The claim has read wh_a's events as the endpoint was before this change.
    d.endpointChanged("wh_a");
    // That claim answers; the next one waits again.
    queue.claimGate.release();
    queue.claimGate.hold();
    await until(() => queue.released.length === 2 && queue.claimGate.waiting === 1);
    expect(queue.released).toEqual(["evt_wh_a_0", "evt_wh_a_1"]);
    expect(sender.sent).toHaveLength(0);
    queue.claimGate.release();
    await until(() => queue.completed.length === 2);
    expect(sender.sent.map((delivery) => delivery.eventId)).toEqual(["evt_wh_a_0", "evt_wh_a_1"]);
  });

  test("an answer that disables its endpoint (410) stops its other claims at once, before the outcome is recorded", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 6);
    queue.recordGate.hold();
    const sender = fakeSender(() => null, {
      answer: (delivery) => (delivery.eventId === "evt_wh_a_0" ? { outcome: "http_error", statusCode: 410, responseBody: "gone" } : {}),
    });
    start(queue.store, sender, { concurrency: 4, perEndpoint: 2 });
    // Two on the wire, a second round waiting for their slots.
    await until(() => sender.held.length === 2 && queue.dueCount === 2);
    sender.held.shift()!.finish();
    try {
      // The 410 is being recorded; the claims waiting behind it went back, and the claims made
      // meanwhile leave the endpoint out.
      await until(() => queue.recordGate.waiting === 1 && queue.released.length === 2);
      await until(() => queue.claims.length > 2 && queue.claims.at(-1)!.excludeEndpointIds.includes("wh_a"));
      expect(sender.sent.map((delivery) => delivery.eventId)).toEqual(["evt_wh_a_0", "evt_wh_a_1"]);
    } finally {
      queue.recordGate.release();
    }
    sender.held.shift()!.finish();
    await until(() => queue.completed.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(queue.completed.find((c) => c.eventId === "evt_wh_a_0")).toMatchObject({ disableEndpoint: "gone" });
    expect(sender.sent).toHaveLength(2);
  });

  test("an endpoint that two answers disable is logged and announced to other processes once, by the attempt that disabled it", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 2);
    queue.add("wh_b", 1);
    const warnings: { msg: string; endpoint_id?: string; reason?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    const announced: string[] = [];
    const sender = fakeSender(() => null, {
      answer: (delivery) => (delivery.eventId.startsWith("evt_wh_a") ? { outcome: "http_error", statusCode: 410, responseBody: "gone" } : {}),
    });
    start(queue.store, sender, { concurrency: 4, perEndpoint: 2, logger, announceEndpointChanged: (id) => announced.push(id) });
    await until(() => sender.held.length === 3);
    for (const h of sender.held.splice(0)) h.finish();
    await until(() => queue.completed.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Both 410s asked to disable it; the store says the first one did, and the second found it disabled.
    expect(queue.completed.filter((c) => c.disableEndpoint === "gone")).toHaveLength(2);
    expect(announced).toEqual(["wh_a"]);
    expect(warnings.filter((w) => w.msg === "webhook endpoint disabled")).toEqual([expect.objectContaining({ endpoint_id: "wh_a", reason: "gone" })]);
  });

  test("a claim that waited past its start-by time goes back to the queue and goes out under a new claim", async () => {
    let now = 1_000_000;
    const room = TIMEOUT_MS + 1_000;
    const queue = fakeStore();
    queue.add("wh_a", 2);
    const sender = fakeSender(() => null);
    start(queue.store, sender, { concurrency: 1, perEndpoint: 1, clock: () => now });
    await until(() => sender.held.length === 1 && queue.dueCount === 0);
    expect(sender.sent[0]).toMatchObject({ eventId: "evt_wh_a_0", startBy: 1_000_000 + LEASE_MS - room });
    // The waiting claim's lease no longer leaves room for an attempt and its recording.
    now += LEASE_MS - room + 1;
    sender.held.shift()!.finish();
    await until(() => sender.sent.length === 2);
    expect(queue.released).toEqual(["evt_wh_a_1"]);
    expect(sender.sent[1]).toMatchObject({ eventId: "evt_wh_a_1", startBy: now + LEASE_MS - room });
    sender.held.shift()!.finish();
    await until(() => queue.completed.length === 2);
  });

  test("an attempt that ends without an answer (its delivery thread died) records nothing; its slot frees and the rest go on", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 20);
    const fake = fakeSender();
    const lost: string[] = [];
    const dying: Sender = {
      ...fake.sender,
      send(delivery, startedAt) {
        if (lost.length >= 3) return fake.sender.send(delivery, startedAt);
        lost.push(delivery.eventId);
        return Promise.reject(new Error("The delivery thread stopped before answering: exited with code 1"));
      },
    };
    start(queue.store, { ...fake, sender: dying }, { concurrency: 4, perEndpoint: 4 });
    await until(() => queue.completed.length === 17);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lost).toHaveLength(3);
    // No outcome is recorded for them, nor are they handed back: they stay leased and come due again
    // when the lease ends, like the claims of a worker that died.
    expect(queue.completed.map((c) => c.eventId).filter((id) => lost.includes(id))).toEqual([]);
    expect(queue.completed).toHaveLength(17);
    expect(queue.released).toEqual([]);
  });

  test("a wake-up claims at once; finished attempts do not query a queue known to be empty", async () => {
    const queue = fakeStore();
    const sender = fakeSender();
    const d = start(queue.store, sender, { concurrency: 8, perEndpoint: 4 });
    await until(() => queue.claims.length === 1);
    for (let i = 0; i < 5; i++) {
      queue.add("wh_a", 1);
      const woken = Date.now();
      d.wake();
      await until(() => queue.completed.length === i + 1);
      expect(Date.now() - woken).toBeLessThan(500);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first (empty) claim and one per wake-up; none caused by an attempt finishing.
    expect(queue.claims).toHaveLength(6);
  });

  test("a failing claim is retried at the poll, not in a busy loop, and delivery resumes", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 3);
    const claimDue = queue.store.claimDue.bind(queue.store);
    const failures: number[] = [];
    queue.store.claimDue = async (input) => {
      if (failures.length < 3) {
        failures.push(performance.now());
        throw new Error("database unavailable");
      }
      return claimDue(input);
    };
    const sender = fakeSender();
    const d = start(queue.store, sender, { concurrency: 4, perEndpoint: 4, pollIntervalMs: 40 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Wake-ups (publishes) during the outage do not turn into claims.
    for (let i = 0; i < 20; i++) d.wake();
    await until(() => queue.completed.length === 3);
    expect(failures).toHaveLength(3);
    // Each retry waited for the poll (40 ms, jittered by a quarter either way).
    expect(failures[1]! - failures[0]!).toBeGreaterThanOrEqual(25);
    expect(failures[2]! - failures[1]!).toBeGreaterThanOrEqual(25);
  });

  test("stop also hands back the attempts the sender gives back unstarted, and records nothing for them", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 2);
    queue.add("wh_b", 1);
    // The sender holds them all back, as the delivery thread holds attempts waiting for the wire.
    const sender = fakeSender(() => null, { heldBackForTheWire: true });
    const d = start(queue.store, sender, { concurrency: 4, perEndpoint: 2 });
    await until(() => sender.held.length === 3);
    await d.stop();
    expect([...queue.released].sort()).toEqual(["evt_wh_a_0", "evt_wh_a_1", "evt_wh_b_0"]);
    expect(queue.dueCount).toBe(3);
    expect(queue.completed).toEqual([]);
    dispatcher = undefined;
  });

  test("stop hands back unstarted claims and waits for attempts in flight to be recorded", async () => {
    const queue = fakeStore();
    queue.add("wh_a", 3);
    const sender = fakeSender(() => null);
    const d = start(queue.store, sender, { concurrency: 1, perEndpoint: 1 });
    await until(() => sender.held.length === 1);
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    // One in flight, one claimed and waiting (its cap plus one round); the third was never claimed.
    await until(() => queue.released.length === 1);
    expect(queue.released).toEqual(["evt_wh_a_1"]);
    expect(queue.dueCount).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    sender.held[0]!.finish();
    await stopping;
    expect(queue.completed.map((c) => c.eventId)).toEqual(["evt_wh_a_0"]);
    expect(sender.sent).toHaveLength(1);
    dispatcher = undefined;
  });

  /** A logger that keeps its warnings' messages and event counts. */
  function warningLog() {
    const warnings: { msg: string; events?: number }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    return { logger, warnings };
  }

  test("stop still waits for attempts in flight when the store cannot take claims back; those claims wait for their leases", async () => {
    const { logger, warnings } = warningLog();
    const queue = fakeStore();
    queue.add("wh_a", 3);
    queue.add("wh_b", 1);
    // On the wire: one of wh_a's and wh_b's one; wh_a's second is claimed and waits behind its cap.
    const sender = fakeSender(() => null);
    const d = start(queue.store, sender, { concurrency: 2, perEndpoint: 1, logger });
    await until(() => sender.held.length === 2);
    queue.failReleases();
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    for (const h of sender.held.splice(0)) h.finish();
    await stopping;
    expect(queue.completed.map((c) => c.eventId).sort()).toEqual(["evt_wh_a_0", "evt_wh_b_0"]);
    expect(queue.released).toEqual([]);
    expect(warnings).toMatchObject([{ msg: "could not hand back unstarted claims; they come due when their lease ends", events: 1 }]);
    dispatcher = undefined;
  });

  test("attempts given back unstarted while the store cannot take claims back are not recorded, and stop completes", async () => {
    const { logger, warnings } = warningLog();
    const queue = fakeStore();
    queue.add("wh_a", 2);
    const sender = fakeSender(() => null, { heldBackForTheWire: true });
    const d = start(queue.store, sender, { concurrency: 4, perEndpoint: 2, logger });
    await until(() => sender.held.length === 2);
    queue.failReleases();
    await d.stop();
    expect(queue.completed).toEqual([]);
    expect(queue.released).toEqual([]);
    // Each given-back attempt tried to go back to the queue, and the failure was logged, not thrown.
    expect(warnings).toMatchObject([{ events: 1 }, { events: 1 }]);
    dispatcher = undefined;
  });
});
