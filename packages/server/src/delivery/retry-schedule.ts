import type { AttemptOutcome, DisabledReason } from "../store/store.js";

/**
 * What happens after an attempt (SPEC §7), as pure functions of the schedule, the outcome and the
 * clock. `schedule[i]` is the delay before attempt i+1, counted from the previous failure; the
 * schedule's length is the number of automatic attempts.
 */

/** A receiver may ask for more time with Retry-After, but not for more than a day per attempt. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

export interface AttemptVerdict {
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  exhaustedAt: number | null;
  disableEndpoint?: DisabledReason;
}

export interface AutomaticAttempt {
  outcome: AttemptOutcome;
  statusCode: number | null;
  /** From a Retry-After header on a 429 or 503, in milliseconds. */
  retryAfterMs: number | null;
  /** Automatic attempts made so far, this one included (1-based). */
  attemptNumber: number;
  now: number;
}

export function afterAutomaticAttempt(schedule: readonly number[], attempt: AutomaticAttempt): AttemptVerdict {
  const { outcome, statusCode, now } = attempt;
  if (outcome === "delivered") return { nextAttemptAt: null, deliveredAt: now, exhaustedAt: null };
  const last = isLastAttempt(schedule, attempt.attemptNumber);
  const reason = endpointDisabledBy(outcome, statusCode, last);
  const disable = reason === undefined ? {} : { disableEndpoint: reason };
  if (last) return { nextAttemptAt: null, deliveredAt: null, exhaustedAt: now, ...disable };
  let delay = schedule[attempt.attemptNumber]!;
  if (attempt.retryAfterMs !== null && (statusCode === 429 || statusCode === 503)) {
    delay = Math.max(delay, Math.min(attempt.retryAfterMs, MAX_RETRY_AFTER_MS));
  }
  return { nextAttemptAt: now + delay, deliveredAt: null, exhaustedAt: null, ...disable };
}

/** Whether automatic attempt `attemptNumber` (1-based) is its event's last. */
export function isLastAttempt(schedule: readonly number[], attemptNumber: number): boolean {
  return attemptNumber >= schedule.length;
}

/**
 * Why an attempt's answer disables its endpoint, if it does: `410 Gone` at any attempt, manual ones
 * included, or a failed last automatic attempt (the event is exhausted).
 */
export function endpointDisabledBy(outcome: AttemptOutcome, statusCode: number | null, lastAttempt: boolean): DisabledReason | undefined {
  if (outcome === "delivered") return undefined;
  if (statusCode === 410) return "gone";
  return lastAttempt ? "exhausted" : undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
