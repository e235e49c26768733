import { VERSION } from "../version.js";
import { errorFromResponse, MedblocksApiError, MedblocksConnectionError, normalizeHeaders, parseRetryAfter } from "./errors.js";
import type { AbortSignalLike, FetchFunction, FetchRequestInit, FetchResponseLike, MinimalAbortSignal, MinimalFetch } from "./fetch-types.js";
import { ListPromise, type ListPage } from "./pagination.js";
import { backoffMs, shouldRetry, type AttemptFailure } from "./retry-policy.js";

/** Options of a single call, the last argument of every resource method. */
export interface RequestOptions {
  /**
   * `Idempotency-Key` of a POST (one is made up when you give none); the same key on every retry,
   * so a retried call answers what the first did instead of acting twice. Kept 24 h by the service.
   */
  idempotencyKey?: string;
  /** Retries of this call on network failures and 429/502/503/504; default the client's `maxNetworkRetries`. */
  maxNetworkRetries?: number;
  /** Milliseconds each attempt of this call may take; default the client's `timeout`. */
  timeout?: number;
  /** Cancels the call, retries and waits included; the call then rejects with the signal's reason. */
  signal?: AbortSignalLike;
}

/** The client's settled configuration (see `MedblocksOptions`). */
export interface ClientConfig {
  apiKey: string;
  /** Service root without a trailing slash. */
  baseUrl: string;
  /** Sent as the `Version` header. */
  version: string;
  maxNetworkRetries: number;
  timeout: number;
  /** Injected `fetch`; `undefined` uses the global one, looked up at each call. */
  fetch: FetchFunction | undefined;
}

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** One API call, as resources describe it. */
export interface ApiRequest {
  method: HttpMethod;
  /** Path from the service root, ids already encoded. */
  path: string;
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body. */
  body?: unknown;
}

type AttemptResult =
  | { kind: "response"; status: number; headers: Record<string, string>; text: string }
  | { kind: "network"; error: unknown; timedOut: boolean };

const USER_AGENT = `medblocks-connect-js/${VERSION}`;

/** Every HTTP exchange of the SDK: headers, timeouts, retries with backoff, and errors. */
export class ApiClient {
  readonly #config: ClientConfig;

  constructor(config: ClientConfig) {
    this.#config = config;
  }

  /** Sends `request`, retrying as the retry policy allows; resolves to the parsed JSON body. */
  async request<T>(request: ApiRequest, options: RequestOptions = {}): Promise<T> {
    const config = this.#config;
    const url = buildUrl(config.baseUrl, request.path, request.query);
    const headers = this.#headers(request, options);
    const maxRetries = options.maxNetworkRetries ?? config.maxNetworkRetries;
    const timeout = options.timeout ?? config.timeout;
    const signal = options.signal as MinimalAbortSignal | undefined;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);

    for (let retries = 0; ; retries++) {
      const result = await this.#attempt(url, { method: request.method, headers, ...(body !== undefined && { body }) }, timeout, signal);
      if (result.kind === "response" && result.status >= 200 && result.status < 300) return parseBody<T>(result);
      if (signal?.aborted) throw signal.reason;

      const failure: AttemptFailure =
        result.kind === "network"
          ? { kind: "network" }
          : { kind: "status", status: result.status, retryAfter: parseRetryAfter(result.headers["retry-after"]) };
      if (!shouldRetry(failure, retries, maxRetries)) {
        throw result.kind === "network"
          ? connectionError(request.method, url, result, retries + 1, timeout)
          : errorFromResponse(result.status, result.text, result.headers);
      }
      await abortableSleep(backoffMs(retries + 1, failure.kind === "status" ? failure.retryAfter : null), signal);
    }
  }

  /** A list call: the first page now, the others as iteration needs them. */
  list<T>(request: ApiRequest, options: RequestOptions = {}): ListPromise<T> {
    return new ListPromise<T>((cursor) =>
      this.request<ListPage<T>>(
        cursor === undefined ? request : { ...request, query: { ...request.query, starting_after: cursor } },
        options,
      ),
    );
  }

  #headers(request: ApiRequest, options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#config.apiKey}`,
      Version: this.#config.version,
      Accept: "application/json",
      "User-Agent": USER_AGENT,
    };
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    // Every POST carries a key, so retrying one whose answer was lost cannot act twice.
    const idempotencyKey = options.idempotencyKey ?? (request.method === "POST" ? randomIdempotencyKey() : undefined);
    if (idempotencyKey !== undefined) headers["Idempotency-Key"] = idempotencyKey;
    return headers;
  }

  /** One try: fetch and read the whole body within `timeout`; never throws for network trouble. */
  async #attempt(url: string, init: Omit<FetchRequestInit, "signal">, timeout: number, signal: MinimalAbortSignal | undefined): Promise<AttemptResult> {
    const fetch = (this.#config.fetch ?? globalThis.fetch) as unknown as MinimalFetch | undefined;
    if (typeof fetch !== "function") {
      throw new TypeError("No fetch available: this runtime has no global fetch. Pass one as new Medblocks(key, { fetch }).");
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${timeout} ms`));
    }, timeout);
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response: FetchResponseLike = await fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      return { kind: "response", status: response.status, headers: normalizeHeaders(response.headers), text };
    } catch (error) {
      return { kind: "network", error, timedOut };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function buildUrl(baseUrl: string, path: string, query: ApiRequest["query"]): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, String(value));
  const qs = search.toString();
  return `${baseUrl}${path}${qs ? `?${qs}` : ""}`;
}

function parseBody<T>(result: Extract<AttemptResult, { kind: "response" }>): T {
  try {
    return JSON.parse(result.text) as T;
  } catch {
    throw new MedblocksApiError(
      {
        type: "api_error",
        code: "invalid_response",
        message: `The Medblocks API answered HTTP ${result.status} with a body that is not JSON: ${result.text.slice(0, 200)}`,
      },
      { statusCode: result.status, headers: result.headers, raw: result.text },
    );
  }
}

/** The cause of a failed fetch in words: undici hides the socket error (ECONNREFUSED …) in `cause`. */
function describeCause(error: unknown): string {
  const inner = (error as { cause?: unknown } | null)?.cause;
  const pick = inner instanceof Error ? inner : error;
  if (!(pick instanceof Error)) return String(pick);
  const code = (pick as { code?: unknown }).code;
  return typeof code === "string" && !pick.message.includes(code) ? `${pick.message} (${code})` : pick.message;
}

function connectionError(
  method: string,
  url: string,
  result: Extract<AttemptResult, { kind: "network" }>,
  attempts: number,
  timeout: number,
): MedblocksConnectionError {
  const what = result.timedOut ? `no response within ${timeout} ms` : describeCause(result.error);
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  return new MedblocksConnectionError(
    {
      type: "connection_error",
      code: result.timedOut ? "timeout" : "connection_failed",
      message:
        `Could not reach the Medblocks API: ${method} ${url} failed (${what}) after ${tries}. ` +
        "Check the base URL (option baseUrl or MEDBLOCKS_BASE_URL), your network, and that the service is up.",
    },
    { cause: result.error },
  );
}

function randomIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

function abortableSleep(ms: number, signal?: MinimalAbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
