import type { Kysely } from "kysely";
import type {
  ApiKeyRow,
  AttemptRecord,
  AttemptRow,
  ClaimedEvent,
  ClaimInput,
  CompleteAttemptInput,
  DisabledReason,
  QueueStats,
  EndpointEventQuery,
  EndpointPatch,
  EndpointRow,
  EndpointStatus,
  EventRow,
  IdempotencyClaim,
  NewEndpoint,
  Organization,
  Page,
  PageQuery,
  PublishInput,
  PublishResult,
  RecordedAttempt,
  RequestKeyClaim,
  SecretRotation,
  Store,
  StoreAnnouncements,
  Workspace,
} from "../store.js";
import * as apiKeys from "./api-keys.js";
import { listAttempts } from "./attempts.js";
import * as delivery from "./delivery.js";
import * as idempotency from "./idempotency.js";
import * as listen from "./listen.js";
import * as retention from "./retention.js";
import type { DialectSupport } from "./dialect-support.js";
import * as endpoints from "./endpoints.js";
import { findEvent, listEndpointEvents } from "./events.js";
import { runMigrations } from "./migrations.js";
import { ensureOrganization, findOrganizationByName } from "./organizations.js";
import { publish } from "./publish.js";
import type { Database } from "./schema.js";
import type { StoreLogger } from "./store-logger.js";

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  support: DialectSupport;
  dataDirectory: string | null;
  logger?: StoreLogger | undefined;
  /** Gives the connection back; defaults to destroying it. */
  release?: () => Promise<void>;
}

/**
 * The Store over any Kysely database. It only wires the contract to the query modules of this
 * folder; what differs between SQLite and PostgreSQL comes in through `DialectSupport`.
 */
export class KyselyStore implements Store {
  readonly dialect: "sqlite" | "postgres";

