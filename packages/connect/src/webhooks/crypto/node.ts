import { createHmac, timingSafeEqual } from "node:crypto";
import type { CryptoProvider } from "./crypto-provider.js";

/**
 * `node:crypto` provider. Every part goes straight into the HMAC (`update` per part), so a body
 * Buffer is neither copied nor re-encoded. Several times faster than Web Crypto on Node.
 */
export const nodeCryptoProvider: CryptoProvider = {
  name: "node",
  hmacSha256(key, parts) {
    return Promise.resolve(hmacOf(key, parts).digest());
  },
  hmacSha256Encoded(key, parts, encoding) {
    return hmacOf(key, parts).digest(encoding);
  },
  timingSafeEqual(a, b) {
    return a.length === b.length && timingSafeEqual(a, b);
  },
};

/** An HMAC-SHA256 under `key` fed every part, not yet digested. */
function hmacOf(key: string | Uint8Array, parts: readonly (string | Uint8Array)[]) {
  const hmac = createHmac("sha256", key);
  for (let i = 0; i < parts.length; i++) hmac.update(parts[i]!);
  return hmac;
}
