/**
 * The tables as Kysely sees them (snake_case columns). Times are epoch milliseconds: INTEGER in
 * SQLite, BIGINT in PostgreSQL (parsed back to numbers by the pool). JSON columns are TEXT so both
 * dialects store the same bytes; the mappers in this folder parse them.
 */
import type { ColumnType } from "kysely";
import type { AttemptOutcome, AttemptTrigger, DisabledReason, EndpointKind, EndpointStatus, Mode } from "../store.js";

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  mode: Mode;
  key_hash: string;
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  mode: Mode;
  /** `http`: a registered endpoint the dispatcher POSTs to; `cli`: a `medblocks listen` session's stream. */
  kind: EndpointKind;
  /** For `cli` endpoints, the machine the listen session runs on. */
  device: string | null;
  url: string;
  /** JSON array of event types, or `["*"]`. */
  events: string;
  status: EndpointStatus;
  disabled_reason: DisabledReason | null;
  description: string | null;
  /** JSON object of string values. */
  metadata: string;
  api_version: string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: string;
  organization_id: string;
  mode: Mode;
  endpoint_id: string;
  type: string;
  /** The envelope exactly as delivered; never parsed and re-serialized. */
  payload: string;
  api_version: string;
  attempts: number;
  /** Automatic attempts made since the schedule (re)started: the position in the retry schedule. */
  scheduled_attempts: number;
  /**
   * Due time, or while claimed the end of the lease (a crashed worker's claim comes due by itself).
   * Null when delivered, exhausted, unscheduled or parked.
   */
  next_attempt_at: number | null;
  /** The due time an event keeps while its endpoint is disabled; restored when it is re-enabled. */
  parked_at: number | null;
  delivered_at: number | null;
  exhausted_at: number | null;
  last_status_code: number | null;
  last_response_body: string | null;
  last_redelivered_at: number | null;
  created_at: number;
  /** Which worker holds the event for an attempt in flight; with `lease_expires_at`, the fence token. */
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export interface EventAttemptsTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  organization_id: string;
  attempt: number;
  trigger: AttemptTrigger;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  response_body: string | null;
}

export interface IdempotencyKeysTable {
  organization_id: string;
  mode: Mode;
  key: string;
  fingerprint: string;
  /** JSON array of the event ids the first request created, in the order it returned them. */
  event_ids: string;
  /**
   * For a key sent with another POST than a publish: the first request's answer, sealed (it may
   * hold a signing secret); null while that request is still being handled.
   */
  response: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: number;
  expires_at: number;
}

export interface Database {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  webhook_endpoints: WebhookEndpointsTable;
  events: EventsTable;
  event_attempts: EventAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
}
