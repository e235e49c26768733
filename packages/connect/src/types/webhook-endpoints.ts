import type { WebhookEventType } from "./events.js";

/** The management API's objects for webhook endpoints (contract §5). Timestamps are ISO 8601, UTC. */

/** `"active"` receives deliveries; `"disabled"` (paused by you, or after an event exhausted its retries) does not. */
export type WebhookEndpointStatus = "active" | "disabled";

/** What an endpoint subscribes to: `["*"]` for every type, or 1 to 5 event types. */
export type WebhookEndpointEvents = ["*"] | WebhookEventType[];

/** A registered webhook endpoint, as every route but create and rotate-secret returns it. */
export interface WebhookEndpoint {
  /** Endpoint id, `wh_…`. */
  id: string;
  /** Always `"webhook_endpoint"`. */
  resource_type: "webhook_endpoint";
  /** Where deliveries are POSTed: an `https://` URL (`http://` only for loopback with a sandbox key). */
  url: string;
  /** `["*"]` for every event type, or the types this endpoint receives. */
  events: Array<"*" | WebhookEventType>;
  /** `"active"`, or `"disabled"` (paused, or auto-disabled after an event exhausted its retries). */
  status: WebhookEndpointStatus;
  /** Your free text (at most 500 characters), or `null`. */
  description: string | null;
  /** Your key-value pairs (at most 50 keys). */
  metadata: Record<string, string>;
  /** The API version pinned at registration; every event sent here has this shape. */
  api_version: string;
  /** When the endpoint was registered. */
  created_at: string;
  /** When the endpoint last changed. */
  updated_at: string;
}

/** The endpoint as `create` and `rotateSecret` return it: the only two responses that carry the secret. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** The `whsec_…` signing secret. Shown only in this response: store it now (e.g. in your secret manager). */
  secret: string;
}

/** What `delete` returns. */
export interface DeletedWebhookEndpoint {
  /** The id of the deleted endpoint. */
  id: string;
  /** Always `"webhook_endpoint"`. */
  resource_type: "webhook_endpoint";
  /** Always `true`. */
  deleted: true;
}

/** Parameters of `mb.webhooks.create`. */
export interface WebhookEndpointCreateParams {
  /** Your receiver: `https://`, at most 2048 characters, no credentials, not a private address. */
  url: string;
  /** `["*"]` for every event type, or 1 to 5 event types. */
  events: WebhookEndpointEvents;
  /** Free text, at most 500 characters. */
  description?: string | null;
  /** Your key-value pairs: at most 50 keys of 1 to 40 characters, values of at most 500 characters. */
  metadata?: Record<string, string>;
}

/** Parameters of `mb.webhooks.update`: only the fields given change. */
export interface WebhookEndpointUpdateParams {
  /** A new receiver URL (same rules as at creation). */
  url?: string;
  /** New subscriptions: `["*"]` or 1 to 5 event types. */
  events?: WebhookEndpointEvents;
  /** New description; `null` clears it. */
  description?: string | null;
  /** New metadata; replaces the whole object. */
  metadata?: Record<string, string>;
  /** `"active"` re-enables (pending events resume, overdue ones promptly); `"disabled"` pauses. */
  status?: WebhookEndpointStatus;
}

/** Cursor parameters of every list method. */
export interface PageParams {
  /** Page size, 1 to 100; default 10. */
  limit?: number;
  /** Start after this cursor: the `next_cursor` of a previous page. */
  starting_after?: string;
}

/** Parameters of `mb.webhooks.list`. */
export interface WebhookEndpointListParams extends PageParams {
  /** Only endpoints with this status, e.g. `"disabled"` to find auto-disabled ones. */
  status?: WebhookEndpointStatus;
}

/** Parameters of `mb.webhooks.rotateSecret`. */
export interface WebhookEndpointRotateSecretParams {
  /**
   * Seconds (0 to 86400) during which the old secret keeps signing alongside the new one, so you can
   * roll the new secret out without failed verifications. Default 0: the old secret stops at once.
   */
  expires_in?: number;
}

/** Parameters of `mb.webhooks.listEvents`. */
export interface WebhookEndpointListEventsParams extends PageParams {
  /** `true`: only delivered events; `false`: only events not (yet) delivered. */
  delivered?: boolean;
  /** Only events of this type. */
  type?: WebhookEventType;
}

/** Parameters of `mb.webhooks.recover`: the window, at most 14 days long, of events to re-enqueue. */
export interface WebhookEndpointRecoverParams {
  /** Start of the window (events created at or after it): an ISO 8601 string or a `Date`. */
  since: string | Date;
  /** End of the window; default now. */
  until?: string | Date;
}

/** What `mb.webhooks.recover` returns. */
export interface WebhookEndpointRecoverResult {
  /** How many undelivered events were put back in the queue. */
  enqueued: number;
}
