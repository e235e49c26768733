import type { WebhookEvent } from "../types/events.js";
import type { CryptoProvider } from "./crypto/crypto-provider.js";
import { fixtures, type WebhookFixtures } from "./fixtures.js";
import { parseEvent } from "./parse-event.js";
import type { RawBody } from "./raw-body.js";
import {
  signDeliveryHeaders,
  signMedblocksSignature,
  signStandardWebhooks,
  type DeliveryHeaders,
  type SignDeliveryHeadersOptions,
  type SignMedblocksSignatureOptions,
  type SignStandardWebhooksOptions,
  type StandardWebhooksHeaders,
} from "./sign.js";
import { assertSecret, verifyDelivery, type VerifyOptions } from "./verify-signature.js";

/** Options of {@link MedblocksWebhooks.constructEvent}. */
export type ConstructEventOptions = VerifyOptions;

/** Input of {@link MedblocksWebhooks.generateTestHeader}. */
export interface GenerateTestHeaderOptions {
  /** The body your test will send, exactly. */
  payload: string | Uint8Array;
  /** The `whsec_…` secret your handler verifies with. */
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/** Webhook verification, signing and test helpers: `Medblocks.webhooks`. */
export interface MedblocksWebhooks {
  /**
   * Verifies a delivery and returns its event.
   *
   * @param rawBody the body exactly as received: `await request.text()`, or the Buffer from `express.raw()`
   * @param signatureHeader the `Medblocks-Signature` header value
   * @param secret the endpoint's `whsec_…` signing secret
   * @throws MedblocksSignatureError (answer 400) with `.reason`: `missing_header`, `malformed_header`,
   *   `timestamp_outside_tolerance`, `no_matching_signature` or `invalid_body`, checked in that order
   * @throws TypeError when `secret` is empty or not a string
   */
  constructEvent(
    rawBody: RawBody,
    signatureHeader: string | null | undefined,
    secret: string,
    options?: ConstructEventOptions,
  ): Promise<WebhookEvent>;
  /** Runs every check of `constructEvent` except parsing the body as an event. */
  verifySignature(
    rawBody: RawBody,
    signatureHeader: string | null | undefined,
    secret: string,
    options?: VerifyOptions,
  ): Promise<void>;
  /** A valid `Medblocks-Signature` header value for `payload`, to test your handler. */
  generateTestHeader(options: GenerateTestHeaderOptions): Promise<string>;
  /** Signs a body for the `Medblocks-Signature` header (one `v1` per secret). */
  signMedblocksSignature(options: SignMedblocksSignatureOptions): Promise<string>;
  /** Signs a body for the Standard Webhooks headers. */
  signStandardWebhooks(options: SignStandardWebhooksOptions): Promise<StandardWebhooksHeaders>;
  /** `Medblocks-Signature` plus the Standard Webhooks headers of one delivery. */
  signDeliveryHeaders(options: SignDeliveryHeadersOptions): Promise<DeliveryHeaders>;
  /** Builders of realistic events of each type. */
  readonly fixtures: WebhookFixtures;
}

/** Binds the webhook helpers to one runtime's crypto. Each entry point calls it once. */
export function createWebhooks(provider: CryptoProvider): MedblocksWebhooks {
  return Object.freeze({
    async constructEvent(rawBody, signatureHeader, secret, options) {
      return parseEvent(await verifyDelivery(provider, rawBody, signatureHeader, secret, options));
    },
    async verifySignature(rawBody, signatureHeader, secret, options) {
      await verifyDelivery(provider, rawBody, signatureHeader, secret, options);
    },
    async generateTestHeader(options) {
      const { payload, secret, timestamp = Math.floor(Date.now() / 1000) } = options;
      assertSecret(secret);
      return signMedblocksSignature(provider, { payload, secrets: [secret], timestamp });
    },
    signMedblocksSignature: (options) => signMedblocksSignature(provider, options),
    signStandardWebhooks: (options) => signStandardWebhooks(provider, options),
    signDeliveryHeaders: (options) => signDeliveryHeaders(provider, options),
    fixtures,
  } satisfies MedblocksWebhooks);
}
