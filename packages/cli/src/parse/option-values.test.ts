import { InvalidArgumentError } from "commander";
import { describe, expect, test } from "vitest";
import { integerIn, parseTimeInput, splitList } from "./option-values.js";

const NOW = Date.parse("2026-04-25T12:00:00.000Z");

describe("parseTimeInput", () => {
  test("spans back from now", () => {
    expect(parseTimeInput("30m", NOW)).toBe("2026-04-25T11:30:00.000Z");
    expect(parseTimeInput("2h", NOW)).toBe("2026-04-25T10:00:00.000Z");
    expect(parseTimeInput("7d", NOW)).toBe("2026-04-18T12:00:00.000Z");
    expect(parseTimeInput("1w ago", NOW)).toBe("2026-04-18T12:00:00.000Z");
    expect(parseTimeInput(" 90s ", NOW)).toBe("2026-04-25T11:58:30.000Z");
  });

  test("ISO dates, date-times and unix seconds", () => {
    expect(parseTimeInput("2026-04-20", NOW)).toBe("2026-04-20T00:00:00.000Z");
    expect(parseTimeInput("2026-04-20T08:15:00+02:00", NOW)).toBe("2026-04-20T06:15:00.000Z");
    expect(parseTimeInput("1777118400", NOW)).toBe("2026-04-25T12:00:00.000Z");
  });

  test("anything else is refused with the accepted forms", () => {
    for (const bad of ["yesterday", "2h30m", "", "12", "2026-13-45", "-5m"]) {
      expect(() => parseTimeInput(bad, NOW), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parseTimeInput("soon", NOW)).toThrow(/30m, 2h, 7d/);
  });
});

test("integerIn checks whole numbers and bounds", () => {
  const limit = integerIn(1, 100);
  expect(limit("25")).toBe(25);
  for (const bad of ["0", "101", "2.5", "ten", ""]) expect(() => limit(bad), bad).toThrow(InvalidArgumentError);
});

test("splitList takes commas and spaces", () => {
  expect(splitList("a,b c")).toEqual(["a", "b", "c"]);
  expect(splitList(["a", "b,,c"])).toEqual(["a", "b", "c"]);
});
