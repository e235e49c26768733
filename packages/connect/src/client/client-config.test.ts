import { afterEach, describe, expect, it, vi } from "vitest";
import { API_VERSION } from "../types/events.js";
import { DEFAULT_BASE_URL, DEFAULT_MAX_NETWORK_RETRIES, DEFAULT_TIMEOUT_MS, resolveClientConfig } from "./client-config.js";
import { readEnvironment } from "./environment.js";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe("resolveClientConfig", () => {
  it("has defaults for everything but the key", () => {
    vi.stubEnv("MEDBLOCKS_BASE_URL", "");
    expect(resolveClientConfig("mb_sk_sbx_abc")).toEqual({
      apiKey: "mb_sk_sbx_abc",
      baseUrl: DEFAULT_BASE_URL,
      version: API_VERSION,
      maxNetworkRetries: DEFAULT_MAX_NETWORK_RETRIES,
      timeout: DEFAULT_TIMEOUT_MS,
      fetch: undefined,
    });
    expect([DEFAULT_BASE_URL, API_VERSION, DEFAULT_MAX_NETWORK_RETRIES, DEFAULT_TIMEOUT_MS]).toEqual([
      "https://app.medblocks.com",
      "2026-04-25",
      3,
      30_000,
    ]);
  });

  it("reads MEDBLOCKS_API_KEY and MEDBLOCKS_BASE_URL, trimming a trailing newline", () => {
    vi.stubEnv("MEDBLOCKS_API_KEY", "mb_sk_live_fromenv\n");
    vi.stubEnv("MEDBLOCKS_BASE_URL", "http://127.0.0.1:8700/");
    const config = resolveClientConfig(undefined);
    expect(config.apiKey).toBe("mb_sk_live_fromenv");
    expect(config.baseUrl).toBe("http://127.0.0.1:8700");
  });

  it("prefers arguments over the environment", () => {
    vi.stubEnv("MEDBLOCKS_API_KEY", "mb_sk_sbx_env");
    vi.stubEnv("MEDBLOCKS_BASE_URL", "http://127.0.0.1:8700");
    const config = resolveClientConfig("mb_sk_sbx_arg", { baseUrl: "https://webhooks.example.com/api/", version: "2026-04-25" });
    expect(config).toMatchObject({ apiKey: "mb_sk_sbx_arg", baseUrl: "https://webhooks.example.com/api" });
  });

  it("a missing key is a TypeError at construction that says where a key comes from", () => {
    vi.stubEnv("MEDBLOCKS_API_KEY", "");
    expect(() => resolveClientConfig(undefined)).toThrow(TypeError);
    expect(() => resolveClientConfig(undefined)).toThrow(/MEDBLOCKS_API_KEY/);
    expect(() => resolveClientConfig("")).toThrow(/new Medblocks\(apiKey\)/);
    expect(() => resolveClientConfig(42 as unknown as string)).toThrow(/must be a string/);
    expect(() => resolveClientConfig("mb_sk_sbx_ab c")).toThrow(/whitespace/);
  });

  it.each<[string, object, RegExp]>([
    ["relative baseUrl", { baseUrl: "app.medblocks.com" }, /not an absolute URL/],
    ["ftp baseUrl", { baseUrl: "ftp://app.medblocks.com" }, /http:\/\/ or https:\/\//],
    ["baseUrl with a query", { baseUrl: "https://app.medblocks.com/?a=1" }, /query or fragment/],
    ["negative retries", { maxNetworkRetries: -1 }, /maxNetworkRetries/],
    ["fractional retries", { maxNetworkRetries: 1.5 }, /maxNetworkRetries/],
    ["zero timeout", { timeout: 0 }, /timeout/],
    ["NaN timeout", { timeout: Number.NaN }, /timeout/],
    ["endless timeout", { timeout: Infinity }, /timeout/],
    ["fetch not a function", { fetch: "fetch" }, /fetch option/],
  ])("rejects %s", (_name, options, message) => {
    expect(() => resolveClientConfig("mb_sk_sbx_abc", options)).toThrow(message);
  });

  it("accepts zero retries and an injected fetch", () => {
    const fetch = async () => new Response("{}");
    expect(resolveClientConfig("k", { maxNetworkRetries: 0, fetch })).toMatchObject({ maxNetworkRetries: 0, fetch });
  });
});

describe("readEnvironment", () => {
  it("reads process.env where it exists", () => {
    vi.stubEnv("MEDBLOCKS_TEST_VALUE", "from-process");
    expect(readEnvironment("MEDBLOCKS_TEST_VALUE")).toBe("from-process");
    expect(readEnvironment("MEDBLOCKS_SURELY_UNSET")).toBeUndefined();
  });

  it("falls back to Deno.env, and treats a refused permission as unset", () => {
    vi.stubGlobal("Deno", { env: { get: (name: string) => (name === "ONLY_IN_DENO" ? "from-deno" : undefined) } });
    expect(readEnvironment("ONLY_IN_DENO")).toBe("from-deno");
    vi.stubGlobal("Deno", {
      env: {
        get: () => {
          throw new Error("Requires env access");
        },
      },
    });
    expect(readEnvironment("ONLY_IN_DENO")).toBeUndefined();
  });
});
