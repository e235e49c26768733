import { hostname } from "node:os";
import { expect, test } from "vitest";
import { checkDeviceName, defaultDeviceName } from "./device-name.js";

test("the default device is the host name, made acceptable and stable", () => {
  expect(defaultDeviceName("dev-laptop.local")).toBe("dev-laptop.local");
  expect(defaultDeviceName("Zoë's MacBook Pro")).toBe("Zo-s-MacBook-Pro");
  expect(defaultDeviceName("  --weird__host--  ")).toBe("weird__host");
  expect(defaultDeviceName("x".repeat(300))).toHaveLength(100);
  expect(defaultDeviceName("")).toBe("localhost");
  expect(defaultDeviceName("@@@")).toBe("localhost");
  const here = defaultDeviceName();
  expect(here).toBe(defaultDeviceName(hostname()));
  expect(checkDeviceName(here)).toBeUndefined();
});

test("an explicit --device is checked, not rewritten", () => {
  expect(checkDeviceName("ci-runner_2.eu")).toBeUndefined();
  expect(checkDeviceName("with space")).toMatch(/--device/);
  expect(checkDeviceName("")).toMatch(/--device/);
  expect(checkDeviceName("x".repeat(101))).toMatch(/--device/);
});
