import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import { Agent, type Dispatcher } from "undici";
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
  /**
   * Set for an automatic attempt: the delivery thread keeps at most the per-endpoint cap of them
   * on the wire at once, and starts the others as those finish. A manual redelivery leaves it out
   * and goes out at once. (The sender in process sends every attempt at once.)
   */
  endpointId?: string;
  /**
   * The latest start, on the service's clock, for an attempt under a claim: started later, it
   * might be answered after the claim's lease ends, so it is given back unstarted instead
   * (AttemptNotStartedError) and its event goes back to the queue.
   */
  startBy?: number;
  /**
   * Set for an automatic attempt that is its event's last: if it fails, its endpoint is disabled,
   * so the delivery thread starts none of that endpoint's attempts waiting behind it.
   */
  lastAttempt?: boolean;
}

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  startedAt: number;
  durationMs: number;
  /** At most 4 KB of the response body, decoded as UTF-8, storable as text (see `storable`). */
  responseBody: string | null;
  /** Storable as text too: it may quote the receiver (a redirect's Location). */
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
  /**
   * Gives back the attempts still waiting for the wire (only the delivery thread holds any), every
   * endpoint's or only `endpointId`'s: their sends reject with AttemptNotStartedError, so the
   * dispatcher hands their claims back (when it stops, or when that endpoint changed).
   */
  releaseWaiting(endpointId?: string): void;
  close(): Promise<void>;
}

/** A send given back before it started (see `Sender.releaseWaiting`, `Delivery.startBy`): nothing was sent. */
export class AttemptNotStartedError extends Error {
  override readonly name = "AttemptNotStartedError";
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
 * Text from a receiver as both databases can store it. PostgreSQL's text refuses U+0000, which a
 * receiver may send like any other character; an answer holding one could never be recorded, so
 * its event would come back at every lease's end, never logged. Each becomes U+FFFD, as bytes
 * that are not UTF-8 already do when the body is decoded.
 */
function storable(text: string | null): string | null {
  return text !== null && text.includes("\0") ? text.replaceAll("\0", "\uFFFD") : text;
}

/** What one POST came to: an answer (its status, headers and at most 4 KB of body), the deadline, or an error. */
type Exchange =
  | { kind: "answer"; statusCode: number; headers: IncomingHttpHeaders; body: string }
  | { kind: "timeout" }
  | { kind: "error"; error: Error };

// Reasons an exchange is aborted with once it has settled; nobody sees them, so one of each will do.
const DEADLINE_PASSED = new Error("delivery deadline passed");
const BODY_LIMIT_REACHED = new Error("response body limit reached");

/**
 * One POST through undici's handler API, under one deadline that covers waiting for a connection,
 * connecting, TLS, the headers and the first 4 KB of the body. `request()` would wrap every
 * response body in a stream and every call in an async resource; reading 4 KB through the
 * handler's callbacks costs about half the CPU per attempt on loopback (measured beside
 * `request()` while choosing this). Once 4 KB are in, the exchange is aborted, so the rest of a
 * huge answer is never read. A request still waiting for its connection when the deadline passes
 * settles at once, and is aborted the moment it would be written.
 */
function exchange(dispatcher: Dispatcher, target: Target, headers: string[], body: string, timeoutMs: number): Promise<Exchange> {
  return new Promise((settle) => {
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    let statusCode = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle(outcome);
    };
    const answered = () =>
      finish({ kind: "answer", statusCode, headers: responseHeaders, body: Buffer.concat(chunks, Math.min(size, RESPONSE_BODY_LIMIT)).toString("utf8") });
    const timer = setTimeout(() => {
      finish({ kind: "timeout" });
      controller?.abort(DEADLINE_PASSED);
    }, timeoutMs);
    dispatcher.dispatch(
      { origin: target.origin, path: target.path, method: "POST", headers, body },
      {
        onRequestStart(started) {
          controller = started;
          if (settled) started.abort(DEADLINE_PASSED);
        },
        // An informational (1xx) answer, if undici passes one on, is overwritten by the real one.
        onResponseStart(_controller, status, answerHeaders) {
          statusCode = status;
          responseHeaders = answerHeaders;
        },
        onResponseData(running, chunk) {
          chunks.push(chunk);
          size += chunk.length;
          if (size < RESPONSE_BODY_LIMIT) return;
          answered();
          running.abort(BODY_LIMIT_REACHED);
        },
        onResponseEnd: answered,
        onResponseError: (_controller, error) => finish({ kind: "error", error }),
      },
    );
  });
}

