import type { Logger } from "pino";
import { signingSecrets } from "../domain/endpoints.js";
import { newId } from "../domain/ids.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ClaimedEvent, RecordedAttempt, Store } from "../store/store.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import { afterAutomaticAttempt, isLastAttempt } from "./retry-schedule.js";
import { AttemptNotStartedError, toAttemptRecord, type Sender } from "./sender.js";

/**
 * The delivery loop. It claims due events in batches under a lease, sends them concurrently within
 * a global limit and a per-endpoint cap, and records each attempt fenced by the lease, so a worker
 * that lost its lease (it stalled, another took over) cannot overwrite newer state. A crashed
 * worker's claims come due again when their lease runs out: the claim pushes `next_attempt_at` to
 * the lease's end, so the queue itself is the reaper.
 *
 * Under load the queue is read in batches, not once per attempt: the process holds up to twice its
 * concurrency in claims (one round waiting behind each endpoint's cap), a freed slot takes the
 * next waiting event at once, and a new claim is made when half the room is free, when slots sit
 * idle with nothing waiting, or when something may have become due (a publish, a resume, an
 * endpoint that was left out coming back under its cap, the poll). Recording happens after the
 * slot is free, in the store's batched writes, and takes no claim room until more than a round of
 * attempts waits for it.
 */

export interface DispatcherOptions {
  store: Store;
  sender: Sender;
  secrets: SecretBox;
  schedule: readonly number[];
  logger: Logger;
  metrics?: DeliveryMetrics;
  clock?: () => number;
  /**
   * Attempts in flight at once in this process: handed to the sender and not yet answered (the
   * delivery thread may hold some of them back until the wire has room).
   */
  concurrency?: number;
  /** Attempts in flight at once for one endpoint, so a slow endpoint cannot take every slot. */
  perEndpointConcurrency?: number;
  /** Longest wait between claims when nothing wakes the loop (scheduled retries come due). */
  pollIntervalMs?: number;
  /** How long a claim is ours; well over the delivery timeout. */
  leaseMs: number;
  /**
   * The delivery timeout. An attempt starts only while its claim's lease leaves room for it and
   * for its recording; a claim that waited longer goes back to the queue unstarted.
   */
  timeoutMs: number;
  /** This process's name on its leases. */
  workerId?: string;
  /**
   * Tells workers in other processes that an attempt here disabled an endpoint (a 410, an
   * exhausted event), so that they do not send the claims they hold for it.
   */
  announceEndpointChanged?: (endpointId: string) => void;
}

