import type { ListPage } from "../client/pagination.js";
import type { MedblocksErrorBody } from "../client/errors.js";
import type { EventAttempt, WebhookEventRecord } from "./event-records.js";
import type {
  DeletedWebhookEndpoint,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointListEventsParams,
  WebhookEndpointListParams,
  WebhookEndpointRecoverParams,
  WebhookEndpointRecoverResult,
  WebhookEndpointRotateSecretParams,
  WebhookEndpointUpdateParams,
  WebhookEndpointWithSecret,
} from "./webhook-endpoints.js";
import type { PageParams } from "./webhook-endpoints.js";

/**
 * The SDK's view of every API object, field by field, for the drift test that compares it with the
 * service's OpenAPI document (test/api-drift.test.ts). The compiler ties each manifest to its type:
 * a field added to, removed from or renamed in a type, a changed JSON kind or nullability, or a
 * literal added to a union fails type checking until the manifest follows; the test then fails
 * until the service agrees. Nothing here is bundled: only that test imports it.
 */

type JsonKind<V> = V extends string
  ? "string"
  : V extends number
    ? "integer" | "number"
    : V extends boolean
      ? "boolean"
      : V extends readonly unknown[]
        ? "array"
        : V extends object
          ? "object"
          : never;

type IsLiteralUnion<V> = [V] extends [string | boolean] ? (string extends V ? false : boolean extends V ? false : true) : false;

/** A field's expected schema: its JSON kind (`"string|null"` when nullable), or the list of its literal values. */
export type FieldSpec<V> = IsLiteralUnion<V> extends true ? readonly V[] : null extends V ? `${JsonKind<NonNullable<V>>}|null` : JsonKind<V>;

/** One {@link FieldSpec} per field of `T`, none missing. */
export type FieldManifest<T> = { readonly [K in keyof T]-?: FieldSpec<T[K]> };

/** Rejects keys `T` does not have, and literal lists that leave out a member of the field's union. */
type Exact<T, M> = {
  [K in keyof M]: K extends keyof T
    ? M[K] extends readonly (infer E)[]
      ? [Exclude<T[K], E>] extends [never]
        ? M[K]
        : `missing literal: ${Extract<Exclude<T[K], E>, string | boolean>}`
      : M[K]
    : never;
};

/** Declares the manifest of `T`: `fieldsOf<T>()({ … })`. */
export const fieldsOf =
  <T>() =>
  <const M extends FieldManifest<T>>(manifest: M & Exact<T, M>): M =>
    manifest;

/** Whether a parameter may be left out. */
export type ParamSpec = "required" | "optional";

/** One {@link ParamSpec} per parameter of `T`, matching whether `T` makes it optional. */
export type ParamManifest<T> = { readonly [K in keyof T]-?: {} extends Pick<T, K> ? "optional" : "required" };

export const paramsOf =
  <T>() =>
  <const M extends ParamManifest<T>>(manifest: M & { [K in keyof M]: K extends keyof T ? M[K] : never }): M =>
    manifest;

export const LIST_PAGE_FIELDS = fieldsOf<ListPage<unknown>>()({
  resource_type: ["list"],
  data: "array",
  has_more: "boolean",
  next_cursor: "string|null",
});

export const WEBHOOK_ENDPOINT_FIELDS = fieldsOf<WebhookEndpoint>()({
  id: "string",
  resource_type: ["webhook_endpoint"],
  url: "string",
  events: "array",
  status: ["active", "disabled"],
  description: "string|null",
  metadata: "object",
  api_version: "string",
  created_at: "string",
  updated_at: "string",
});

export const WEBHOOK_ENDPOINT_WITH_SECRET_FIELDS = fieldsOf<WebhookEndpointWithSecret>()({
  ...WEBHOOK_ENDPOINT_FIELDS,
  secret: "string",
});

export const DELETED_WEBHOOK_ENDPOINT_FIELDS = fieldsOf<DeletedWebhookEndpoint>()({
  id: "string",
  resource_type: ["webhook_endpoint"],
  deleted: [true],
});

export const RECOVER_RESULT_FIELDS = fieldsOf<WebhookEndpointRecoverResult>()({ enqueued: "integer" });

// The SDK narrows `type` to the known event types (so `switch` narrows `data.object`); the API
// document declares a plain string, and that is what is compared.
export const WEBHOOK_EVENT_RECORD_FIELDS = fieldsOf<Omit<WebhookEventRecord, "type"> & { type: string }>()({
  id: "string",
  resource_type: ["event"],
  webhook_endpoint_id: "string",
  type: "string",
  data: "object",
  api_version: "string",
  attempts: "integer",
  next_attempt_at: "string|null",
  delivered_at: "string|null",
  last_status_code: "integer|null",
  last_response_body: "string|null",
  last_redelivered_at: "string|null",
  created_at: "string",
});

export const EVENT_ATTEMPT_FIELDS = fieldsOf<EventAttempt>()({
  id: "string",
  resource_type: ["event_attempt"],
  event_id: "string",
  attempt: "integer",
  trigger: ["automatic", "manual"],
  started_at: "string",
  duration_ms: "integer",
  status_code: "integer|null",
  outcome: ["delivered", "http_error", "timeout", "connection_error", "blocked"],
  error: "string|null",
  response_body: "string|null",
});

/** The error envelope's `error` member (all optional in the SDK, which must read any body). */
export const ERROR_BODY_PARAMS = paramsOf<MedblocksErrorBody>()({
  type: "optional",
  code: "optional",
  message: "optional",
  param: "optional",
  doc_url: "optional",
  request_id: "optional",
});

export const PAGE_PARAMS = paramsOf<PageParams>()({ limit: "optional", starting_after: "optional" });

export const WEBHOOK_ENDPOINT_CREATE_PARAMS = paramsOf<WebhookEndpointCreateParams>()({
  url: "required",
  events: "required",
  description: "optional",
  metadata: "optional",
});

export const WEBHOOK_ENDPOINT_UPDATE_PARAMS = paramsOf<WebhookEndpointUpdateParams>()({
  url: "optional",
  events: "optional",
  description: "optional",
  metadata: "optional",
  status: "optional",
});

export const WEBHOOK_ENDPOINT_LIST_PARAMS = paramsOf<WebhookEndpointListParams>()({ ...PAGE_PARAMS, status: "optional" });

export const WEBHOOK_ENDPOINT_LIST_EVENTS_PARAMS = paramsOf<WebhookEndpointListEventsParams>()({
  ...PAGE_PARAMS,
  delivered: "optional",
  type: "optional",
});

export const WEBHOOK_ENDPOINT_ROTATE_SECRET_PARAMS = paramsOf<WebhookEndpointRotateSecretParams>()({ expires_in: "optional" });

export const WEBHOOK_ENDPOINT_RECOVER_PARAMS = paramsOf<WebhookEndpointRecoverParams>()({ since: "required", until: "optional" });

/** `mb.events.publish` sends exactly these two fields. */
export const EVENT_PUBLISH_PARAMS = { type: "required", data: "required" } as const;
