import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig, parseDuration, parseRetrySchedule } from "./config.js";

describe("configuration", () => {
  test("defaults are SPEC §8's", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8700,
      host: "127.0.0.1",
      databaseUrl: "sqlite:./data/medblocks.db",
      role: "all",
      deliveryTimeoutMs: 5000,
      allowPrivateNetworks: false,
      livePublish: false,
      retentionDays: 30,
    });
    expect(config.retryScheduleMs).toEqual([0, 60_000, 300_000, 1_800_000, 7_200_000, 43_200_000, 86_400_000, 86_400_000, 86_400_000]);
    expect(config.retryScheduleMs.reduce((a, b) => a + b, 0) / 86_400_000).toBeCloseTo(3.61, 2);
  });

  test("durations take ms, s, m, h and d; a bare number other than 0 is refused", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration(" 2h ")).toBe(7_200_000);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("5")).toBeNull();
    expect(parseDuration("-1s")).toBeNull();
    expect(parseDuration("1w")).toBeNull();
    expect(parseRetrySchedule("0,100ms,1s")).toEqual([0, 100, 1000]);
    expect(() => parseRetrySchedule("0,,1s")).toThrow(ConfigError);
  });

  test.each([
    [{ MEDBLOCKS_ALLOW_PRIVATE_NETWORKS: "yes" }, "MEDBLOCKS_ALLOW_PRIVATE_NETWORKS"],
    [{ MEDBLOCKS_DELIVERY_TIMEOUT_MS: "0" }, "MEDBLOCKS_DELIVERY_TIMEOUT_MS"],
    [{ MEDBLOCKS_RETENTION_DAYS: "-3" }, "MEDBLOCKS_RETENTION_DAYS"],
    [{ PORT: "70000" }, "PORT"],
  ])("%j is a ConfigError naming the variable", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  test("flags accept true/false/1/0", () => {
    expect(loadConfig({ MEDBLOCKS_LIVE_PUBLISH: "TRUE", MEDBLOCKS_ALLOW_PRIVATE_NETWORKS: "1" })).toMatchObject({
      livePublish: true,
      allowPrivateNetworks: true,
    });
  });
});
