import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Store } from "../store/store.js";
import type { SendResult } from "./sender.js";

/** What an operator watches: outcomes, latency, what is in flight, and how far behind the queue is. */
export interface DeliveryMetrics {
  observeAttempt(result: SendResult): void;
  claimed(count: number): void;
}

export function createDeliveryMetrics(registry: Registry, store: Store, inFlight: () => number, clock: () => number = Date.now): DeliveryMetrics {
  const attempts = new Counter({
    name: "medblocks_delivery_attempts_total",
    help: "Delivery attempts by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "medblocks_delivery_attempt_duration_seconds",
    help: "Time from connect to the first 4 KB of the answer",
    labelNames: ["outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const claims = new Counter({ name: "medblocks_delivery_claimed_total", help: "Events claimed for an attempt", registers: [registry] });
  new Gauge({
    name: "medblocks_delivery_in_flight",
    help: "Attempts in flight in this process: handed to the delivery thread, on the wire or waiting there for a free slot",
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  // Both queue gauges come from one query, made when Prometheus scrapes (the first gauge collected
  // runs it; the second reads its answer).
  let stats: Promise<{ due: number; oldestDueAt: number | null }> | null = null;
  const queue = () => (stats ??= store.queueStats(clock()).finally(() => setImmediate(() => (stats = null))));
  new Gauge({
    name: "medblocks_delivery_queue_due",
    help: "Events due for an attempt now on active endpoints (counted up to 100000)",
    registers: [registry],
    async collect() {
      this.set((await queue()).due);
    },
  });
  new Gauge({
    name: "medblocks_delivery_queue_oldest_due_age_seconds",
    help: "How long the oldest due event has waited: the number to alert on",
    registers: [registry],
    async collect() {
      const { oldestDueAt } = await queue();
      this.set(oldestDueAt === null ? 0 : Math.max(0, (clock() - oldestDueAt) / 1000));
    },
  });

  return {
    observeAttempt(result) {
      attempts.inc({ outcome: result.outcome });
      latency.observe({ outcome: result.outcome }, result.durationMs / 1000);
    },
    claimed(count) {
      if (count > 0) claims.inc(count);
    },
  };
}
