import { describe, expect, it } from "vitest";
import { backoffMs, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS, MAX_RETRY_AFTER_SECONDS, shouldRetry } from "./retry-policy.js";

const status = (code: number, retryAfter: number | null = null) => ({ kind: "status" as const, status: code, retryAfter });

describe("shouldRetry", () => {
  it.each([429, 502, 503, 504])("retries %i", (code) => {
    expect(shouldRetry(status(code), 0, 3)).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 413, 422, 500, 501, 505])("never retries %i", (code) => {
    expect(shouldRetry(status(code), 0, 3)).toBe(false);
  });

  it("retries network failures", () => {
    expect(shouldRetry({ kind: "network" }, 0, 3)).toBe(true);
  });

  it("stops when the budget is spent, and with a budget of 0 never retries", () => {
    expect(shouldRetry({ kind: "network" }, 2, 3)).toBe(true);
    expect(shouldRetry({ kind: "network" }, 3, 3)).toBe(false);
    expect(shouldRetry(status(503), 0, 0)).toBe(false);
  });

  it("hands a long Retry-After back to the caller instead of waiting it out", () => {
    expect(shouldRetry(status(429, MAX_RETRY_AFTER_SECONDS), 0, 3)).toBe(true);
    expect(shouldRetry(status(429, MAX_RETRY_AFTER_SECONDS + 1), 0, 3)).toBe(false);
    expect(shouldRetry(status(503, 60), 0, 3)).toBe(false);
  });
});

describe("backoffMs", () => {
  it("doubles per retry, jittered within the upper half of each step", () => {
    for (const [retry, step] of [[1, 500], [2, 1000], [3, 2000], [4, 4000]] as const) {
      expect(backoffMs(retry, null, () => 0)).toBe(step / 2);
      expect(backoffMs(retry, null, () => 0.999999)).toBe(step);
    }
    expect(INITIAL_BACKOFF_MS).toBe(500);
  });

  it("is capped", () => {
    expect(backoffMs(30, null, () => 0.999999)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(1000, null, () => 0)).toBe(MAX_BACKOFF_MS / 2);
  });

  it("never waits less than Retry-After, and keeps the larger backoff", () => {
    expect(backoffMs(1, 2, () => 0)).toBe(2000);
    expect(backoffMs(1, 0, () => 0)).toBe(250);
    expect(backoffMs(5, 1, () => 0.999999)).toBe(8000);
  });

  it("spreads clients out", () => {
    const samples = new Set(Array.from({ length: 50 }, () => backoffMs(2)));
    expect(samples.size).toBeGreaterThan(10);
    for (const ms of samples) expect(ms).toBeGreaterThanOrEqual(500), expect(ms).toBeLessThanOrEqual(1000);
  });
});
