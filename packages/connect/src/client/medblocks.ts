import type { MedblocksWebhooks } from "../webhooks/create-webhooks.js";

/**
 * The Medblocks SDK.
 *
 * `Medblocks.webhooks` (static) verifies and signs webhook deliveries; it needs no API key:
 *
 * ```ts
 * const event = await Medblocks.webhooks.constructEvent(rawBody, signatureHeader, secret);
 * ```
 */
export class Medblocks {
  /**
   * Webhook verification, signing and test helpers, backed by the runtime's fastest crypto
   * (`node:crypto` on Node, Web Crypto on edge runtimes). Installed by the package entry point.
   */
  declare static readonly webhooks: MedblocksWebhooks;
}

/** Installs the runtime's webhook helpers as `Medblocks.webhooks`; each entry point calls it once. */
export function installWebhooks(webhooks: MedblocksWebhooks): void {
  Object.defineProperty(Medblocks, "webhooks", { value: webhooks, enumerable: true, writable: false, configurable: false });
}
