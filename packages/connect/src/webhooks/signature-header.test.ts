import { describe, expect, it } from "vitest";
import { parseSignatureHeader } from "./signature-header.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

describe("parseSignatureHeader", () => {
  it("returns the timestamp and every non-empty v1 in order", () => {
    expect(parseSignatureHeader(`t=1714052100,v1=${A},v1=${B}`)).toEqual({ timestamp: 1714052100, signatures: [A, B] });
  });

  it("trims entries and skips empty v1, other schemes and entries without '='", () => {
    expect(parseSignatureHeader(` v1= ,v0=${B}, t = 7 ,x, v1 = ${A} ,v2=${B}`)).toEqual({ timestamp: 7, signatures: [A] });
  });

  it("keeps '=' inside a value", () => {
    expect(parseSignatureHeader("t=1,v1=abc=").signatures).toEqual(["abc="]);
  });

  it("accepts t=0 and leading zeros as integers", () => {
    expect(parseSignatureHeader(`t=0,v1=${A}`).timestamp).toBe(0);
    expect(parseSignatureHeader(`t=0042,v1=${A}`).timestamp).toBe(42);
  });

  it("joins an array of header values (repeated headers) with commas", () => {
    expect(parseSignatureHeader([`t=5`, `v1=${A}`])).toEqual({ timestamp: 5, signatures: [A] });
  });

  it.each([
    [null, "missing_header"],
    [undefined, "missing_header"],
    ["", "missing_header"],
    [" \t", "missing_header"],
    [[], "missing_header"],
    [42, "malformed_header"],
    ["t=1e3,v1=aa", "malformed_header"],
    ["t=0x10,v1=aa", "malformed_header"],
    ["t=+5,v1=aa", "malformed_header"],
    ["t=9999999999999999,v1=aa", "malformed_header"],
    ["t=5", "malformed_header"],
    ["v1=aa", "malformed_header"],
  ])("%j → %s", (header, reason) => {
    expect(() => parseSignatureHeader(header)).toThrow(expect.objectContaining({ reason }));
  });

  it("finds entries after a long run of entries without '='", () => {
    const header = `${"junk,".repeat(5000)}t=5,${"x,".repeat(5000)}v1=${A}`;
    expect(parseSignatureHeader(header)).toEqual({ timestamp: 5, signatures: [A] });
  });

  it("quotes a bad header in the message, truncated", () => {
    expect(() => parseSignatureHeader(`v1=${"c".repeat(500)}`)).toThrow(/expected `t=<unix seconds>,v1=<hex>`.*c…"/);
  });
});
