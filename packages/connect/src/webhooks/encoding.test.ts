import { describe, expect, it } from "vitest";
import { decodeBase64, decodeHex, decodeUtf8, encodeBase64, encodeHex } from "./encoding.js";

describe("hex", () => {
  it("round-trips every byte value, lowercase", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = encodeHex(bytes);
    expect(hex).toBe(Buffer.from(bytes).toString("hex"));
    expect(decodeHex(hex, 256)).toEqual(bytes);
  });

  it("accepts uppercase digits", () => {
    expect(decodeHex("ABcd", 2)).toEqual(new Uint8Array([0xab, 0xcd]));
  });

  it.each(["abc", "abcdef", "zz00", "0g00", "é000", "00 0"])("returns null for %j as 2 bytes", (hex) => {
    expect(decodeHex(hex, 2)).toBeNull();
  });
});

describe("base64", () => {
  it("matches Buffer's standard base64 both ways", () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 255);
      const text = Buffer.from(bytes).toString("base64");
      expect(encodeBase64(bytes)).toBe(text);
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it("accepts missing padding and rejects other alphabets", () => {
    expect(decodeBase64("YQ")).toEqual(new Uint8Array([0x61]));
    expect(() => decodeBase64("a-b_")).toThrow(TypeError);
    expect(() => decodeBase64("Y Q==")).toThrow(TypeError);
  });
});

describe("utf8", () => {
  it("decodes strictly", () => {
    expect(decodeUtf8(new TextEncoder().encode("héllo 🩺"))).toBe("héllo 🩺");
    expect(() => decodeUtf8(new Uint8Array([0xc3]))).toThrow(TypeError);
  });
});
