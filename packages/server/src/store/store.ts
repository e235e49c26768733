/**
 * The storage contract of the service, in domain verbs. Routes and the delivery engine talk to this
 * interface only; `createStore(url)` picks the SQLite or PostgreSQL implementation.
 *
 * Conventions: times are epoch milliseconds (numbers); JSON columns are exposed parsed; every query
 * that touches customer data is scoped to a workspace (an organization in one mode), so one
 * organization's ids are invisible to another's keys.
 */

export type Mode = "sandbox" | "live";

/** An organization in one mode: the unit of tenancy. Sandbox and live data never mix. */
export interface Workspace {
  organizationId: string;
  mode: Mode;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyRow {
  id: string;
  organizationId: string;
  mode: Mode;
  /** SHA-256 hex of the whole key; the key itself is never stored. */
  keyHash: string;
  /** A short, non-secret hint such as `mb_sk_sbx_…a1b2` for listings. */
  hint: string;
  createdAt: number;
  revokedAt: number | null;
}

export type EndpointStatus = "active" | "disabled";
/** Why an endpoint is disabled: by its owner, by exhausting an event's retries, or by a 410 answer. */
export type DisabledReason = "manual" | "exhausted" | "gone";

/**
 * `http`: registered by the customer, delivered by the dispatcher. `cli`: the hidden endpoint of a
 * `medblocks listen` session (one per workspace and machine), streamed to the CLI instead.
 */
export type EndpointKind = "http" | "cli";

export interface EndpointRow {
  id: string;
  organizationId: string;
  mode: Mode;
  kind: EndpointKind;
  url: string;
  events: string[];
  status: EndpointStatus;
  disabledReason: DisabledReason | null;
  description: string | null;
  metadata: Record<string, string>;
  apiVersion: string;
  /** The current signing secret, encrypted at rest (see domain/secret-box.ts). */
  secretCiphertext: string;
  /** The secret replaced by the last rotation, still signing until `previousSecretExpiresAt`. */
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface EventRow {
  id: string;
  organizationId: string;
  mode: Mode;
  endpointId: string;
  type: string;
  /** The exact envelope bytes delivered to the receiver (JSON text). */
  payload: string;
  apiVersion: string;
  attempts: number;
  /** Automatic attempts since the retry schedule (re)started; manual redeliveries do not count. */
  scheduledAttempts: number;
  /** Null when delivered, exhausted, never scheduled, or paused with a disabled endpoint. */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  /** Set when the last scheduled attempt failed; such records are purged after retention. */
  exhaustedAt: number | null;
  lastStatusCode: number | null;
  lastResponseBody: string | null;
  lastRedeliveredAt: number | null;
  createdAt: number;
}

export type AttemptTrigger = "automatic" | "manual";
export type AttemptOutcome = "delivered" | "http_error" | "timeout" | "connection_error" | "blocked";

export interface AttemptRow {
  id: string;
  eventId: string;
  endpointId: string;
  organizationId: string;
  attempt: number;
  trigger: AttemptTrigger;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  responseBody: string | null;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** Keyset pagination over ULID ids: newest first unless a method says otherwise. */
export interface PageQuery {
  limit: number;
  /** Return rows strictly after this id in the listing order. */
  startingAfter?: string;
}

export interface NewEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  metadata: Record<string, string>;
  apiVersion: string;
  secretCiphertext: string;
  now: number;
}

export interface EndpointPatch {
  url?: string;
  events?: string[];
  description?: string | null;
  metadata?: Record<string, string>;
  status?: EndpointStatus;
  disabledReason?: DisabledReason | null;
  now: number;
}

export interface SecretRotation {
  secretCiphertext: string;
  /** The old secret keeps signing until then; null drops it at once. */
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: number | null;
  now: number;
}

/** One event record to insert by `publish`: built by the domain for each matching endpoint. */
export interface NewEvent {
  id: string;
  endpointId: string;
  type: string;
  payload: string;
  apiVersion: string;
  /** `now` for an active endpoint; null for a disabled one (nothing is attempted until recovered). */
  nextAttemptAt: number | null;
  createdAt: number;
}

/** An idempotency key and what identifies the request made with it; kept until `expiresAt`. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
  expiresAt: number;
}

/** What taking an idempotency key for a request other than a publish found. */
export type RequestKeyClaim =
  | { kind: "claimed" }
  /** The first request's answer, as recorded. */
  | { kind: "replay"; response: string }
  /** The key was used with a different request. */
  | { kind: "conflict" }
  /** The first request with this key has not answered yet. */
  | { kind: "in_progress" };

export interface PublishInput {
  type: string;
  now: number;
  /** With a key, a repeat within the retention window returns the first result and inserts nothing. */
  idempotency?: IdempotencyClaim;
  /** Called inside the transaction with every endpoint of the workspace subscribed to `type`. */
  buildEvents(endpoints: EndpointRow[]): NewEvent[];
}

export type PublishResult =
  | { kind: "created"; events: EventRow[] }
  | { kind: "replayed"; events: EventRow[] }
  /** The key was used before with a different request. */
  | { kind: "idempotency_conflict" };

export interface EndpointEventQuery extends PageQuery {
  delivered?: boolean;
  type?: string;
}

/**
 * What a claim reads of an event: what an attempt (or a listen stream) needs, none of its history.
 * The claim returns every row it leases, so each column left out is a copy saved per delivery; the
 * last response body alone can be 4 KB on a retry.
 */
export type ClaimedEventRow = Pick<EventRow, "id" | "organizationId" | "mode" | "endpointId" | "type" | "payload" | "attempts" | "scheduledAttempts">;

/** An event claimed by a worker for one attempt, with what the sender needs. */
export interface ClaimedEvent {
  event: ClaimedEventRow;
  endpoint: EndpointRow;
  /** The claim's end; with the owner, the fence that completing the attempt must present. */
  leaseExpiresAt: number;
}

export interface ClaimInput {
  owner: string;
  limit: number;
  leaseMs: number;
  now: number;
  /** Endpoints this worker already has at their in-flight cap; their events stay for later. */
  excludeEndpointIds: readonly string[];
  /** At most this many events of any one endpoint (default: `limit`). */
  perEndpointLimit?: number;
}

/** An attempt as recorded, without the ids the store fills in. */
export type AttemptRecord = Omit<AttemptRow, "eventId" | "endpointId" | "organizationId" | "attempt" | "trigger">;

export interface CompleteAttemptInput {
  owner: string;
  leaseExpiresAt: number;
  eventId: string;
  attempt: AttemptRecord;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  exhaustedAt: number | null;
  /** Disable the endpoint with this reason (exhaustion or 410), in the same transaction. */
  disableEndpoint?: DisabledReason;
}

/** What recording an attempt wrote. */
export interface RecordedAttempt {
  /** False when the lease was lost to another worker: nothing was written. */
  recorded: boolean;
  /**
   * This attempt disabled its endpoint. False when the endpoint was already disabled, or when a
   * failed last attempt found its event delivered by a manual redelivery (nothing was exhausted).
   */
  endpointDisabled: boolean;
}

export interface QueueStats {
  /** Events due now on active endpoints (counted up to a cap, so a scrape stays cheap). */
  due: number;
  oldestDueAt: number | null;
}

export interface Store {
  readonly dialect: "sqlite" | "postgres";
  /**
   * The absolute directory holding the SQLite database file, where files that belong with the data
   * (the generated encryption key) live; null for PostgreSQL and for an in-memory database.
   */
  readonly dataDirectory: string | null;
  /** Brings the schema up to date; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // Organizations and API keys (not workspace-scoped: they define the workspaces).
  ensureOrganization(name: string, id: string, now: number): Promise<Organization>;
  findOrganizationByName(name: string): Promise<Organization | undefined>;
  insertApiKey(key: ApiKeyRow): Promise<void>;
  /** The key with that hash, unless revoked. */
  /** The key with that hash; a revoked one only with `includeRevoked`. */
  findApiKeyByHash(keyHash: string, includeRevoked?: boolean): Promise<ApiKeyRow | undefined>;
  listApiKeys(organizationId?: string): Promise<ApiKeyRow[]>;
  /** Revokes by id; false when no such unrevoked key. */
  revokeApiKey(id: string, now: number): Promise<boolean>;
  countApiKeys(): Promise<number>;

