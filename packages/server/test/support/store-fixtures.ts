/**
 * Builders for store tests: fresh workspaces, endpoints and published events with realistic ids,
 * plus raw row access for what the Store contract has no verb for yet (attempts, leases).
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { monotonicFactory } from "ulid";
import { KyselyStore } from "../../src/store/shared/kysely-store.js";
import type { Database } from "../../src/store/shared/schema.js";
import type {
  AttemptRow,
  EndpointRow,
  EventRow,
  Mode,
  NewEndpoint,
  NewEvent,
  PublishInput,
  Store,
  Workspace,
} from "../../src/store/store.js";

const ulid = monotonicFactory();

/** A prefixed id; ids made later sort after earlier ones (monotonic ULIDs). */
export function testId(prefix: "org" | "wh" | "evt" | "att" | "key"): string {
  return `${prefix}_${ulid()}`;
}

export async function newWorkspace(store: Store, mode: Mode = "sandbox"): Promise<Workspace> {
  const org = await store.ensureOrganization(`org-${randomBytes(6).toString("hex")}`, testId("org"), Date.now());
  return { organizationId: org.id, mode };
}

/** The other mode of the same organization: a different workspace that must see nothing. */
export function otherMode(ws: Workspace): Workspace {
  return { organizationId: ws.organizationId, mode: ws.mode === "sandbox" ? "live" : "sandbox" };
}

export function newEndpointInput(overrides: Partial<NewEndpoint> = {}): NewEndpoint {
  return {
    id: testId("wh"),
    url: "https://hooks.example.com/medblocks",
    events: ["*"],
    description: null,
    metadata: {},
    apiVersion: "2026-04-25",
    secretCiphertext: `sealed:${randomBytes(8).toString("hex")}`,
    now: 1_750_000_000_000,
    ...overrides,
  };
}

export function addEndpoint(store: Store, ws: Workspace, overrides: Partial<NewEndpoint> = {}): Promise<EndpointRow> {
  return store.insertEndpoint(ws, newEndpointInput(overrides));
}

/** What the domain's `buildEvents` does: one record per endpoint, unscheduled for disabled ones. */
export function buildEventsLikeTheDomain(type: string, now: number, data: unknown = { n: 1 }) {
  return (endpoints: EndpointRow[]): NewEvent[] =>
    endpoints.map((endpoint) => {
      const id = testId("evt");
      return {
        id,
        endpointId: endpoint.id,
        type,
        payload: JSON.stringify({ id, object: "event", type, api_version: endpoint.apiVersion, data: { object: data } }),
        apiVersion: endpoint.apiVersion,
        nextAttemptAt: endpoint.status === "active" ? now : null,
        createdAt: now,
      };
    });
}

/** Publishes and returns the created records, failing loudly on any other outcome. */
export async function publishCreated(
  store: Store,
  ws: Workspace,
  type: string,
  extra: Partial<PublishInput> = {},
): Promise<EventRow[]> {
  const now = extra.now ?? Date.now();
  const result = await store.publish(ws, { type, now, buildEvents: buildEventsLikeTheDomain(type, now), ...extra });
  if (result.kind !== "created") throw new Error(`expected a created publish, got ${result.kind}`);
  return result.events;
}

/** The typed connection behind a store created by `createStore`. */
export function rawDb(store: Store): Kysely<Database> {
  if (!(store instanceof KyselyStore)) throw new Error("rawDb needs a store made by createStore");
  return store.db;
}

/** Writes an attempt row directly: recording attempts is the delivery engine's verb, not yet the store's. */
export async function insertAttempt(
  store: Store,
  event: EventRow,
  overrides: Partial<AttemptRow> = {},
): Promise<AttemptRow> {
  const row: AttemptRow = {
    id: testId("att"),
    eventId: event.id,
    endpointId: event.endpointId,
    organizationId: event.organizationId,
    attempt: 1,
    trigger: "automatic",
    startedAt: 1_750_000_000_000,
    durationMs: 12,
    statusCode: 500,
    outcome: "http_error",
    error: null,
    responseBody: "oops",
    ...overrides,
  };
  await rawDb(store)
    .insertInto("event_attempts")
    .values({
      id: row.id,
      event_id: row.eventId,
      endpoint_id: row.endpointId,
      organization_id: row.organizationId,
      attempt: row.attempt,
      trigger: row.trigger,
      started_at: row.startedAt,
      duration_ms: row.durationMs,
      status_code: row.statusCode,
      outcome: row.outcome,
      error: row.error,
      response_body: row.responseBody,
    })
    .execute();
  return row;
}
