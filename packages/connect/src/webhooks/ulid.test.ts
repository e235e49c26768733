import { describe, expect, it } from "vitest";
import { newUlid, ulidTime } from "./ulid.js";

const CROCKFORD_26 = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("newUlid", () => {
  it("is 26 Crockford base32 characters encoding the time", () => {
    const ulid = newUlid(1_714_052_100_123);
    expect(ulid).toMatch(CROCKFORD_26);
    expect(ulidTime(ulid)).toBe(1_714_052_100_123);
  });

  it("encodes the time boundaries", () => {
    expect(newUlid(0).slice(0, 10)).toBe("0000000000");
    expect(newUlid(2 ** 48 - 1).slice(0, 10)).toBe("7ZZZZZZZZZ");
    expect(() => newUlid(2 ** 48)).toThrow(RangeError);
    expect(() => newUlid(-1)).toThrow(RangeError);
  });

  it("sorts by time", () => {
    const times = [5, 1_000, 1_714_052_100_000, 1_714_052_100_001, 2 ** 45];
    const ids = times.map((t) => newUlid(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("has random bits spread over the whole random part", () => {
    const randomParts = Array.from({ length: 2000 }, () => newUlid(0).slice(10));
    expect(new Set(randomParts).size).toBe(2000);
    // Every position of the 16 random characters takes many values (none stuck at a constant).
    for (let position = 0; position < 16; position++) {
      const seen = new Set(randomParts.map((r) => r[position]));
      expect(seen.size).toBeGreaterThan(20);
    }
  });
});
