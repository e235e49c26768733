import { createHmac, timingSafeEqual } from "node:crypto";
import type { CryptoProvider } from "./crypto-provider.js";

/**
 * `node:crypto` provider. Every part goes straight into the HMAC (`update` per part), so a body
 * Buffer is neither copied nor re-encoded. Several times faster than Web Crypto on Node.
 */
export const nodeCryptoProvider: CryptoProvider = {
  name: "node",
  hmacSha256(key, parts) {
    const hmac = createHmac("sha256", key);
    for (let i = 0; i < parts.length; i++) hmac.update(parts[i]!);
    return Promise.resolve(hmac.digest());
  },
  timingSafeEqual(a, b) {
    return a.length === b.length && timingSafeEqual(a, b);
  },
};
