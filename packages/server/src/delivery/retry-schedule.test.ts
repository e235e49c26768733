import { describe, expect, test } from "vitest";
import { parseRetrySchedule } from "../config.js";
import { afterAutomaticAttempt, parseRetryAfter } from "./retry-schedule.js";

const schedule = parseRetrySchedule("0,1m,5m,30m,2h,12h,24h,24h,24h");
const now = 1_000_000;
const failed = (attemptNumber: number, extra: Partial<Parameters<typeof afterAutomaticAttempt>[1]> = {}) =>
  afterAutomaticAttempt(schedule, { outcome: "http_error", statusCode: 500, retryAfterMs: null, attemptNumber, now, ...extra });

describe("retry schedule", () => {
  test("each failure schedules the next attempt after the schedule's delay", () => {
    expect(failed(1).nextAttemptAt).toBe(now + 60_000);
    expect(failed(2).nextAttemptAt).toBe(now + 300_000);
    expect(failed(4).nextAttemptAt).toBe(now + 7_200_000);
    expect(failed(8).nextAttemptAt).toBe(now + 86_400_000);
    expect(failed(8).disableEndpoint).toBeUndefined();
  });

  test("the ninth failure exhausts the event and disables the endpoint", () => {
    expect(failed(9)).toEqual({ nextAttemptAt: null, deliveredAt: null, exhaustedAt: now, disableEndpoint: "exhausted" });
  });

  test("success delivers, whatever the attempt", () => {
    expect(afterAutomaticAttempt(schedule, { outcome: "delivered", statusCode: 204, retryAfterMs: null, attemptNumber: 9, now })).toEqual({
      nextAttemptAt: null,
      deliveredAt: now,
      exhaustedAt: null,
    });
  });

  test("410 Gone disables the endpoint at once but keeps the event's place", () => {
    expect(failed(1, { statusCode: 410 })).toEqual({ nextAttemptAt: now + 60_000, deliveredAt: null, exhaustedAt: null, disableEndpoint: "gone" });
  });

  test("Retry-After on 429 and 503 pushes later, never earlier, and at most a day", () => {
    expect(failed(1, { statusCode: 429, retryAfterMs: 600_000 }).nextAttemptAt).toBe(now + 600_000);
    expect(failed(1, { statusCode: 503, retryAfterMs: 1_000 }).nextAttemptAt).toBe(now + 60_000);
    expect(failed(1, { statusCode: 500, retryAfterMs: 600_000 }).nextAttemptAt).toBe(now + 60_000);
    expect(failed(1, { statusCode: 429, retryAfterMs: 30 * 86_400_000 }).nextAttemptAt).toBe(now + 86_400_000);
  });

  test("Retry-After reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
