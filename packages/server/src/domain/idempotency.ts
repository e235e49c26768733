import { createHash } from "node:crypto";
import type { Workspace } from "../store/store.js";
import type { DomainContext } from "./context.js";
import { conflict, invalidData } from "./errors.js";

/**
 * `Idempotency-Key` (SPEC §6 for publishing; the other POST routes too, so a client may retry any
 * POST whose answer it lost): the same key within 24 hours answers what the first request answered
 * and does nothing again.
 */

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/**
 * A request other than a publish records its answer after its work is done; if its process died in
 * between, the key is free again for the same request after this long (well past any request's
 * duration, redelivery's 5-second attempt included).
 */
export const UNANSWERED_KEY_TAKEOVER_MS = 60_000;

export function checkIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw invalidData(
      "Idempotency-Key",
      `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters without spaces.`,
    );
  }
}

export const fingerprintOf = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex");

export const keyReusedError = () =>
  conflict("This Idempotency-Key was already used with a different request in the last 24 hours. Use a new key for a new request.");

/** A request that took its key and must record its answer (or give the key back). */
export interface HeldKey {
  key: string;
  fingerprint: string;
}

export interface RecordedAnswer {
  statusCode: number;
  body: string;
}

/** The answer sealed as it is stored: it may hold a signing secret (a created endpoint's). */
const sealedFor = (ws: Workspace, key: string) => `idempotency:${ws.organizationId}:${ws.mode}:${key}`;

/**
 * Takes `key` for the request identified by `request` (method, path, body): returns the key to
 * record the answer under, or the first request's answer to replay. A key used with another
 * request, or whose first request has not answered yet, is a 409.
 */
export async function takeRequestKey(ctx: DomainContext, ws: Workspace, key: string, request: unknown): Promise<HeldKey | RecordedAnswer> {
  checkIdempotencyKey(key);
  const now = ctx.clock();
  const fingerprint = fingerprintOf(request);
  const claim = await ctx.store.claimRequestKey(ws, { key, fingerprint, expiresAt: now + IDEMPOTENCY_WINDOW_MS }, now, now - UNANSWERED_KEY_TAKEOVER_MS);
  switch (claim.kind) {
    case "claimed":
      return { key, fingerprint };
    case "replay":
      return JSON.parse(ctx.secrets.open(claim.response, sealedFor(ws, key))) as RecordedAnswer;
    case "conflict":
      throw keyReusedError();
    case "in_progress":
      throw conflict("A request with this Idempotency-Key is still being handled. Retry it in a few seconds to get its answer.");
  }
}

/**
 * Keeps the answer for replay, unless a retry should run the request again: a 5xx or a 429 (what
 * clients retry, with the same key) gives the key back instead.
 */
export async function settleRequestKey(ctx: DomainContext, ws: Workspace, held: HeldKey, answer: RecordedAnswer): Promise<void> {
  if (answer.statusCode >= 500 || answer.statusCode === 429) {
    await ctx.store.releaseRequestKey(ws, held);
    return;
  }
  await ctx.store.recordRequestResponse(ws, held, ctx.secrets.seal(JSON.stringify(answer), sealedFor(ws, held.key)));
}
