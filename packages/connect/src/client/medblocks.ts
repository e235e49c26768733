import type { MedblocksWebhooks } from "../webhooks/create-webhooks.js";
import { resolveClientConfig, type MedblocksOptions } from "./client-config.js";
import { ApiClient } from "./request.js";
import { Events } from "./resources/events.js";
import { WebhookEndpoints } from "./resources/webhooks.js";

/**
 * The Medblocks SDK.
 *
 * `Medblocks.webhooks` (static) verifies and signs webhook deliveries; it needs no API key:
 *
 * ```ts
 * const event = await Medblocks.webhooks.constructEvent(rawBody, signatureHeader, secret);
 * ```
 *
 * An instance calls the management API: `mb.webhooks` manages endpoints, `mb.events` event records.
 *
 * ```ts
 * const mb = new Medblocks(); // the key from MEDBLOCKS_API_KEY, or new Medblocks(apiKey)
 * const endpoint = await mb.webhooks.create({ url: "https://example.com/hooks", events: ["*"] });
 * ```
 */
export class Medblocks {
  /**
   * Webhook verification, signing and test helpers, backed by the runtime's fastest crypto
   * (`node:crypto` on Node, Web Crypto on edge runtimes). Installed by the package entry point.
   * Not to be confused with the instance's `mb.webhooks`, which manages endpoints.
   */
  declare static readonly webhooks: MedblocksWebhooks;

  /** Webhook endpoints: `create`, `retrieve`, `list`, `update`, `delete`, `rotateSecret`, `listEvents`, `recover`. */
  readonly webhooks: WebhookEndpoints;
  /** Event records: `retrieve`, `listAttempts`, `redeliver`, `publish`. */
  readonly events: Events;

  /**
   * @param apiKey `mb_sk_sbx_…` or `mb_sk_live_…`; default the `MEDBLOCKS_API_KEY` environment variable
   * @param options `baseUrl` (default `MEDBLOCKS_BASE_URL`, else `https://app.medblocks.com`), `version`,
   *   `maxNetworkRetries` (default 3), `timeout` (ms per attempt, default 30000), `fetch`
   * @throws TypeError when there is no API key or an option is invalid
   */
  constructor(apiKey?: string, options?: MedblocksOptions) {
    const client = new ApiClient(resolveClientConfig(apiKey, options));
    this.webhooks = new WebhookEndpoints(client);
    this.events = new Events(client);
  }
}

/** Installs the runtime's webhook helpers as `Medblocks.webhooks`; each entry point calls it once. */
export function installWebhooks(webhooks: MedblocksWebhooks): void {
  Object.defineProperty(Medblocks, "webhooks", { value: webhooks, enumerable: true, writable: false, configurable: false });
}