  // Endpoints.
  insertEndpoint(ws: Workspace, endpoint: NewEndpoint): Promise<EndpointRow>;
  /** Inserts unless the workspace already has `limit` registered endpoints (undefined then), atomically. */
  insertEndpointWithinLimit(ws: Workspace, endpoint: NewEndpoint, limit: number): Promise<EndpointRow | undefined>;
  countEndpoints(ws: Workspace): Promise<number>;
  findEndpoint(ws: Workspace, id: string): Promise<EndpointRow | undefined>;
  listEndpoints(ws: Workspace, query: PageQuery & { status?: EndpointStatus }): Promise<Page<EndpointRow>>;
  /** Undefined when not found. Setting status `active` resumes the endpoint's pending events. */
  updateEndpoint(ws: Workspace, id: string, patch: EndpointPatch): Promise<EndpointRow | undefined>;
  rotateSecret(ws: Workspace, id: string, rotation: SecretRotation): Promise<EndpointRow | undefined>;
  /**
   * The `cli` endpoint of a listen session for this workspace and device, created with `create()`'s
   * fields if new; its subscription is set to `events`.
   */
  ensureListenEndpoint(ws: Workspace, device: string, events: string[], create: () => NewEndpoint): Promise<EndpointRow>;
  /** Claims due events of one endpoint, like `claimDue`: the listen stream's queue. */
  claimEndpointEvents(input: Omit<ClaimInput, "excludeEndpointIds"> & { endpointId: string }): Promise<ClaimedEvent[]>;
  /** Deletes the endpoint with its events and attempts; false when not found. */
  deleteEndpoint(ws: Workspace, id: string): Promise<boolean>;

