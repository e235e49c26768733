import type { Logger } from "pino";
import { signingSecrets } from "../domain/endpoints.js";
import { newId } from "../domain/ids.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ClaimedEvent, Store } from "../store/store.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import { afterAutomaticAttempt } from "./retry-schedule.js";
import type { Sender } from "./sender.js";

/**
 * The delivery loop. It claims due events in batches under a lease, sends them concurrently within
 * a global limit and a per-endpoint cap, and records each attempt fenced by the lease, so a worker
 * that lost its lease (it stalled, another took over) cannot overwrite newer state. A crashed
 * worker's claims come due again when their lease runs out: the claim pushes `next_attempt_at` to
 * the lease's end, so the queue itself is the reaper.
 */

export interface DispatcherOptions {
  store: Store;
  sender: Sender;
  secrets: SecretBox;
  schedule: readonly number[];
  logger: Logger;
  metrics?: DeliveryMetrics;
  clock?: () => number;
  /** Attempts in flight at once in this process. */
  concurrency?: number;
  /** Attempts in flight at once for one endpoint, so a slow endpoint cannot take every slot. */
  perEndpointConcurrency?: number;
  /** Longest wait between claims when nothing wakes the loop (scheduled retries come due). */
  pollIntervalMs?: number;
  /** How long a claim is ours; well over the delivery timeout. */
  leaseMs: number;
  /** This process's name on its leases. */
  workerId?: string;
}

export interface Dispatcher {
  start(): void;
  /** Claim now: called after a publish or a resume, so new events leave within milliseconds. */
  wake(): void;
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

  /** Claimed but not started, per endpoint (waiting for that endpoint's slot). */
  const waiting = new Map<string, ClaimedEvent[]>();
  const active = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let waitingCount = 0;
  let stopped = true;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let wakeRequested = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  async function attempt(claimed: ClaimedEvent): Promise<void> {
    const { event, endpoint, leaseExpiresAt } = claimed;
    const result = await sender.send({
      eventId: event.id,
      url: endpoint.url,
      payload: event.payload,
      secrets: signingSecrets(options, endpoint, clock()),
      mode: event.mode,
    });
    const verdict = afterAutomaticAttempt(schedule, {
      outcome: result.outcome,
      statusCode: result.statusCode,
      retryAfterMs: result.retryAfterMs,
      attemptNumber: event.scheduledAttempts + 1,
      now: clock(),
    });
    options.metrics?.observeAttempt(result);
    const recorded = await store.completeAttempt({
      owner,
      leaseExpiresAt,
      eventId: event.id,
      attempt: {
        id: newId("att", result.startedAt),
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        statusCode: result.statusCode,
        outcome: result.outcome,
        error: result.error,
        responseBody: result.responseBody,
      },
      ...verdict,
    });
    if (!recorded) logger.warn({ event_id: event.id }, "lease lost before the attempt was recorded; another worker owns the event now");
    if (verdict.disableEndpoint && recorded) {
      logger.warn({ endpoint_id: endpoint.id, reason: verdict.disableEndpoint }, "webhook endpoint disabled");
    }
  }

  function launch(claimed: ClaimedEvent): void {
    const endpointId = claimed.endpoint.id;
    inFlight++;
    active.set(endpointId, (active.get(endpointId) ?? 0) + 1);
    const task = attempt(claimed)
      .catch((error: unknown) => {
        // A storage failure while recording: the lease runs out and the event is attempted again.
        logger.error({ err: error, event_id: claimed.event.id }, "delivery attempt could not be recorded");
      })
      .finally(() => {
        inFlight--;
        const left = (active.get(endpointId) ?? 1) - 1;
        if (left === 0) active.delete(endpointId);
        else active.set(endpointId, left);
        running.delete(task);
        const next = waiting.get(endpointId)?.shift();
        if (next) {
          waitingCount--;
          if (waiting.get(endpointId)!.length === 0) waiting.delete(endpointId);
          if (!stopped && next.leaseExpiresAt - clock() > 0) launch(next);
          else void store.releaseClaims(owner, [next.event.id], clock()).catch(() => {});
        }
        wake();
      });
    running.add(task);
  }

  function accept(claims: ClaimedEvent[]): void {
    for (const claimed of claims) {
      const endpointId = claimed.endpoint.id;
      if ((active.get(endpointId) ?? 0) < perEndpoint && inFlight < concurrency) launch(claimed);
      else {
        const queue = waiting.get(endpointId) ?? [];
        queue.push(claimed);
        waiting.set(endpointId, queue);
        waitingCount++;
      }
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      wakeRequested = false;
      const room = concurrency - inFlight - waitingCount;
      let claimedFull = false;
      if (room > 0) {
        // Endpoints already at their cap are skipped, so a flood for one endpoint cannot fill the batch.
        const busy = [...active.entries()].filter(([, n]) => n >= perEndpoint).map(([id]) => id);
        try {
          const claims = await store.claimDue({ owner, limit: room, leaseMs: options.leaseMs, now: clock(), excludeEndpointIds: busy });
          options.metrics?.claimed(claims.length);
          accept(claims);
          claimedFull = claims.length === room;
        } catch (error) {
          logger.error({ err: error }, "claiming due events failed; retrying");
        }
      }
      if (stopped) break;
      if (claimedFull && inFlight < concurrency) continue;
      if (!wakeRequested) await sleep(pollIntervalMs * (0.75 + Math.random() * 0.5));
    }
  }

  function wake(): void {
    wakeRequested = true;
    wakeUp?.();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    wake,
    async stop() {
      if (stopped) return;
      stopped = true;
      wake();
      await loop;
      const unstarted = [...waiting.values()].flat().map((c) => c.event.id);
      waiting.clear();
      waitingCount = 0;
      if (unstarted.length > 0) await store.releaseClaims(owner, unstarted, clock());
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    get inFlight() {
      return inFlight;
    },
  };
}