export interface Dispatcher {
  start(): void;
  /** Claim now: called after a publish or a resume, so new events leave within milliseconds. */
  wake(): void;
  /**
   * The endpoint was disabled, deleted, or changed its URL or secrets: its attempts not started
   * yet go back to the queue instead of going out as their claims saw it (a disabled or deleted
   * endpoint's stay parked or are gone; the others are claimed again as the endpoint is now).
   */
  endpointChanged(endpointId: string): void;
  /** Stop claiming, finish attempts in flight, hand unstarted claims back to the queue. */
  stop(): Promise<void>;
  readonly inFlight: number;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, sender, logger, schedule } = options;
  const clock = options.clock ?? Date.now;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpointConcurrency ?? 8;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const owner = options.workerId ?? newId("wkr");
  const secrets = memoizedSecrets(options.secrets);
  // Claims are held in process (in flight or waiting for a slot; see `held`) up to twice the
  // concurrency, so a slot that frees up finds its next event without a query; each endpoint may
  // hold one round beyond its cap. While busy, the queue is read once a whole concurrency's worth
  // of room is free, instead of once per finished attempt: every claim is a write (a commit on
  // SQLite), so fewer, larger claims cost less.
  const capacity = concurrency * 2;
  const perEndpointHeld = perEndpoint * 2;
  const batchMinimum = Math.max(1, concurrency);

  /** Claimed but not started, per endpoint (waiting for a global or that endpoint's slot). */
  const waiting = new Map<string, ClaimedEvent[]>();
  /** Attempts on the wire, per endpoint. */
  const active = new Map<string, number>();
  /** Every claim being attempted or recorded. */
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let waitingCount = 0;
  let stopped = true;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  /** Whether the queue may hold due events this process could take now. */
  let moreDue = true;
  /** Bumped by anything that may make more events claimable: a claim in progress then cannot conclude the queue is dry. */
  let signals = 0;
  /** Endpoints left out of the last claim because this process held enough of theirs. */
  let excluded = new Set<string>();
  /** After a failed claim, only the poll tries again (no wake-up turns a storage outage into a busy loop). */
  let failedClaim = false;
  /**
   * Endpoints an attempt's outcome is disabling (410, exhaustion), until that outcome is recorded:
   * left out of claims, so their events handed back meanwhile are not claimed and sent again
   * before the disable commits.
   */
  const disabling = new Map<string, number>();
  /** Endpoints changed while a claim is being made: that claim's events for them go back. */
  let changedDuringClaim: Set<string> | null = null;
  /**
   * How much of a lease an attempt needs when it starts: the timeout, then time to be recorded
   * (half the timeout, at most a second; the lease is at least twice the timeout).
   */
  const attemptRoomMs = options.timeoutMs + Math.min(1_000, options.timeoutMs / 2);
  const startBy = (claimed: ClaimedEvent) => claimed.leaseExpiresAt - attemptRoomMs;

  /**
   * Claims that count against `capacity`: on the wire, waiting for a slot, and attempts being
   * recorded beyond one concurrency's worth. Recording takes milliseconds (attempts are written in
   * batches); counting all of it held the next claim back until a whole batch was written, so the
   * slots emptied and refilled in waves. A store that falls further behind still stops the claims.
   */
  const held = () => inFlight + waitingCount + Math.max(0, running.size - inFlight - concurrency);
  const heldBy = (endpointId: string) => (active.get(endpointId) ?? 0) + (waiting.get(endpointId)?.length ?? 0);

  /** Sleeps until woken or the poll interval passes; true when the interval passed. */
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(true), ms);
      function done(timedOut: boolean) {
        clearTimeout(timer);
        wakeUp = null;
        resolve(timedOut);
      }
      wakeUp = () => done(false);
    });

  /** A claim is worth a query: room for a batch, or slots idle with nothing here to fill them. */
  function claimWanted(): boolean {
    const room = capacity - held();
    if (room <= 0 || !moreDue || failedClaim) return false;
    return room >= batchMinimum || (inFlight < concurrency && waitingCount === 0);
  }

  function kickLoop(): void {
    if (wakeUp && claimWanted()) wakeUp();
  }

  /**
   * Endpoints holding more than one round: left out of the next claim. Every other endpoint may
   * take one more round (the claim's per-endpoint limit), so none ends up holding more than two.
   */
  function exclusions(): string[] {
    const full: string[] = [];
    for (const endpointId of active.keys()) if (heldBy(endpointId) > perEndpoint) full.push(endpointId);
    for (const [endpointId, queue] of waiting) if (!active.has(endpointId) && queue.length > perEndpoint) full.push(endpointId);
    return full;
  }

  /**
   * Gives unstarted claims back to the queue, due now. A store that cannot take them is only
   * logged: their leases run out and they come due by themselves.
   */
  async function handBack(eventIds: string[]): Promise<void> {
    await store.releaseClaims(owner, eventIds, clock()).catch((error: unknown) => {
      logger.warn({ err: error, events: eventIds.length }, "could not hand back unstarted claims; they come due when their lease ends");
    });
  }

  async function attempt(claimed: ClaimedEvent, sent: () => void): Promise<void> {
    const { event, endpoint, leaseExpiresAt } = claimed;
    const attemptNumber = event.scheduledAttempts + 1;
    const result = await sender.send({
      eventId: event.id,
      url: endpoint.url,
      payload: event.payload,
      secrets: signingSecrets({ secrets }, endpoint, clock()),
      mode: event.mode,
      endpointId: endpoint.id,
      // A claim that waited too long in the delivery thread comes back unstarted (see `launch`).
      startBy: startBy(claimed),
      lastAttempt: isLastAttempt(schedule, attemptNumber),
    });
    const verdict = afterAutomaticAttempt(schedule, {
      outcome: result.outcome,
      statusCode: result.statusCode,
      retryAfterMs: result.retryAfterMs,
      attemptNumber,
      now: clock(),
    });
    const disables = verdict.disableEndpoint !== undefined;
    // Nothing more goes to an endpoint this answer disables, from now on rather than from its
    // recording: before the slot frees, or the next attempt for it would take that slot.
    if (disables) {
      disabling.set(endpoint.id, (disabling.get(endpoint.id) ?? 0) + 1);
      endpointChanged(endpoint.id);
    }
    sent();
    options.metrics?.observeAttempt(result);
    let recording: RecordedAttempt;
    try {
      recording = await store.completeAttempt({
        owner,
        leaseExpiresAt,
        eventId: event.id,
        attempt: toAttemptRecord(result),
        ...verdict,
      });
    } finally {
      if (disables) {
        const left = disabling.get(endpoint.id)! - 1;
        if (left > 0) disabling.set(endpoint.id, left);
        else disabling.delete(endpoint.id);
        // Its events are parked now, or, if the outcome could not be recorded, due again.
        wake();
      }
    }
    if (!recording.recorded) logger.warn({ event_id: event.id }, "lease lost before the attempt was recorded; another worker owns the event now");
    if (recording.endpointDisabled) {
      logger.warn({ endpoint_id: endpoint.id, reason: verdict.disableEndpoint }, "webhook endpoint disabled");
      options.announceEndpointChanged?.(endpoint.id);
    }
  }

  function launch(claimed: ClaimedEvent): void {
    const endpointId = claimed.endpoint.id;
    inFlight++;
    active.set(endpointId, (active.get(endpointId) ?? 0) + 1);
    let slotFreed = false;
    // The slot frees when the answer is in; recording joins the next batch write meanwhile.
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      inFlight--;
      const left = (active.get(endpointId) ?? 1) - 1;
      if (left === 0) active.delete(endpointId);
      else active.set(endpointId, left);
      pump();
      // An endpoint left out of claims for holding enough comes back once it is down to what it
      // has in flight (a full round), so claims for it come in rounds rather than one per attempt.
      if (excluded.has(endpointId) && heldBy(endpointId) <= perEndpoint) {
        excluded.delete(endpointId);
        moreDue = true;
        signals++;
      }
      // The slot's claim room is free now, while the attempt is still being recorded.
      kickLoop();
    };
    const task = attempt(claimed, freeSlot)
      .catch(async (error: unknown) => {
        if (error instanceof AttemptNotStartedError) {
          // Never sent (given back while stopping or after its endpoint changed, or waited past its
          // start-by time): back to the queue now.
          await handBack([claimed.event.id]);
          return;
        }
        // The store failed to record the attempt, or the delivery thread died before answering:
        // either way nothing was recorded, the lease runs out and the event is attempted again.
        logger.error({ err: error, event_id: claimed.event.id }, "delivery attempt not recorded; the event comes due again when its lease ends");
      })
      .finally(() => {
        freeSlot();
        running.delete(task);
        kickLoop();
      });
    running.add(task);
  }

  /** Starts waiting events while slots are free, taking endpoints in turn. */
  function pump(): void {
    let progress = true;
    while (!stopped && progress && waitingCount > 0 && inFlight < concurrency) {
      progress = false;
      for (const [endpointId, queue] of waiting) {
        if (inFlight >= concurrency) break;
        if ((active.get(endpointId) ?? 0) >= perEndpoint) continue;
        const next = queue.shift()!;
        waitingCount--;
        if (queue.length === 0) waiting.delete(endpointId);
        progress = true;
        if (clock() <= startBy(next)) launch(next);
        else void handBack([next.event.id]);
      }
    }
  }

  /** Whether some endpoint got a whole round from this claim: it may have more due. */
  function fullRound(claims: readonly ClaimedEvent[]): boolean {
    const perClaim = new Map<string, number>();
    for (const { endpoint } of claims) {
      const count = (perClaim.get(endpoint.id) ?? 0) + 1;
      if (count >= perEndpoint) return true;
      perClaim.set(endpoint.id, count);
    }
    return false;
  }

  function accept(claims: ClaimedEvent[]): void {
    // A claim asks for at most one round per endpoint, so an endpoint over what it may hold is the
    // exception (a store that ignores the limit); the surplus goes straight back to the queue, so it
    // never takes room the others need.
    const surplus: string[] = [];
    for (const claimed of claims) {
      const endpointId = claimed.endpoint.id;
      const queue = waiting.get(endpointId);
      if (heldBy(endpointId) >= perEndpointHeld) {
        surplus.push(claimed.event.id);
        continue;
      }
      if (queue) queue.push(claimed);
      else waiting.set(endpointId, [claimed]);
      waitingCount++;
    }
    if (surplus.length > 0) {
      void handBack(surplus);
    }
    pump();
  }

  async function run(): Promise<void> {
    let polled = true;
    while (!stopped) {
      const room = capacity - held();
      if (room > 0 && (polled || claimWanted())) {
        // Endpoints this process already holds enough of are skipped, and each of the others gets
        // at most one round, so a flood for one endpoint cannot fill the batch.
        const skip = [...exclusions(), ...disabling.keys()];
        const before = signals;
        changedDuringClaim = new Set();
        try {
          const claims = await store.claimDue({
            owner,
            limit: room,
            perEndpointLimit: perEndpoint,
            leaseMs: options.leaseMs,
            now: clock(),
            excludeEndpointIds: skip,
          });
          options.metrics?.claimed(claims.length);
          // An endpoint that changed while the claim was made may have been read as it was before.
          const changed = changedDuringClaim;
          const stale = claims.filter((claimed) => changed.has(claimed.endpoint.id));
          if (stale.length > 0) void handBack(stale.map((claimed) => claimed.event.id));
          accept(stale.length > 0 ? claims.filter((claimed) => !changed.has(claimed.endpoint.id)) : claims);
          // Left out of the next claim, and watched so the queue is read again when they free up.
          excluded = new Set(exclusions());
          // A short answer means the queue is dry for now, unless something arrived meanwhile or
          // an endpoint got a full round (it may have more, claimed once it has room again).
          moreDue = claims.length === room || signals !== before || fullRound(claims);
          failedClaim = false;
        } catch (error) {
          logger.error({ err: error }, "claiming due events failed; retrying at the next poll");
          failedClaim = true;
        } finally {
          changedDuringClaim = null;
        }
      }
      if (stopped) break;
      if (claimWanted()) {
        polled = false;
        continue;
      }
      polled = await sleep(pollIntervalMs * (0.75 + Math.random() * 0.5));
    }
  }

  function wake(): void {
    moreDue = true;
    signals++;
    kickLoop();
  }

  function endpointChanged(endpointId: string): void {
    changedDuringClaim?.add(endpointId);
    const queue = waiting.get(endpointId);
    if (queue) {
      waiting.delete(endpointId);
      waitingCount -= queue.length;
      void handBack(queue.map((claimed) => claimed.event.id));
    }
    // Those waiting in the delivery thread come back unstarted too (see the catch in `launch`).
    sender.releaseWaiting(endpointId);
    wake();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      moreDue = true;
      loop = run();
    },
    wake,
    endpointChanged,
    async stop() {
      if (stopped) return;
      stopped = true;
      wakeUp?.();
      await loop;
      const unstarted = [...waiting.values()].flat().map((c) => c.event.id);
      waiting.clear();
      waitingCount = 0;
      // A store that fails now must not cut the shutdown short (see `handBack`): the attempts in
      // flight still finish and are recorded if they can be.
      if (unstarted.length > 0) await handBack(unstarted);
      // Those still waiting in the delivery thread for the wire come back too (see the catch in `launch`).
      sender.releaseWaiting();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    get inFlight() {
      return inFlight;
    },
  };
}

/**
 * Endpoint secrets opened once per sealed value instead of at every attempt (an AES-GCM open each).
 * Keyed by the ciphertext, so a rotation (a new ciphertext) is picked up by the next claim.
 */
function memoizedSecrets(box: SecretBox): SecretBox {
  const opened = new Map<string, string>();
  return {
    seal: (plaintext, boundTo) => box.seal(plaintext, boundTo),
    open(sealed, boundTo) {
      const key = `${boundTo}:${sealed}`;
      let secret = opened.get(key);
      if (secret === undefined) {
        secret = box.open(sealed, boundTo);
        if (opened.size >= 10_000) opened.clear();
        opened.set(key, secret);
      }
      return secret;
    },
  };
}
