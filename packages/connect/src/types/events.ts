import type { Connection, PatientFlow, RecordsSyncCompleted, RecordsSyncFailed } from "./payloads.js";

/** The only API version: the shape of every event and object this SDK describes. */
export const API_VERSION = "2026-04-25";

/** Every event type, in contract order. */
export const WEBHOOK_EVENT_TYPES = [
  "patient_flow.completed",
  "connection.token_refresh_failed",
  "records.sync.completed",
  "records.sync.failed",
] as const;

/** One of the four event types. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Which payload each event type carries in `data.object`. */
export interface WebhookEventObjects {
  "patient_flow.completed": PatientFlow;
  "connection.token_refresh_failed": Connection;
  "records.sync.completed": RecordsSyncCompleted;
  "records.sync.failed": RecordsSyncFailed;
}

/** True when `value` is one of the {@link WEBHOOK_EVENT_TYPES}. */
export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(value);
}

/** The envelope every delivery body has, keys in this order. */
export interface WebhookEventEnvelope<T extends WebhookEventType, O> {
  /**
   * Event id, `evt_` + a 26-character ULID. Stable across retries and redeliveries of the same
   * event to the same endpoint: dedupe on it.
   */
  id: string;
  /** Always `"event"`. */
  object: "event";
  /** What happened; narrows `data.object`. */
  type: T;
  /** The API version pinned on the endpoint when it was registered (`"2026-04-25"`). */
  api_version: string;
  /** When the event was created, ISO 8601 with milliseconds, UTC. */
  created_at: string;
  /** The event's subject. */
  data: {
    /** The object the event is about, in full. */
    object: O;
  };
}

/** A patient finished a hosted flow (successfully or not); `data.object` is the full PatientFlow. */
export interface PatientFlowCompletedEvent extends WebhookEventEnvelope<"patient_flow.completed", PatientFlow> {}

/** A previously active connection lost its refresh token; the patient must reconnect. */
export interface ConnectionTokenRefreshFailedEvent extends WebhookEventEnvelope<"connection.token_refresh_failed", Connection> {}

/** A background pull finished and new records are available. */
export interface RecordsSyncCompletedEvent extends WebhookEventEnvelope<"records.sync.completed", RecordsSyncCompleted> {}

/** A background pull errored and will not retry without intervention. */
export interface RecordsSyncFailedEvent extends WebhookEventEnvelope<"records.sync.failed", RecordsSyncFailed> {}

/**
 * Any event, discriminated by `type`: `switch (event.type)` narrows `event.data.object`.
 *
 * A delivery whose `type` is newer than this SDK still verifies and is returned as is, so keep a
 * `default:` branch that ignores (and acknowledges) types you do not handle.
 */
export type WebhookEvent =
  | PatientFlowCompletedEvent
  | ConnectionTokenRefreshFailedEvent
  | RecordsSyncCompletedEvent
  | RecordsSyncFailedEvent;

/** The event of one given type. */
export type WebhookEventOf<T extends WebhookEventType> = Extract<WebhookEvent, { type: T }>;
