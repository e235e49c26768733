import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { Agent, request, type Dispatcher } from "undici";
import { signDeliveryHeaders } from "@medblocks/connect";
import { ipLiteral, addressRefusal, type NetworkPolicy } from "../domain/network-policy.js";
import { newId } from "../domain/ids.js";
import type { AttemptOutcome, AttemptRecord, Mode } from "../store/store.js";
import { parseRetryAfter } from "./retry-schedule.js";
import { BLOCKED_CODE, guardedLookup, lookupWithHosts } from "./ssrf-guard.js";

/**
 * One delivery attempt: sign, POST, read at most 4 KB of the answer under one hard deadline. A
 * receiver's misbehaviour (hanging, resetting, redirecting, answering 10 MB) is an outcome, never
 * an exception, and never costs more than the deadline and 4 KB of memory.
 */

export const RESPONSE_BODY_LIMIT = 4096;
const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };
export const USER_AGENT = `Medblocks-Webhooks/${version}`;

export interface Delivery {
  eventId: string;
  url: string;
  /** The exact envelope bytes. */
  payload: string;
  /** Valid secrets, newest first; one signature each. */
  secrets: string[];
  mode: Mode;
}

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  startedAt: number;
  durationMs: number;
  /** At most 4 KB of the response body, decoded as UTF-8. */
  responseBody: string | null;
  error: string | null;
  retryAfterMs: number | null;
}

/** The attempt as the store records it. */
export function toAttemptRecord(result: SendResult): AttemptRecord {
  return {
    id: newId("att", result.startedAt),
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    statusCode: result.statusCode,
    outcome: result.outcome,
    error: result.error,
    responseBody: result.responseBody,
  };
}

export interface SenderOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  clock?: () => number;
  /** Names the connect-time guard resolves without DNS, to the address given (tests). */
  hosts?: Readonly<Record<string, string>>;
}

export interface Sender {
  /** Resolves once attempts can start (a sender on its own thread has to load it first). */
  ready(): Promise<void>;
  /** One attempt; `startedAt` (the attempt's time on the service's clock) defaults to now. */
  send(delivery: Delivery, startedAt?: number): Promise<SendResult>;
  close(): Promise<void>;
}

const UNDICI_TIMEOUTS = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function describeError(error: unknown): { outcome: AttemptOutcome; message: string } {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  if (code === BLOCKED_CODE) return { outcome: "blocked", message: `blocked: ${err.message}` };
  if (code && UNDICI_TIMEOUTS.has(code)) return { outcome: "timeout", message: `${code}: ${err.message}` };
  const message = [code, err.message].filter(Boolean).join(": ");
  return { outcome: "connection_error", message: message || String(error) };
}

/**
 * The first 4 KB of a response body. The stream is destroyed once they are in, so the rest of a
 * huge answer is never read. (Listeners rather than an async iterator: this runs for every attempt.)
 */
function readLimited(body: Dispatcher.ResponseData["body"]): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => resolve(Buffer.concat(chunks, Math.min(size, RESPONSE_BODY_LIMIT)).toString("utf8"));
    body.on("error", reject);
    body.on("end", finish);
    body.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < RESPONSE_BODY_LIMIT) return;
      body.destroy();
      finish();
    });
  });
}

/** Parsed endpoint URLs, kept so that each attempt does not parse its URL again. */
const URL_CACHE_LIMIT = 10_000;

export function createSender(options: SenderOptions): Sender {
  const clock = options.clock ?? Date.now;
  const resolve = options.hosts ? lookupWithHosts(options.hosts) : undefined;
  // The attempt's own deadline (below) is the one that counts; the agent's timeouts are a backstop.
  const backstopMs = options.timeoutMs + 1_000;
  const agentFor = (policy: NetworkPolicy) =>
    new Agent({
      connect: { lookup: guardedLookup(policy, resolve) as never, timeout: backstopMs },
      keepAliveTimeout: 30_000,
      headersTimeout: backstopMs,
      bodyTimeout: backstopMs,
    });
  // Sandbox endpoints may reach loopback, live ones may not: one long-lived agent per policy.
  const agents: Record<Mode, Agent> = {
    sandbox: agentFor({ mode: "sandbox", allowPrivateNetworks: options.allowPrivateNetworks }),
    live: agentFor({ mode: "live", allowPrivateNetworks: options.allowPrivateNetworks }),
  };

  const parsedUrls = new Map<string, URL>();
  const parse = (href: string): URL => {
    let url = parsedUrls.get(href);
    if (url === undefined) {
      url = new URL(href);
      if (parsedUrls.size >= URL_CACHE_LIMIT) parsedUrls.clear();
      parsedUrls.set(href, url);
    }
    return url;
  };

  async function send(delivery: Delivery, startedAt = clock()): Promise<SendResult> {
    const started = performance.now();
    const result = (outcome: AttemptOutcome, rest: Partial<SendResult> = {}): SendResult => ({
      outcome,
      statusCode: null,
      responseBody: null,
      error: null,
      retryAfterMs: null,
      ...rest,
      startedAt,
      durationMs: Math.round(performance.now() - started),
    });

    let url: URL;
    try {
      url = parse(delivery.url);
    } catch {
      return result("connection_error", { error: `invalid URL: ${delivery.url}` });
    }
    // An IP literal is dialed without a lookup, so the guard would never see it: check it here.
    const literal = ipLiteral(url.hostname);
    const refusal = literal && addressRefusal(literal, { mode: delivery.mode, allowPrivateNetworks: options.allowPrivateNetworks });
    if (refusal) return result("blocked", { error: `blocked: ${refusal}` });

    const timestamp = Math.floor(startedAt / 1000);
    const signatures = await signDeliveryHeaders({ id: delivery.eventId, payload: delivery.payload, secrets: delivery.secrets, timestamp });
    // undici takes an EventEmitter as the signal, which costs less per attempt than an AbortController.
    const deadline = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.emit("abort");
    }, options.timeoutMs);
    try {
      const response = await request(url, {
        method: "POST",
        dispatcher: agents[delivery.mode],
        signal: deadline,
        headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...signatures },
        body: delivery.payload,
      });
      const responseBody = await readLimited(response.body);
      const statusCode = response.statusCode;
      const delivered = statusCode >= 200 && statusCode < 300;
      return result(delivered ? "delivered" : "http_error", {
        statusCode,
        responseBody,
        error: delivered ? null : statusCode >= 300 && statusCode < 400 ? `redirect to ${String(response.headers.location ?? "?")} not followed` : null,
        retryAfterMs: parseRetryAfter(response.headers["retry-after"], startedAt + (performance.now() - started)),
      });
    } catch (error) {
      if (timedOut) return result("timeout", { error: `no complete answer within ${options.timeoutMs} ms` });
      const { outcome, message } = describeError(error);
      return result(outcome, { error: message });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    ready: () => Promise.resolve(),
    send,
    close: async () => {
      await Promise.all([agents.sandbox.close(), agents.live.close()]);
    },
  };
}
