import { API_VERSION, WEBHOOK_EVENT_TYPES } from "@medblocks/connect";
import type { DomainContext } from "./context.js";
import { validateEndpointUrl } from "./endpoint-url.js";
import { conflict, invalidData, notFound, ServiceError } from "./errors.js";
import { isId, newId } from "./ids.js";
import { generateSigningSecret } from "./secret-box.js";
import type { EndpointRow, EndpointStatus, Workspace } from "../store/store.js";

/** Endpoint management (SPEC §5): the rules, independent of HTTP and SQL. */

export const MAX_ENDPOINTS_PER_WORKSPACE = 16;
export const MAX_EVENTS_PER_ENDPOINT = 5;
export const MAX_ROTATION_GRACE_SECONDS = 86_400;
const MAX_METADATA_KEY_LENGTH = 40;

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
  metadata?: Record<string, string>;
}

export interface EndpointUpdate {
  url?: string;
  events?: string[];
  description?: string | null;
  metadata?: Record<string, string>;
  status?: EndpointStatus;
}

const KNOWN_TYPES = new Set<string>(WEBHOOK_EVENT_TYPES);

export function checkEvents(events: string[]): string[] {
  if (events.length < 1 || events.length > MAX_EVENTS_PER_ENDPOINT) {
    throw invalidData("events", `'events' must list 1 to ${MAX_EVENTS_PER_ENDPOINT} event types, or ["*"] for all.`);
  }
  if (events.includes("*")) {
    if (events.length > 1) throw invalidData("events", `"*" subscribes to every event type and must stand alone.`);
    return events;
  }
  const unknown = events.filter((type) => !KNOWN_TYPES.has(type));
  if (unknown.length > 0) {
    throw invalidData(
      "events",
      `Unknown event type '${unknown[0]}'. Known types: ${WEBHOOK_EVENT_TYPES.join(", ")}, or "*" for all.`,
    );
  }
  if (new Set(events).size !== events.length) throw invalidData("events", "'events' lists an event type twice.");
  return events;
}

function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(metadata)) {
    if (key.length === 0 || key.length > MAX_METADATA_KEY_LENGTH) {
      throw invalidData("metadata", `Metadata keys must be 1 to ${MAX_METADATA_KEY_LENGTH} characters.`);
    }
  }
  return metadata;
}

async function findOrThrow(ctx: DomainContext, ws: Workspace, id: string): Promise<EndpointRow> {
  const endpoint = isId("wh", id) ? await ctx.store.findEndpoint(ws, id) : undefined;
  // A listen session's endpoint is the CLI's own, not one the customer registered.
  if (!endpoint || endpoint.kind !== "http") throw notFound("webhook endpoint", id);
  return endpoint;
}

export async function createEndpoint(ctx: DomainContext, ws: Workspace, input: EndpointInput) {
  const events = checkEvents(input.events);
  const metadata = checkMetadata(input.metadata ?? {});
  const url = await validateEndpointUrl(input.url, { mode: ws.mode, allowPrivateNetworks: ctx.allowPrivateNetworks }, ctx.resolveHost);
  const id = newId("wh");
  const secret = generateSigningSecret();
  const endpoint = await ctx.store.insertEndpointWithinLimit(
    ws,
    {
      id,
      url,
      events,
      description: input.description ?? null,
      metadata,
      apiVersion: API_VERSION,
      secretCiphertext: ctx.secrets.seal(secret, id),
      now: ctx.clock(),
    },
    MAX_ENDPOINTS_PER_WORKSPACE,
  );
  if (!endpoint) {
    throw new ServiceError(
      "invalid_request_error",
      "endpoint_limit_reached",
      `An organization can have at most ${MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints. Delete one you no longer use.`,
    );
  }
  return { endpoint, secret };
}

export const retrieveEndpoint = findOrThrow;