  // Idempotency keys of POST requests other than a publish.
  /** Takes the key, or says what holds it; an unanswered claim older than `staleBefore` is taken over. */
  claimRequestKey(ws: Workspace, claim: IdempotencyClaim, now: number, staleBefore: number): Promise<RequestKeyClaim>;
  recordRequestResponse(ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">, response: string): Promise<void>;
  releaseRequestKey(ws: Workspace, claim: Pick<IdempotencyClaim, "key" | "fingerprint">): Promise<void>;

  // Events.
  publish(ws: Workspace, input: PublishInput): Promise<PublishResult>;
  findEvent(ws: Workspace, id: string): Promise<EventRow | undefined>;
  listEndpointEvents(ws: Workspace, endpointId: string, query: EndpointEventQuery): Promise<Page<EventRow>>;
  /** The attempt log of one event, oldest first. */
  listAttempts(ws: Workspace, eventId: string, query: PageQuery): Promise<Page<AttemptRow>>;

  // Delivery (the dispatcher and manual redelivery).
  /**
   * Claims up to `limit` due events of active endpoints for `owner`. A claim moves the event's due
   * time to the lease's end, so an event whose worker died comes due again by itself.
   */
  claimDue(input: ClaimInput): Promise<ClaimedEvent[]>;
  /**
   * Records an automatic attempt and the event's next state, if `owner` still holds the lease it
   * claimed (nothing is written when the lease was lost to another worker).
   */
  completeAttempt(input: CompleteAttemptInput): Promise<RecordedAttempt>;
  /** Hands claimed but unstarted events back to the queue, due now (parked ones stay parked, due now when resumed). */
  releaseClaims(owner: string, eventIds: readonly string[], now: number): Promise<void>;
  /**
   * Reserves a manual redelivery: true, and `lastRedeliveredAt` set to `now`, unless the event was
   * redelivered less than `intervalMs` ago. Atomic, so two concurrent requests cannot both pass.
   */
  reserveRedelivery(ws: Workspace, eventId: string, now: number, intervalMs: number): Promise<boolean>;
  /**
   * Records a manual attempt; a success marks the event delivered. With `disableEndpoint` (a 410),
   * also disables the event's endpoint, if active, and parks its scheduled events, in the same
   * transaction. Returns the updated record; undefined when the event is gone.
   */
  recordManualAttempt(
    ws: Workspace,
    eventId: string,
    attempt: AttemptRecord,
    disableEndpoint?: DisabledReason,
  ): Promise<{ event: EventRow; endpointDisabled: boolean } | undefined>;
  /**
   * Re-enqueues every undelivered event of the endpoint created in [since, until] with a fresh
   * schedule, due now. Returns how many.
   */
  recoverEvents(ws: Workspace, endpointId: string, window: { since: number; until: number; now: number }): Promise<number>;
  queueStats(now: number): Promise<QueueStats>;

  // Retention.
  /** Deletes up to `batchSize` delivered or exhausted events finished before `cutoff`, with their attempts. */
  purgeFinishedEvents(cutoff: number, batchSize: number): Promise<number>;
  /** Deletes up to `batchSize` idempotency keys expired before `now`. */
  purgeIdempotencyKeys(now: number, batchSize: number): Promise<number>;

  // Announcements across processes (PostgreSQL LISTEN/NOTIFY; none on SQLite, where the poll finds
  // other processes' events).
  /** Tells other processes that an endpoint was disabled, deleted, or given a new URL or secret. */
  announceEndpointChanged(endpointId: string): Promise<void>;
  /**
   * Calls `listener` when another process published, resumed or recovered events, or announced a
   * changed endpoint. Resolves with an unsubscribe.
   */
  onAnnouncements(listener: StoreAnnouncements): Promise<() => Promise<void>>;
}

/** What other processes announce through the database (PostgreSQL NOTIFY). */
export interface StoreAnnouncements {
  /** Events became due: published, resumed or recovered. */
  due(): void;
  /** An endpoint was disabled, deleted, or given a new URL or secret. */
  endpointChanged(endpointId: string): void;
}
