// The runtime-independent part of the public surface, re-exported by both entry points.
export {
  MedblocksApiError,
  MedblocksAuthenticationError,
  MedblocksConflictError,
  MedblocksConnectionError,
  MedblocksEhrError,
  MedblocksError,
  MedblocksInvalidRequestError,
  MedblocksNotFoundError,
  MedblocksPermissionError,
  MedblocksRateLimitError,
  errorFromResponse,
  type HeadersInput,
  type MedblocksErrorBody,
  type MedblocksErrorContext,
} from "./client/errors.js";
export type { MedblocksOptions } from "./client/client-config.js";
export type { AbortSignalLike, FetchFunction, FetchResponseLike } from "./client/fetch-types.js";
export { Medblocks } from "./client/medblocks.js";
export { ListPromise, type ListPage } from "./client/pagination.js";
export type { RequestOptions } from "./client/request.js";
export type { Events } from "./client/resources/events.js";
export type { WebhookEndpoints } from "./client/resources/webhooks.js";
export type {
  EventAttempt,
  EventAttemptOutcome,
  EventAttemptTrigger,
  EventPublishParams,
  WebhookEventRecord,
  WebhookEventRecordFields,
  WebhookEventRecordOf,
} from "./types/event-records.js";
export type {
  DeletedWebhookEndpoint,
  PageParams,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointEvents,
  WebhookEndpointListEventsParams,
  WebhookEndpointListParams,
  WebhookEndpointRecoverParams,
  WebhookEndpointRecoverResult,
  WebhookEndpointRotateSecretParams,
  WebhookEndpointStatus,
  WebhookEndpointUpdateParams,
  WebhookEndpointWithSecret,
} from "./types/webhook-endpoints.js";
export {
  API_VERSION,
  WEBHOOK_EVENT_TYPES,
  isWebhookEventType,
  type ConnectionTokenRefreshFailedEvent,
  type PatientFlowCompletedEvent,
  type RecordsSyncCompletedEvent,
  type RecordsSyncFailedEvent,
  type WebhookEvent,
  type WebhookEventEnvelope,
  type WebhookEventObjects,
  type WebhookEventOf,
  type WebhookEventType,
} from "./types/events.js";
export type {
  Connection,
  ConnectionStatus,
  PatientFlow,
  PatientFlowStatus,
  RecordsSyncCompleted,
  RecordsSyncFailed,
} from "./types/payloads.js";
export type {
  ConstructEventOptions,
  GenerateTestHeaderOptions,
  MedblocksWebhooks,
} from "./webhooks/create-webhooks.js";
export { fixtures, type WebhookFixtures } from "./webhooks/fixtures.js";
export type { RawBody } from "./webhooks/raw-body.js";
export type {
  DeliveryHeaders,
  SignDeliveryHeadersOptions,
  SignMedblocksSignatureOptions,
  SignStandardWebhooksOptions,
  StandardWebhooksHeaders,
} from "./webhooks/sign.js";
export {
  MedblocksSignatureError,
  SIGNATURE_ERROR_REASONS,
  type SignatureErrorReason,
} from "./webhooks/signature-error.js";
export { DEFAULT_TOLERANCE_SECONDS, type VerifyOptions } from "./webhooks/verify-signature.js";
export { VERSION } from "./version.js";
