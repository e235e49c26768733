import {
  API_VERSION,
  type ConnectionTokenRefreshFailedEvent,
  type PatientFlowCompletedEvent,
  type RecordsSyncCompletedEvent,
  type RecordsSyncFailedEvent,
  type WebhookEventObjects,
  type WebhookEventOf,
  type WebhookEventType,
} from "../types/events.js";
import type { Connection, PatientFlow, RecordsSyncCompleted, RecordsSyncFailed } from "../types/payloads.js";
import { newUlid } from "./ulid.js";

/**
 * Builders of realistic events, one per type, for tests and local development. Each call makes
 * fresh ids and timestamps; `overrides` replace fields of `data.object`.
 */
export interface WebhookFixtures {
  /** A `patient_flow.completed` event: a completed direct-mode flow with one active connection. */
  patientFlowCompleted(overrides?: Partial<PatientFlow>): PatientFlowCompletedEvent;
  /** A `connection.token_refresh_failed` event: the EHR refused the refresh token (`invalid_grant`). */
  connectionTokenRefreshFailed(overrides?: Partial<Connection>): ConnectionTokenRefreshFailedEvent;
  /** A `records.sync.completed` event: a pull of 248 records without errors. */
  recordsSyncCompleted(overrides?: Partial<RecordsSyncCompleted>): RecordsSyncCompletedEvent;
  /** A `records.sync.failed` event: the EHR stopped authorizing the pull. */
  recordsSyncFailed(overrides?: Partial<RecordsSyncFailed>): RecordsSyncFailedEvent;
}

const DEFAULT_PATIENT_ID = "user_1001";
const DEFAULT_EHR_SOURCE = "fhirsrc_epic_sandbox";
const MINUTE = 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Copies `overrides` onto `base`, skipping keys set to `undefined` so required fields stay set. */
function applyOverrides<T extends object>(base: T, overrides: Partial<T> | undefined): T {
  const out = { ...base };
  if (overrides) {
    for (const key of Object.keys(overrides) as (keyof T)[]) {
      const value = overrides[key];
      if (value !== undefined) out[key] = value as T[keyof T];
    }
  }
  return out;
}

function envelope<T extends WebhookEventType>(type: T, object: WebhookEventObjects[T], now: number): WebhookEventOf<T> {
  return {
    id: `evt_${newUlid(now)}`,
    object: "event",
    type,
    api_version: API_VERSION,
    created_at: iso(now),
    data: { object },
  } as WebhookEventOf<T>;
}

function activeConnection(patientId: string, ehrSource: string, createdAt: number): Connection {
  return {
    id: `conn_${newUlid(createdAt)}`,
    resource_type: "connection",
    connection_id: ehrSource,
    patient_id: patientId,
    status: "active",
    failure_code: null,
    failure_at: null,
    created_at: iso(createdAt),
  };
}

function patientFlowCompleted(overrides?: Partial<PatientFlow>): PatientFlowCompletedEvent {
  const now = Date.now();
  const createdAt = now - 6 * MINUTE;
  const patientId = overrides?.patient_id ?? DEFAULT_PATIENT_ID;
  const ehrSource = overrides?.connection_id ?? DEFAULT_EHR_SOURCE;
  const id = `pf_${newUlid(createdAt)}`;
  const flow: PatientFlow = {
    id,
    resource_type: "patient_flow",
    status: "complete",
    url: `https://app.medblocks.com/connect/${id}`,
    patient_id: patientId,
    connection_id: ehrSource,
    recommended_connection_ids: null,
    return_url: "https://app.example.com/onboarding/records-connected",
    return_button_label: "Back to Example Health",
    connections: [activeConnection(patientId, ehrSource, now - MINUTE)],
    expires_at: iso(createdAt + 24 * 60 * MINUTE),
    metadata: { onboarding_step: "records" },
    created_at: iso(createdAt),
  };
  return envelope("patient_flow.completed", applyOverrides(flow, overrides), now);
}

function connectionTokenRefreshFailed(overrides?: Partial<Connection>): ConnectionTokenRefreshFailedEvent {
  const now = Date.now();
  const createdAt = now - 30 * 24 * 60 * MINUTE;
  const connection: Connection = {
    id: `conn_${newUlid(createdAt)}`,
    resource_type: "connection",
    connection_id: DEFAULT_EHR_SOURCE,
    patient_id: DEFAULT_PATIENT_ID,
    status: "refresh_failed",
    failure_code: "invalid_grant",
    failure_at: iso(now - 1_000),
    created_at: iso(createdAt),
  };
  return envelope("connection.token_refresh_failed", applyOverrides(connection, overrides), now);
}

function recordsSyncCompleted(overrides?: Partial<RecordsSyncCompleted>): RecordsSyncCompletedEvent {
  const summary: RecordsSyncCompleted = {
    resource_type: "records_sync",
    patient_id: DEFAULT_PATIENT_ID,
    connection_id: DEFAULT_EHR_SOURCE,
    total: 248,
    errors: 0,
    duration_ms: 4_120,
  };
  return envelope("records.sync.completed", applyOverrides(summary, overrides), Date.now());
}

function recordsSyncFailed(overrides?: Partial<RecordsSyncFailed>): RecordsSyncFailedEvent {
  const failure: RecordsSyncFailed = {
    resource_type: "records_sync",
    patient_id: DEFAULT_PATIENT_ID,
    connection_id: DEFAULT_EHR_SOURCE,
    error_message: "The EHR answered 401 Unauthorized to Patient/$everything: access for this connection was revoked.",
  };
  return envelope("records.sync.failed", applyOverrides(failure, overrides), Date.now());
}

/** The fixture builders; they need no crypto beyond `crypto.getRandomValues`. */
export const fixtures: WebhookFixtures = Object.freeze({
  patientFlowCompleted,
  connectionTokenRefreshFailed,
  recordsSyncCompleted,
  recordsSyncFailed,
});
