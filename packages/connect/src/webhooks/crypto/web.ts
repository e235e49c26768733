import type { CryptoProvider } from "./crypto-provider.js";

/** How many imported keys per kind the provider keeps; a receiver typically has one or two. */
const MAX_CACHED_KEYS = 64;

const encoder = new TextEncoder();

// importKey is the slow part of Web Crypto HMAC, so imported keys are cached: string secrets in a
// bounded LRU (Map keeps insertion order), byte keys by identity in a WeakMap.
const stringKeys = new Map<string, Promise<CryptoKey>>();
const byteKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

function cachedKey(key: string | Uint8Array): Promise<CryptoKey> {
  if (typeof key !== "string") {
    let imported = byteKeys.get(key);
    if (!imported) {
      imported = importHmacKey(key);
      byteKeys.set(key, imported);
    }
    return imported;
  }
  let imported = stringKeys.get(key);
  if (imported) {
    // Refresh recency.
    stringKeys.delete(key);
    stringKeys.set(key, imported);
    return imported;
  }
  imported = importHmacKey(encoder.encode(key));
  stringKeys.set(key, imported);
  if (stringKeys.size > MAX_CACHED_KEYS) {
    const oldest = stringKeys.keys().next().value as string;
    stringKeys.delete(oldest);
  }
  imported.catch(() => stringKeys.delete(key));
  return imported;
}

/** Concatenates the parts into one buffer: Web Crypto signs a single BufferSource. */
function concatParts(parts: readonly (string | Uint8Array)[]): Uint8Array {
  // Strings are encoded at their exact size (encodeInto would need a worst-case 3x buffer).
  const chunks = parts.map((part) => (typeof part === "string" ? encoder.encode(part) : part));
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Web Crypto provider: Cloudflare Workers, Deno, Bun, Vercel Edge, browsers, and Node too. */
export const webCryptoProvider: CryptoProvider = {
  name: "web",
  async hmacSha256(key, parts) {
    const cryptoKey = await cachedKey(key);
    const mac = await crypto.subtle.sign("HMAC", cryptoKey, concatParts(parts) as Uint8Array<ArrayBuffer>);
    return new Uint8Array(mac);
  },
  timingSafeEqual(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
    return diff === 0;
  },
};

/** Number of string keys currently cached (for tests). */
export function cachedStringKeyCount(): number {
  return stringKeys.size;
}
