import { MedblocksConnectionError, MedblocksError } from "@medblocks/connect";
import { unreachable } from "../api-client.js";
import type { ListenApi, ListenSessionInfo, StreamedEvent } from "./listen-api.js";
import { SseParser } from "./sse-parser.js";

/**
 * Keeps a listen stream open until `signal` aborts: connects, hands each session and webhook
 * message to the handlers, and reconnects with backoff when the stream drops or goes silent
 * (the service pings every 15 s). The service resends events that were streamed but not reported,
 * so nothing is lost across a reconnect. Failing to connect the first time, or an answer that
 * retrying cannot fix (a bad key, a bad --events), ends the loop with that error.
 */

export interface ListenHandlers {
  onSession(session: ListenSessionInfo, reconnected: boolean): void;
  onWebhook(event: StreamedEvent): void;
  onDisconnect(reason: string, retryInMs: number): void;
}

export interface ListenLoopOptions {
  device: string;
  events: string[] | undefined;
  signal: AbortSignal;
  handlers: ListenHandlers;
  /** No byte for this long means the connection is dead. */
  silenceMs?: number;
  backoffMs?: (failures: number) => number;
}

const SILENCE_MS = 45_000;

export const reconnectBackoffMs = (failures: number) => Math.min(500 * 2 ** failures, 15_000);

/** Retrying may help: the network, the service restarting, throttling, a 5xx. */
function isTransient(error: unknown): boolean {
  if (error instanceof MedblocksConnectionError) return true;
  if (error instanceof MedblocksError) return error.statusCode === undefined || error.statusCode === 429 || error.statusCode >= 500;
  return true;
}

export async function runListenLoop(api: ListenApi, options: ListenLoopOptions): Promise<void> {
  const { signal, handlers } = options;
  const backoff = options.backoffMs ?? reconnectBackoffMs;
  let connectedOnce = false;
  let failures = 0;
  while (!signal.aborted) {
    let reason: string;
    try {
      const gotSession = await streamOnce(api, options, connectedOnce, () => {
        connectedOnce = true;
        failures = 0;
      });
      reason = gotSession ? "the service closed the stream" : "the stream ended before the session began";
    } catch (error) {
      if (signal.aborted) return;
      if (!connectedOnce) throw error instanceof MedblocksConnectionError ? unreachable(api.settings.baseUrl, error) : error;
      if (!isTransient(error)) throw error;
      reason = error instanceof Error ? error.message : String(error);
    }
    if (signal.aborted) return;
    const wait = backoff(failures++);
    handlers.onDisconnect(reason, wait);
    await sleep(wait, signal);
  }
}

/** One connection: resolves when the stream ends, true if it got as far as its session message. */
async function streamOnce(api: ListenApi, options: ListenLoopOptions, reconnected: boolean, onSession: () => void): Promise<boolean> {
  const controller = new AbortController();
  const abort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", abort, { once: true });
  let silent: NodeJS.Timeout | undefined;
  const resetSilence = () => {
    clearTimeout(silent);
    silent = setTimeout(() => controller.abort(new Error(`no data from the service for ${(options.silenceMs ?? SILENCE_MS) / 1000} s`)), options.silenceMs ?? SILENCE_MS);
  };
  let gotSession = false;
  try {
    resetSilence();
    const response = await api.stream(options.device, options.events, controller.signal);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return gotSession;
        resetSilence();
        for (const message of parser.push(value)) {
          if (message.event === "session") {
            gotSession = true;
            onSession();
            options.handlers.onSession(JSON.parse(message.data) as ListenSessionInfo, reconnected);
          } else if (message.event === "webhook") {
            options.handlers.onWebhook(JSON.parse(message.data) as StreamedEvent);
          }
        }
      }
    } catch (error) {
      // The silence watchdog aborts with its own reason; say that rather than "aborted".
      throw controller.signal.aborted && !options.signal.aborted ? controller.signal.reason : error;
    } finally {
      reader.cancel().catch(() => {});
    }
  } finally {
    clearTimeout(silent);
    options.signal.removeEventListener("abort", abort);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
