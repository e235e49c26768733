/** When and how long to wait before retrying a request: pure functions, no I/O. */

/** Statuses that mean "not processed, try again": rate limited, or a gateway/the service briefly unavailable. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** First backoff step; each retry doubles it. */
export const INITIAL_BACKOFF_MS = 500;
/** Largest backoff step. */
export const MAX_BACKOFF_MS = 8_000;
/**
 * A `Retry-After` longer than this is not waited out inside a call: the error (with `retryAfter`)
 * goes to the caller, who can decide. The redelivery limit (one per event per 60 s) is the usual case.
 */
export const MAX_RETRY_AFTER_SECONDS = 10;

/** Why an attempt failed, as far as retrying is concerned. */
export type AttemptFailure =
  | { kind: "network" }
  | { kind: "status"; status: number; retryAfter: number | null };

/**
 * Whether to retry after `failure`, given `retriesDone` retries so far and a budget of `maxRetries`.
 * Network failures (including timeouts) and 429/502/503/504 are retried; 500 and other 4xx never are.
 */
export function shouldRetry(failure: AttemptFailure, retriesDone: number, maxRetries: number): boolean {
  if (retriesDone >= maxRetries) return false;
  if (failure.kind === "network") return true;
  if (!RETRYABLE_STATUSES.has(failure.status)) return false;
  return failure.retryAfter === null || failure.retryAfter <= MAX_RETRY_AFTER_SECONDS;
}

/**
 * Milliseconds to wait before retry number `retry` (1-based): exponential from
 * {@link INITIAL_BACKOFF_MS}, capped at {@link MAX_BACKOFF_MS}, with jitter in the upper half of the
 * step so clients that failed together spread out; never less than `Retry-After` when one was sent.
 */
export function backoffMs(retry: number, retryAfterSeconds: number | null = null, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, retry - 1));
  const jittered = step * (0.5 + random() * 0.5);
  const floor = retryAfterSeconds === null ? 0 : retryAfterSeconds * 1000;
  return Math.round(Math.max(jittered, floor));
}