  readonly dataDirectory: string | null;
  /** The typed connection, for store-internal code and tests; not part of the contract. */
  readonly db: Kysely<Database>;
  readonly #support: DialectSupport;
  readonly #logger: StoreLogger | undefined;
  readonly #release: () => Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(options: KyselyStoreOptions) {
    this.db = options.db;
    this.#support = options.support;
    this.dialect = options.support.name;
    this.dataDirectory = options.dataDirectory;
    this.#logger = options.logger;
    this.#release = options.release ?? (() => options.db.destroy());
  }

  migrate(): Promise<void> {
    return runMigrations(this.db, this.#support, this.#logger);
  }

  /** Idempotent: a second call waits for the first instead of releasing a shared connection twice. */
  close(): Promise<void> {
    this.#closing ??= this.#release();
    return this.#closing;
  }

  ensureOrganization(name: string, id: string, now: number): Promise<Organization> {
    return ensureOrganization(this.db, name, id, now);
  }

  findOrganizationByName(name: string): Promise<Organization | undefined> {
    return findOrganizationByName(this.db, name);
  }

  insertApiKey(key: ApiKeyRow): Promise<void> {
    return apiKeys.insertApiKey(this.db, key);
  }

  findApiKeyByHash(keyHash: string, includeRevoked = false): Promise<ApiKeyRow | undefined> {
    return apiKeys.findApiKeyByHash(this.db, keyHash, includeRevoked);
  }

  listApiKeys(organizationId?: string): Promise<ApiKeyRow[]> {
    return apiKeys.listApiKeys(this.db, organizationId);
  }

  revokeApiKey(id: string, now: number): Promise<boolean> {
    return apiKeys.revokeApiKey(this.db, id, now);
  }

  countApiKeys(): Promise<number> {
    return apiKeys.countApiKeys(this.db);
  }

  insertEndpoint(ws: Workspace, endpoint: NewEndpoint): Promise<EndpointRow> {
    return endpoints.insertEndpoint(this.db, ws, endpoint);
  }

  insertEndpointWithinLimit(ws: Workspace, endpoint: NewEndpoint, limit: number): Promise<EndpointRow | undefined> {
    return endpoints.insertEndpointWithinLimit(this.db, this.#support, ws, endpoint, limit);
  }

  countEndpoints(ws: Workspace): Promise<number> {
    return endpoints.countEndpoints(this.db, ws);
  }

  findEndpoint(ws: Workspace, id: string): Promise<EndpointRow | undefined> {
    return endpoints.findEndpoint(this.db, ws, id);
  }

  listEndpoints(ws: Workspace, query: PageQuery & { status?: EndpointStatus }): Promise<Page<EndpointRow>> {
    return endpoints.listEndpoints(this.db, ws, query);
  }

  async updateEndpoint(ws: Workspace, id: string, patch: EndpointPatch): Promise<EndpointRow | undefined> {
    const row = await endpoints.updateEndpoint(this.db, ws, id, patch);
    // A resumed endpoint's overdue events are due now: tell every worker.
    if (row && patch.status === "active") await this.#support.notifyDue(this.db);
    return row;
  }

  rotateSecret(ws: Workspace, id: string, rotation: SecretRotation): Promise<EndpointRow | undefined> {
    return endpoints.rotateSecret(this.db, ws, id, rotation);
  }

  deleteEndpoint(ws: Workspace, id: string): Promise<boolean> {
    return endpoints.deleteEndpoint(this.db, this.#support, ws, id);
  }

  claimRequestKey(ws: Workspace, claim: IdempotencyClaim, now: number, staleBefore: number): Promise<RequestKeyClaim> {
    return idempotency.claimRequestKey(this.db, ws, claim, now, staleBefore);
  }

  recordRequestResponse(ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">, response: string): Promise<void> {
    return idempotency.recordRequestResponse(this.db, ws, claim, response);
  }

  releaseRequestKey(ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">): Promise<void> {
    return idempotency.releaseRequestKey(this.db, ws, claim);
  }

  publish(ws: Workspace, input: PublishInput): Promise<PublishResult> {
    return publish(this.db, this.#support, ws, input);
  }

  findEvent(ws: Workspace, id: string): Promise<EventRow | undefined> {
    return findEvent(this.db, ws, id);
  }

  listEndpointEvents(ws: Workspace, endpointId: string, query: EndpointEventQuery): Promise<Page<EventRow>> {
    return listEndpointEvents(this.db, ws, endpointId, query);
  }

  listAttempts(ws: Workspace, eventId: string, query: PageQuery): Promise<Page<AttemptRow>> {
    return listAttempts(this.db, ws, eventId, query);
  }

  claimDue(input: ClaimInput): Promise<ClaimedEvent[]> {
    return delivery.claimDue(this.db, this.#support, input);
  }

  completeAttempt(input: CompleteAttemptInput): Promise<RecordedAttempt> {
    return delivery.completeAttempt(this.db, this.#support, input);
  }

  releaseClaims(owner: string, eventIds: readonly string[], now: number): Promise<void> {
    return delivery.releaseClaims(this.db, owner, eventIds, now);
  }

  reserveRedelivery(ws: Workspace, eventId: string, now: number, intervalMs: number): Promise<boolean> {
    return delivery.reserveRedelivery(this.db, ws, eventId, now, intervalMs);
  }

  recordManualAttempt(
    ws: Workspace,
    eventId: string,
    attempt: AttemptRecord,
    disableEndpoint?: DisabledReason,
  ): Promise<{ event: EventRow; endpointDisabled: boolean } | undefined> {
    return delivery.recordManualAttempt(this.db, this.#support, ws, eventId, attempt, disableEndpoint);
  }

  async recoverEvents(ws: Workspace, endpointId: string, window: { since: number; until: number; now: number }): Promise<number> {
    const enqueued = await delivery.recoverEvents(this.db, ws, endpointId, window);
    if (enqueued > 0) await this.#support.notifyDue(this.db);
    return enqueued;
  }

  queueStats(now: number): Promise<QueueStats> {
    return delivery.queueStats(this.db, this.#support, now);
  }

  ensureListenEndpoint(ws: Workspace, device: string, events: string[], create: () => NewEndpoint): Promise<EndpointRow> {
    return listen.ensureListenEndpoint(this.db, ws, device, events, create);
  }

  claimEndpointEvents(input: Omit<ClaimInput, "excludeEndpointIds"> & { endpointId: string }): Promise<ClaimedEvent[]> {
    return listen.claimEndpointEvents(this.db, this.#support, input);
  }

  purgeFinishedEvents(cutoff: number, batchSize: number): Promise<number> {
    return retention.purgeBatch(this.db, cutoff, batchSize);
  }

  purgeIdempotencyKeys(now: number, batchSize: number): Promise<number> {
    return retention.purgeIdempotencyKeys(this.db, now, batchSize);
  }

  announceEndpointChanged(endpointId: string): Promise<void> {
    return this.#support.notifyEndpointChanged(this.db, endpointId);
  }

  onAnnouncements(listener: StoreAnnouncements): Promise<() => Promise<void>> {
    return this.#support.onAnnouncements(listener);
  }
}