export async function updateEndpoint(ctx: DomainContext, ws: Workspace, id: string, update: EndpointUpdate) {
  const current = await findOrThrow(ctx, ws, id);
  const patch = {
    now: ctx.clock(),
    ...(update.url !== undefined && {
      url: await validateEndpointUrl(update.url, { mode: ws.mode, allowPrivateNetworks: ctx.allowPrivateNetworks }, ctx.resolveHost),
    }),
    ...(update.events !== undefined && { events: checkEvents(update.events) }),
    ...(update.description !== undefined && { description: update.description }),
    ...(update.metadata !== undefined && { metadata: checkMetadata(update.metadata) }),
    ...(update.status !== undefined &&
      update.status !== current.status && {
        status: update.status,
        disabledReason: update.status === "disabled" ? ("manual" as const) : null,
      }),
  };
  const updated = await ctx.store.updateEndpoint(ws, id, patch);
  if (!updated) throw notFound("webhook endpoint", id);
  if (patch.status === "active") ctx.wakeDelivery?.();
  if (patch.status === "disabled" || (patch.url !== undefined && patch.url !== current.url)) ctx.endpointChanged?.(id);
  return updated;
}

export async function deleteEndpoint(ctx: DomainContext, ws: Workspace, id: string): Promise<void> {
  if (!isId("wh", id) || !(await ctx.store.deleteEndpoint(ws, id))) throw notFound("webhook endpoint", id);
  ctx.endpointChanged?.(id);
}

export async function rotateEndpointSecret(ctx: DomainContext, ws: Workspace, id: string, expiresInSeconds: number) {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 0 || expiresInSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw invalidData("expires_in", `'expires_in' must be an integer number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS}.`);
  }
  const current = await findOrThrow(ctx, ws, id);
  const now = ctx.clock();
  const secret = generateSigningSecret();
  const keepOld = expiresInSeconds > 0;
  const endpoint = await ctx.store.rotateSecret(ws, id, {
    secretCiphertext: ctx.secrets.seal(secret, id),
    previousSecretCiphertext: keepOld ? current.secretCiphertext : null,
    previousSecretExpiresAt: keepOld ? now + expiresInSeconds * 1000 : null,
    now,
  });
  if (!endpoint) throw notFound("webhook endpoint", id);
  ctx.endpointChanged?.(id);
  return { endpoint, secret };
}

/** The secrets that sign a delivery at `now`: the current one, then the old one during a rotation grace. */
export function signingSecrets(ctx: Pick<DomainContext, "secrets">, endpoint: EndpointRow, now: number): string[] {
  const secrets = [ctx.secrets.open(endpoint.secretCiphertext, endpoint.id)];
  if (endpoint.previousSecretCiphertext && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now) {
    secrets.push(ctx.secrets.open(endpoint.previousSecretCiphertext, endpoint.id));
  }
  return secrets;
}

export function assertEndpointActive(endpoint: EndpointRow): void {
  if (endpoint.status === "disabled") {
    throw conflict(
      `Webhook endpoint ${endpoint.id} is disabled${endpoint.disabledReason === "exhausted" ? " after its retries were exhausted" : ""}. ` +
        `Re-enable it with PATCH /webhooks/${endpoint.id} {"status":"active"} first.`,
      "endpoint_disabled",
    );
  }
}

export const MAX_RECOVERY_WINDOW_MS = 14 * 86_400_000;

function parseTime(param: string, value: string): number {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw invalidData(param, `'${param}' must be an ISO 8601 time such as 2026-04-25T14:35:00Z.`);
  }
  return time;
}

/** Re-enqueues the endpoint's undelivered events created in the window, each with a fresh schedule. */
export async function recoverEndpoint(ctx: DomainContext, ws: Workspace, id: string, window: { since: string; until?: string | undefined }) {
  const now = ctx.clock();
  const since = parseTime("since", window.since);
  const until = window.until === undefined ? now : parseTime("until", window.until);
  if (since > until) throw invalidData("since", "'since' must be before 'until'.");
  if (until - since > MAX_RECOVERY_WINDOW_MS) throw invalidData("since", "The recovery window is at most 14 days; recover in several steps.");
  const endpoint = await findOrThrow(ctx, ws, id);
  assertEndpointActive(endpoint);
  const enqueued = await ctx.store.recoverEvents(ws, endpoint.id, { since, until, now });
  if (enqueued > 0) ctx.wakeDelivery?.();
  return enqueued;
}
