import type { WebhookEventObjects, WebhookEventType } from "./events.js";

/** The management API's records of events and delivery attempts (contract §5). Timestamps are ISO 8601, UTC. */

/** The fields every event record has, whatever its type. */
export interface WebhookEventRecordFields {
  /** Event id, `evt_…`: the `id` of the delivered envelope, stable across retries and redeliveries. */
  id: string;
  /** Always `"event"`. */
  resource_type: "event";
  /** The endpoint (`wh_…`) this event is for: one record per fact and subscribed endpoint. */
  webhook_endpoint_id: string;
  /** The API version of the delivered envelope. */
  api_version: string;
  /** Attempts made so far (automatic and manual). */
  attempts: number;
  /** When the next automatic attempt is due; `null` when delivered, exhausted or not scheduled (endpoint disabled). */
  next_attempt_at: string | null;
  /** When a receiver first answered 2xx; `null` until then. */
  delivered_at: string | null;
  /** HTTP status of the last attempt; `null` before any attempt, or when it timed out or could not connect. */
  last_status_code: number | null;
  /** The first 4 KB of the last response body; `null` when there was none. */
  last_response_body: string | null;
  /** When the event was last redelivered by hand; `null` if never. */
  last_redelivered_at: string | null;
  /** When the event was created (when the fact was published). */
  created_at: string;
}

/** The record of one event of type `T`. */
export interface WebhookEventRecordOf<T extends WebhookEventType> extends WebhookEventRecordFields {
  /** The event type; narrows `data.object`. */
  type: T;
  /** The event's subject, as delivered. */
  data: {
    /** The object the event is about. */
    object: WebhookEventObjects[T];
  };
}

/** An event record with its delivery state, discriminated by `type` (`switch (record.type)` narrows `data.object`). */
export type WebhookEventRecord = { [T in WebhookEventType]: WebhookEventRecordOf<T> }[WebhookEventType];

/** How an attempt came about: the retry schedule, or a `redeliver` call. */
export type EventAttemptTrigger = "automatic" | "manual";

/** How an attempt ended. */
export type EventAttemptOutcome = "delivered" | "http_error" | "timeout" | "connection_error" | "blocked";

/** One delivery attempt of an event. */
export interface EventAttempt {
  /** Attempt id, `att_…`. */
  id: string;
  /** Always `"event_attempt"`. */
  resource_type: "event_attempt";
  /** The event (`evt_…`) attempted. */
  event_id: string;
  /** 1-based attempt number. */
  attempt: number;
  /** `"automatic"` (retry schedule) or `"manual"` (redeliver). */
  trigger: EventAttemptTrigger;
  /** When the attempt started. */
  started_at: string;
  /** How long the attempt took, in milliseconds. */
  duration_ms: number;
  /** The receiver's HTTP status; `null` when none arrived (timeout, connection error, blocked). */
  status_code: number | null;
  /** `"delivered"` (2xx), `"http_error"`, `"timeout"`, `"connection_error"` or `"blocked"` (address not allowed). */
  outcome: EventAttemptOutcome;
  /** What went wrong, in words; `null` when delivered. */
  error: string | null;
  /** The first 4 KB of the response body; `null` when there was none. */
  response_body: string | null;
}

/**
 * Parameters of `mb.events.publish`: a fact, `{ type, data: { object } }`. Any event (a fixture,
 * say) can be passed as is; only `type` and `data` are sent.
 */
export type EventPublishParams = {
  [T in WebhookEventType]: {
    /** The event type. */
    type: T;
    /** The fact's subject. */
    data: {
      /** The object the event is about. */
      object: WebhookEventObjects[T];
    };
  };
}[WebhookEventType];
