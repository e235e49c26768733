import type { CryptoProvider, MacEncoding } from "./crypto/crypto-provider.js";
import { decodeBase64, encodeBase64, encodeHex } from "./encoding.js";

/** Input of {@link signMedblocksSignature}. */
export interface SignMedblocksSignatureOptions {
  /** The exact body that will be sent. Bytes are signed as they are, never re-encoded. */
  payload: string | Uint8Array;
  /** The endpoint's valid `whsec_…` secrets, newest first; one `v1` per secret, in this order. */
  secrets: readonly string[];
  /** Unix seconds, the attempt's time. */
  timestamp: number;
}

/** Input of {@link signStandardWebhooks}. */
export interface SignStandardWebhooksOptions extends SignMedblocksSignatureOptions {
  /** The message id (`webhook-id`): the event id, stable across retries. */
  id: string;
}

/** Input of {@link signDeliveryHeaders}. */
export type SignDeliveryHeadersOptions = SignStandardWebhooksOptions;

// Type aliases rather than interfaces, so both are assignable to Record<string, string>.

/** The three Standard Webhooks headers. */
export type StandardWebhooksHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  /** `v1,<base64>`, space-separated when several secrets sign. */
  "webhook-signature": string;
};

/** Every signature header of a delivery: `Medblocks-Signature` plus the Standard Webhooks set. */
export type DeliveryHeaders = StandardWebhooksHeaders & {
  "Medblocks-Signature": string;
};

const SECRET_PREFIX = "whsec_";

/** Validates signing input and returns the payload as a string or a byte view (never copied). */
function checkSigningInput(options: SignMedblocksSignatureOptions): string | Uint8Array {
  if (options === null || typeof options !== "object") throw new TypeError("signing options must be an object.");
  const { payload, secrets, timestamp } = options;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError("secrets must be a non-empty array of whsec_… secrets.");
  }
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret === "") throw new TypeError("every secret must be a non-empty string.");
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`timestamp must be a non-negative integer of unix seconds, got ${String(timestamp)}.`);
  }
  if (typeof payload === "string" || payload instanceof Uint8Array) return payload;
  // Typed arrays from another realm, or other views, are signed as the bytes they span.
  const view: unknown = payload;
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  throw new TypeError("payload must be the body to send, as a string or Uint8Array.");
}

function checkId(id: unknown): void {
  if (typeof id !== "string" || id === "") throw new TypeError("id must be a non-empty string (the event id).");
}

/** One MAC of a signature header: its key, the message as parts, and how the header writes it. */
interface MacRequest {
  key: string | Uint8Array;
  parts: readonly (string | Uint8Array)[];
  encoding: MacEncoding;
}

/** The `Medblocks-Signature` MACs: key, the secret's UTF-8 bytes; message, `${timestamp}.${payload}`. */
function medblocksMacs(secrets: readonly string[], timestamp: number, payload: string | Uint8Array): MacRequest[] {
  const parts = [`${timestamp}.`, payload];
  return secrets.map((key) => ({ key, parts, encoding: "hex" }));
}

/** The Standard Webhooks MACs: key, the secret decoded; message, `${id}.${timestamp}.${payload}`. */
function standardMacs(id: string, secrets: readonly string[], timestamp: number, payload: string | Uint8Array): MacRequest[] {
  const parts = [`${id}.${timestamp}.`, payload];
  return secrets.map((secret) => ({ key: standardWebhooksKey(secret), parts, encoding: "base64" }));
}

/**
 * Every requested MAC, encoded, in order: computed at once where the provider's HMAC is
 * synchronous (`node:crypto`), otherwise all started together (Web Crypto runs them concurrently).
 */
function encodedMacs(provider: CryptoProvider, requests: readonly MacRequest[]): string[] | Promise<string[]> {
  if (provider.hmacSha256Encoded) {
    return requests.map(({ key, parts, encoding }) => provider.hmacSha256Encoded!(key, parts, encoding));
  }
  return Promise.all(
    requests.map(async ({ key, parts, encoding }) => {
      const mac = await provider.hmacSha256(key, parts);
      return encoding === "hex" ? encodeHex(mac) : encodeBase64(mac);
    }),
  );
}

function medblocksHeader(timestamp: number, hexMacs: readonly string[]): string {
  let header = `t=${timestamp}`;
  for (const mac of hexMacs) header += `,v1=${mac}`;
  return header;
}

function standardHeaders(id: string, timestamp: number, base64Macs: readonly string[]): StandardWebhooksHeaders {
  let signature = "";
  for (const mac of base64Macs) signature += `${signature === "" ? "" : " "}v1,${mac}`;
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

/**
 * `Medblocks-Signature` value: `t=<timestamp>,v1=<hex>[,v1=<hex>…]`, one `v1` per secret in order.
 * Key: the UTF-8 bytes of the whole secret (prefix included); message: `${timestamp}.${payload}`.
 * Byte-compatible with Stripe's scheme.
 */
export async function signMedblocksSignature(
  provider: CryptoProvider,
  options: SignMedblocksSignatureOptions,
): Promise<string> {
  const payload = checkSigningInput(options);
  const { secrets, timestamp } = options;
  return medblocksHeader(timestamp, await encodedMacs(provider, medblocksMacs(secrets, timestamp, payload)));
}

// Decoded Standard Webhooks keys, kept so repeated signing neither re-decodes nor (on Web Crypto)
// re-imports: the provider caches imported keys by byte-array identity.
const MAX_DECODED_KEYS = 256;
const decodedKeys = new Map<string, Uint8Array>();

/** The Standard Webhooks HMAC key: the base64-decoded part of the secret after `whsec_`. */
export function standardWebhooksKey(secret: string): Uint8Array {
  let key = decodedKeys.get(secret);
  if (key) return key;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  try {
    key = decodeBase64(encoded);
  } catch {
    key = new Uint8Array(0);
  }
  if (key.length === 0) {
    throw new TypeError("A Standard Webhooks secret must be `whsec_` followed by non-empty standard base64.");
  }
  if (decodedKeys.size >= MAX_DECODED_KEYS) decodedKeys.delete(decodedKeys.keys().next().value as string);
  decodedKeys.set(secret, key);
  return key;
}

/**
 * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`), verifiable
 * by any Standard Webhooks library (`standardwebhooks`, `svix`).
 * Message: `${id}.${timestamp}.${payload}`; signature list: `v1,<base64>` entries, space-separated.
 */
export async function signStandardWebhooks(
  provider: CryptoProvider,
  options: SignStandardWebhooksOptions,
): Promise<StandardWebhooksHeaders> {
  const payload = checkSigningInput(options);
  const { id, secrets, timestamp } = options;
  checkId(id);
  return standardHeaders(id, timestamp, await encodedMacs(provider, standardMacs(id, secrets, timestamp, payload)));
}

/** Both header sets of a delivery, computed over the same exact bytes; input is checked once. */
export async function signDeliveryHeaders(
  provider: CryptoProvider,
  options: SignDeliveryHeadersOptions,
): Promise<DeliveryHeaders> {
  const payload = checkSigningInput(options);
  const { id, secrets, timestamp } = options;
  checkId(id);
  const macs = await encodedMacs(provider, [...medblocksMacs(secrets, timestamp, payload), ...standardMacs(id, secrets, timestamp, payload)]);
  return {
    "Medblocks-Signature": medblocksHeader(timestamp, macs.slice(0, secrets.length)),
    ...standardHeaders(id, timestamp, macs.slice(secrets.length)),
  };
}
