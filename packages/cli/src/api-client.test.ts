import { MedblocksConnectionError } from "@medblocks/connect";
import { afterEach, expect, test, vi } from "vitest";
import { apiSettings, DEFAULT_BASE_URL, describeNetworkError } from "./api-client.js";
import { CliError } from "./output.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

test("the CLI defaults to a local service, not the SDK's https://app.medblocks.com", () => {
  vi.stubEnv("MEDBLOCKS_BASE_URL", "");
  expect(DEFAULT_BASE_URL).toBe("http://127.0.0.1:8700");
  expect(apiSettings({ apiKey: "mb_sk_sbx_x" })).toEqual({ apiKey: "mb_sk_sbx_x", baseUrl: "http://127.0.0.1:8700" });
});

test("flags win over the environment; the URL loses its trailing slash", () => {
  vi.stubEnv("MEDBLOCKS_API_KEY", " mb_sk_sbx_env\n");
  vi.stubEnv("MEDBLOCKS_BASE_URL", "http://env.example:1/");
  expect(apiSettings({})).toEqual({ apiKey: "mb_sk_sbx_env", baseUrl: "http://env.example:1" });
  expect(apiSettings({ apiKey: "mb_sk_sbx_flag", baseUrl: "https://flag.example/base/" })).toEqual({ apiKey: "mb_sk_sbx_flag", baseUrl: "https://flag.example/base" });
});

test("a missing key or a bad URL is a CliError that names the setting", () => {
  vi.stubEnv("MEDBLOCKS_API_KEY", "");
  expect(() => apiSettings({})).toThrow(CliError);
  expect(() => apiSettings({})).toThrow(/MEDBLOCKS_API_KEY.*--api-key/);
  expect(() => apiSettings({ apiKey: "k", baseUrl: "localhost:8700" })).toThrow(/--base-url/);
  expect(() => apiSettings({ apiKey: "k", baseUrl: "not a url" })).toThrow(/--base-url/);
});

test("network failures are described by their socket error", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  const fetchError = new TypeError("fetch failed", { cause: refused });
  expect(describeNetworkError(new MedblocksConnectionError({ code: "connection_failed", message: "x" }, { cause: fetchError }))).toBe("ECONNREFUSED");
  expect(describeNetworkError(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe("bad port");
  expect(describeNetworkError(new MedblocksConnectionError({ code: "timeout", message: "x" }))).toBe("no response in time");
});
