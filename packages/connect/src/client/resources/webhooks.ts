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
} from "../../types/webhook-endpoints.js";
import type { WebhookEventRecord } from "../../types/event-records.js";
import type { ListPromise } from "../pagination.js";
import type { ApiClient, RequestOptions } from "../request.js";
import { pathWithId } from "./path.js";

const iso = (time: string | Date) => (time instanceof Date ? time.toISOString() : time);

/** `mb.webhooks`: register and manage webhook endpoints. */
export class WebhookEndpoints {
  readonly #client: ApiClient;

  constructor(client: ApiClient) {
    this.#client = client;
  }

  /** Registers an endpoint. The response is one of only two that carry the `secret`: store it now. */
  create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.#client.request({ method: "POST", path: "/webhooks", body: params }, options);
  }

  /** One endpoint (never its secret). */
  retrieve(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.#client.request({ method: "GET", path: pathWithId("/webhooks", id) }, options);
  }

  /** Endpoints, newest first; `{ status: "disabled" }` finds the auto-disabled ones. */
  list(params: WebhookEndpointListParams = {}, options?: RequestOptions): ListPromise<WebhookEndpoint> {
    return this.#client.list({ method: "GET", path: "/webhooks", query: { ...params } }, options);
  }

  /** Changes the fields given; `{ status: "active" }` re-enables a disabled endpoint. */
  update(id: string, params: WebhookEndpointUpdateParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.#client.request({ method: "PATCH", path: pathWithId("/webhooks", id), body: params }, options);
  }

  /** Deletes the endpoint and its delivery history; its pending deliveries stop. */
  delete(id: string, options?: RequestOptions): Promise<DeletedWebhookEndpoint> {
    return this.#client.request({ method: "DELETE", path: pathWithId("/webhooks", id) }, options);
  }

  /**
   * A new signing secret, returned only in this response. With `expires_in` (seconds) the old secret
   * keeps signing alongside it until then; by default it stops at once.
   */
  rotateSecret(id: string, params: WebhookEndpointRotateSecretParams = {}, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.#client.request({ method: "POST", path: pathWithId("/webhooks", id, "/rotate-secret"), body: params }, options);
  }

  /** The endpoint's event records, newest first; filter with `delivered` and `type`. */
  listEvents(id: string, params: WebhookEndpointListEventsParams = {}, options?: RequestOptions): ListPromise<WebhookEventRecord> {
    return this.#client.list({ method: "GET", path: pathWithId("/webhooks", id, "/events"), query: { ...params } }, options);
  }

  /** Re-enqueues every undelivered event of the endpoint created in the window `since`..`until` (at most 14 days). */
  recover(id: string, params: WebhookEndpointRecoverParams, options?: RequestOptions): Promise<WebhookEndpointRecoverResult> {
    const body = { since: iso(params.since), ...(params.until !== undefined && { until: iso(params.until) }) };
    return this.#client.request({ method: "POST", path: pathWithId("/webhooks", id, "/recover"), body }, options);
  }
}
