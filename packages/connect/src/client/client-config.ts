import { API_VERSION } from "../types/events.js";
import { readEnvironment } from "./environment.js";
import type { FetchFunction } from "./fetch-types.js";
import type { ClientConfig } from "./request.js";

/** Options of `new Medblocks(apiKey, options)`. */
export interface MedblocksOptions {
  /** The service root. Default `MEDBLOCKS_BASE_URL`, else `https://app.medblocks.com`. */
  baseUrl?: string;
  /** API version sent as the `Version` header. Default `"2026-04-25"`, the version this SDK's types describe. */
  version?: string;
  /** Retries on network failures and 429/502/503/504, with exponential backoff and jitter. Default 3; 0 disables. */
  maxNetworkRetries?: number;
  /** Milliseconds each attempt may take, response body included. Default 30000. */
  timeout?: number;
  /** The `fetch` to use (a proxying or instrumented one, say). Default the runtime's global `fetch`. */
  fetch?: FetchFunction;
}

export const DEFAULT_BASE_URL = "https://app.medblocks.com";
export const DEFAULT_MAX_NETWORK_RETRIES = 3;
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Settles the constructor's arguments. Misconfiguration is a programming error, so it throws a
 * `TypeError` at construction, before any request, like an empty webhook secret does.
 */
export function resolveClientConfig(apiKey: string | undefined, options: MedblocksOptions = {}): ClientConfig {
  return {
    apiKey: resolveApiKey(apiKey),
    baseUrl: resolveBaseUrl(options.baseUrl),
    version: options.version ?? API_VERSION,
    maxNetworkRetries: checkCount("maxNetworkRetries", options.maxNetworkRetries, DEFAULT_MAX_NETWORK_RETRIES),
    timeout: checkTimeout(options.timeout),
    fetch: checkFetch(options.fetch),
  };
}

function resolveApiKey(apiKey: string | undefined): string {
  if (apiKey !== undefined && typeof apiKey !== "string") {
    throw new TypeError(`The API key must be a string, got ${typeof apiKey}.`);
  }
  // An env value often ends in a newline (`$(cat key.txt)`); one passed in code is taken as is.
  const key = apiKey ?? readEnvironment("MEDBLOCKS_API_KEY")?.trim();
  if (!key) {
    throw new TypeError(
      "No Medblocks API key: pass one as new Medblocks(apiKey) or set MEDBLOCKS_API_KEY. " +
        "Keys look like mb_sk_sbx_… (sandbox) or mb_sk_live_… (live).",
    );
  }
  if (/\s/.test(key)) {
    throw new TypeError("The Medblocks API key contains whitespace; copy it again without spaces or line breaks.");
  }
  return key;
}

function resolveBaseUrl(baseUrl: string | undefined): string {
  const raw = baseUrl ?? (readEnvironment("MEDBLOCKS_BASE_URL")?.trim() || DEFAULT_BASE_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`The Medblocks base URL '${raw}' is not an absolute URL, e.g. https://app.medblocks.com.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`The Medblocks base URL must be http:// or https://, got '${raw}'.`);
  }
  if (url.search || url.hash) throw new TypeError(`The Medblocks base URL must not have a query or fragment: '${raw}'.`);
  return url.href.replace(/\/+$/, "");
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number ≥ 0, got ${String(value)}.`);
  return value;
}

function checkTimeout(value: number | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  // setTimeout cannot wait longer than 2^31 - 1 ms.
  if (typeof value !== "number" || !(value > 0) || value > 2_147_483_647) {
    throw new TypeError(`timeout must be a positive number of milliseconds, got ${String(value)}.`);
  }
  return value;
}

function checkFetch(value: FetchFunction | undefined): FetchFunction | undefined {
  if (value !== undefined && typeof value !== "function") throw new TypeError("The fetch option must be a function.");
  return value;
}
