import type { EventAttempt, EventPublishParams, WebhookEventRecord } from "../../types/event-records.js";
import type { PageParams } from "../../types/webhook-endpoints.js";
import type { ListPage, ListPromise } from "../pagination.js";
import type { ApiClient, RequestOptions } from "../request.js";
import { pathWithId } from "./path.js";

/** `mb.events`: event records, their attempt logs, redelivery and publishing. */
export class Events {
  readonly #client: ApiClient;

  constructor(client: ApiClient) {
    this.#client = client;
  }

  /** One event record with its delivery state. */
  retrieve(id: string, options?: RequestOptions): Promise<WebhookEventRecord> {
    return this.#client.request({ method: "GET", path: pathWithId("/events", id) }, options);
  }

  /** The event's attempt log, oldest first. */
  listAttempts(id: string, params: PageParams = {}, options?: RequestOptions): ListPromise<EventAttempt> {
    return this.#client.list({ method: "GET", path: pathWithId("/events", id, "/attempts"), query: { ...params } }, options);
  }

  /**
   * One immediate attempt, made while the call waits; resolves to the updated record (same event id).
   * At most one per event per 60 s (else `MedblocksRateLimitError` with `retryAfter`); a disabled
   * endpoint gives `MedblocksConflictError` `endpoint_disabled`.
   */
  redeliver(id: string, options?: RequestOptions): Promise<WebhookEventRecord> {
    return this.#client.request({ method: "POST", path: pathWithId("/events", id, "/redeliver") }, options);
  }

  /**
   * Publishes a fact: one event record per active endpoint subscribed to its type (disabled ones get
   * an unscheduled record). Sends an `Idempotency-Key`, the same on every retry, so a retried publish
   * cannot duplicate; pass `options.idempotencyKey` to dedupe across calls (kept 24 h).
   */
  publish(params: EventPublishParams, options?: RequestOptions): Promise<ListPage<WebhookEventRecord>> {
    const body = { type: params.type, data: params.data };
    return this.#client.request({ method: "POST", path: "/events", body }, options);
  }
}
