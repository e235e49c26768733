import { signDeliveryHeaders } from "@medblocks/connect";
import { CLI_VERSION } from "../version.js";
import type { ForwardOutcome } from "./listen-api.js";

/**
 * One forwarded event: signed like a real delivery (SPEC §3, with the session's secret), POSTed to
 * the local URL, at most 4 KB of the answer kept. The receiver's faults are outcomes, never throws.
 */

export const FORWARD_TIMEOUT_MS = 10_000;
const RESPONSE_BODY_LIMIT = 4096;
const ERROR_LIMIT = 1000;
export const USER_AGENT = `Medblocks-Webhooks/${CLI_VERSION}`;

export interface ForwardResult {
  outcome: ForwardOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

export interface ForwardInput {
  url: string;
  id: string;
  /** The exact body the service streamed. */
  payload: string;
  secret: string;
  timeoutMs?: number;
  /** Cancels the attempt (Ctrl-C twice). */
  signal?: AbortSignal;
}

export async function forwardEvent(input: ForwardInput): Promise<ForwardResult> {
  const timeoutMs = input.timeoutMs ?? FORWARD_TIMEOUT_MS;
  const signatures = await signDeliveryHeaders({ id: input.id, payload: input.payload, secrets: [input.secret], timestamp: Math.floor(Date.now() / 1000) });
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = input.signal ? AbortSignal.any([timeout, input.signal]) : timeout;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(input.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...signatures },
      body: input.payload,
      // Like the service: a redirect is an answer, not an instruction.
      redirect: "manual",
      signal,
    });
    const responseBody = await readLimited(response);
    const ok = response.status >= 200 && response.status < 300;
    return { outcome: ok ? "delivered" : "http_error", statusCode: response.status, durationMs: elapsed(), error: null, responseBody };
  } catch (error) {
    if (timeout.aborted) {
      return { outcome: "timeout", statusCode: null, durationMs: elapsed(), error: `no response within ${timeoutMs} ms`, responseBody: null };
    }
    return { outcome: "connection_error", statusCode: null, durationMs: elapsed(), error: describeFailure(error).slice(0, ERROR_LIMIT), responseBody: null };
  }
}

/** Up to 4 KB of the body as text; the rest is never read. */
async function readLimited(response: Response): Promise<string> {
  // No body (a 204, say) is recorded as an empty one, as the service's own sender does.
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_BODY_LIMIT) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= RESPONSE_BODY_LIMIT) await reader.cancel().catch(() => {});
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT);
  // A multi-byte character cut at the limit decodes to U+FFFD; the text stays within 4096 characters.
  return new TextDecoder().decode(bytes);
}

/** `connect ECONNREFUSED 127.0.0.1:3000`: the socket error fetch hides in `cause`. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message || String((cause as { code?: unknown }).code ?? cause.name);
  return error instanceof Error ? error.message : String(error);
}
