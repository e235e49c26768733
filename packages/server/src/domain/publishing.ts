import { WEBHOOK_EVENT_TYPES } from "@medblocks/connect";
import type { DomainContext } from "./context.js";
import { invalidData } from "./errors.js";
import { checkIdempotencyKey, fingerprintOf, IDEMPOTENCY_WINDOW_MS, keyReusedError } from "./idempotency.js";
import { newId } from "./ids.js";
import type { EventRow, NewEvent, Workspace } from "../store/store.js";

/**
 * Publishing a fact (SPEC §6): one event record per subscribed endpoint, written in one transaction
 * with its first schedule, so that nothing published is lost between the request and delivery.
 */

export interface Fact {
  type: string;
  data: { object: object };
}

export interface PublishOptions {
  /** The same key within 24 h returns the first result and creates nothing. */
  idempotencyKey?: string;
}

export interface Published {
  events: EventRow[];
  /** True when an earlier publish with the same idempotency key answered. */
  replayed: boolean;
}

const KNOWN_TYPES = new Set<string>(WEBHOOK_EVENT_TYPES);

/**
 * The delivered bodies of one fact, one per endpoint: keys in the order SPEC §2 gives, serialized
 * once and stored byte for byte. The resource is serialized once for all of them; only the id and
 * the API version differ from one endpoint to the next.
 */
function envelopes(fact: Fact, createdAt: number): (id: string, apiVersion: string) => string {
  const object: string | undefined = JSON.stringify(fact.data.object);
  // Only a `toJSON` that returns nothing gets here; the envelope would have no resource.
  if (object === undefined) throw invalidData("data.object", "'data.object' must serialize to a JSON object.");
  const createdAtIso = new Date(createdAt).toISOString();
  return (id, apiVersion) => {
    const head = JSON.stringify({ id, object: "event", type: fact.type, api_version: apiVersion, created_at: createdAtIso });
    return `${head.slice(0, -1)},"data":{"object":${object}}}`;
  };
}

function checkFact(fact: Fact): void {
  if (!KNOWN_TYPES.has(fact.type)) {
    throw invalidData("type", `Unknown event type '${fact.type}'. Known types: ${WEBHOOK_EVENT_TYPES.join(", ")}.`);
  }
  const object = fact.data?.object;
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    throw invalidData("data.object", "'data.object' must be a JSON object: the resource the event is about.");
  }
}

export async function publishFact(ctx: DomainContext, ws: Workspace, fact: Fact, options: PublishOptions = {}): Promise<Published> {
  checkFact(fact);
  const now = ctx.clock();
  let idempotency;
  if (options.idempotencyKey !== undefined) {
    checkIdempotencyKey(options.idempotencyKey);
    idempotency = { key: options.idempotencyKey, fingerprint: fingerprintOf([fact.type, fact.data]), expiresAt: now + IDEMPOTENCY_WINDOW_MS };
  }
  const envelope = envelopes(fact, now);
  const result = await ctx.store.publish(ws, {
    type: fact.type,
    now,
    ...(idempotency && { idempotency }),
    buildEvents: (endpoints) =>
      endpoints.map((endpoint): NewEvent => {
        const id = newId("evt", now);
        return {
          id,
          endpointId: endpoint.id,
          type: fact.type,
          payload: envelope(id, endpoint.apiVersion),
          apiVersion: endpoint.apiVersion,
          // A disabled endpoint keeps a record of what it missed; recover or redeliver sends it later.
          nextAttemptAt: endpoint.status === "active" ? now : null,
          createdAt: now,
        };
      }),
  });
  if (result.kind === "idempotency_conflict") throw keyReusedError();
  if (result.kind === "created" && result.events.some((e) => e.nextAttemptAt !== null)) ctx.wakeDelivery?.();
  return { events: result.events, replayed: result.kind === "replayed" };
}