/** Where a POST goes, as undici's dispatcher takes it. */
interface Target {
  origin: string;
  /** Path and query. */
  path: string;
  /**
   * Why the host may not be dialed, per mode, when it is an IP literal (dialed without a lookup,
   * so the connect-time guard never sees it); null when it may, or when it is a name.
   */
  refusal: Record<Mode, string | null>;
}

/** Parsed endpoint URLs, with their IP-literal check, kept so that no attempt does either again. */
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

  const parsedUrls = new Map<string, Target>();
  const parse = (href: string): Target => {
    let target = parsedUrls.get(href);
    if (target === undefined) {
      const url = new URL(href);
      const literal = ipLiteral(url.hostname);
      const refusalIn = (mode: Mode) => literal && addressRefusal(literal, { mode, allowPrivateNetworks: options.allowPrivateNetworks });
      target = { origin: url.origin, path: `${url.pathname}${url.search}`, refusal: { sandbox: refusalIn("sandbox"), live: refusalIn("live") } };
      if (parsedUrls.size >= URL_CACHE_LIMIT) parsedUrls.clear();
      parsedUrls.set(href, target);
    }
    return target;
  };

  async function send(delivery: Delivery, startedAt = clock()): Promise<SendResult> {
    if (delivery.startBy !== undefined && startedAt > delivery.startBy) throw new AttemptNotStartedError("Too late to start under its claim: nothing was sent.");
    const started = performance.now();
    const result = (outcome: AttemptOutcome, rest: Partial<SendResult> = {}): SendResult => ({
      outcome,
      statusCode: null,
      retryAfterMs: null,
      ...rest,
      // Every text that may come from the receiver passes here.
      responseBody: storable(rest.responseBody ?? null),
      error: storable(rest.error ?? null),
      startedAt,
      durationMs: Math.round(performance.now() - started),
    });

    let target: Target;
    try {
      target = parse(delivery.url);
    } catch {
      return result("connection_error", { error: `invalid URL: ${delivery.url}` });
    }
    const refusal = target.refusal[delivery.mode];
    if (refusal) return result("blocked", { error: `blocked: ${refusal}` });

    const timestamp = Math.floor(startedAt / 1000);
    const signatures = await signDeliveryHeaders({ id: delivery.eventId, payload: delivery.payload, secrets: delivery.secrets, timestamp });
    const headers = ["content-type", "application/json", "user-agent", USER_AGENT];
    for (const [name, value] of Object.entries(signatures)) headers.push(name, value);
    const outcome = await exchange(agents[delivery.mode], target, headers, delivery.payload, options.timeoutMs);
    if (outcome.kind === "timeout") return result("timeout", { error: `no complete answer within ${options.timeoutMs} ms` });
    if (outcome.kind === "error") {
      const { outcome: failure, message } = describeError(outcome.error);
      return result(failure, { error: message });
    }
    const { statusCode, headers: answerHeaders, body } = outcome;
    const delivered = statusCode >= 200 && statusCode < 300;
    return result(delivered ? "delivered" : "http_error", {
      statusCode,
      responseBody: body,
      error: delivered ? null : statusCode >= 300 && statusCode < 400 ? `redirect to ${String(answerHeaders.location ?? "?")} not followed` : null,
      retryAfterMs: parseRetryAfter(answerHeaders["retry-after"], startedAt + (performance.now() - started)),
    });
  }

  return {
    ready: () => Promise.resolve(),
    send,
    // Every attempt goes out at once here: none waits.
    releaseWaiting: () => {},
    close: async () => {
      await Promise.all([agents.sandbox.close(), agents.live.close()]);
    },
  };
}
