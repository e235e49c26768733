import type { Logger } from "pino";
import type { Store } from "../store/store.js";

/**
 * Purges delivered and exhausted event records older than `MEDBLOCKS_RETENTION_DAYS`, and expired
 * idempotency keys, in small batches on a slow jittered timer. Several workers may run it at once:
 * each batch is its own short transaction, so they only share the work.
 */

const BATCH = 500;
/** One sweep stops after this long and resumes at the next tick, so it never hogs the database. */
const SWEEP_BUDGET_MS = 5_000;

export interface RetentionSweeper {
  /** One sweep now; resolves with how many event records it purged. */
  sweep(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createRetentionSweeper(options: {
  store: Store;
  retentionDays: number;
  logger: Logger;
  clock?: () => number;
  intervalMs?: number;
}): RetentionSweeper {
  const { store, logger } = options;
  const clock = options.clock ?? Date.now;
  const intervalMs = options.intervalMs ?? 10 * 60_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  async function sweepOnce(): Promise<number> {
    const started = clock();
    const cutoff = started - options.retentionDays * 86_400_000;
    let purged = 0;
    for (;;) {
      const batch = await store.purgeFinishedEvents(cutoff, BATCH);
      purged += batch;
      if (batch < BATCH || clock() - started > SWEEP_BUDGET_MS) break;
      // Let deliveries and API requests between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    while ((await store.purgeIdempotencyKeys(clock(), BATCH)) === BATCH && clock() - started < SWEEP_BUDGET_MS);
    if (purged > 0) logger.info({ purged, retention_days: options.retentionDays }, "purged finished event records");
    return purged;
  }

  const sweep = () => (running ??= sweepOnce().finally(() => (running = null)));

  function schedule(delay: number): void {
    timer = setTimeout(() => {
      sweep()
        .catch((error: unknown) => logger.error({ err: error }, "retention sweep failed; retrying at the next tick"))
        .finally(() => {
          if (timer) schedule(intervalMs * (0.8 + Math.random() * 0.4));
        });
    }, delay);
    timer.unref();
  }

  return {
    sweep,
    start() {
      if (!timer) schedule(Math.min(intervalMs, 30_000) * Math.random());
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
