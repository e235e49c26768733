import { describe, expect, it } from "vitest";
import { isId, newId } from "./ids.js";

describe("newId", () => {
  it("mints well-formed ids that sort by creation time", () => {
    const earlier = newId("evt", Date.UTC(2026, 0, 1));
    const later = newId("evt", Date.UTC(2026, 0, 2));
    expect(isId("evt", earlier)).toBe(true);
    expect(isId("att", earlier)).toBe(false);
    expect(earlier < later).toBe(true);
  });

  it("stays unique and increasing within one millisecond", () => {
    const at = Date.UTC(2030, 5, 1);
    const ids = Array.from({ length: 1_000 }, () => newId("att", at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("draws the random part uniformly from all 32 characters, across refills of its byte pool", () => {
    // Distinct milliseconds, so every id takes 16 fresh random characters: 8,000 ids use 128,000
    // bytes, many refills of the pool.
    const start = Date.UTC(2031, 0, 1);
    const counts = new Map<string, number>();
    const randomParts = new Set<string>();
    for (let i = 0; i < 8_000; i++) {
      const random = newId("evt", start + i).slice("evt_".length + 10);
      randomParts.add(random);
      for (const char of random) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(randomParts.size).toBe(8_000);
    expect(counts.size).toBe(32);
    // 128,000 characters over 32 values: 4,000 each expected, a standard deviation of about 62.
    for (const count of counts.values()) expect(Math.abs(count - 4_000)).toBeLessThan(400);
  });
});
