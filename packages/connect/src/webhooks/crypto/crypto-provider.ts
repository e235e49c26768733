/**
 * The two primitives webhook signing and verification need, supplied per runtime: `node.ts` uses
 * `node:crypto`, `web.ts` uses Web Crypto (`crypto.subtle`). Shared code only sees this interface,
 * so it never imports `node:*` and never sniffs the runtime.
 */
/** How a MAC is written in a signature header. */
export type MacEncoding = "hex" | "base64";

export interface CryptoProvider {
  /** Short name for diagnostics and tests (`"node"`, `"web"`). */
  readonly name: string;
  /**
   * HMAC-SHA256 of the concatenation of `parts` under `key`.
   *
   * A string key or part stands for its UTF-8 bytes; a `Uint8Array` is used as is, byte for byte.
   * Resolves to the 32-byte MAC.
   */
  hmacSha256(key: string | Uint8Array, parts: readonly (string | Uint8Array)[]): Promise<Uint8Array>;
  /**
   * The same MAC at once, encoded as lowercase hex or standard base64: for runtimes whose HMAC is
   * synchronous (`node:crypto`). Signing uses it when present, so that a delivery's signatures
   * take no turn of the event loop and no byte array per MAC.
   */
  hmacSha256Encoded?(key: string | Uint8Array, parts: readonly (string | Uint8Array)[], encoding: MacEncoding): string;
  /** Compares two byte arrays in time that depends only on their length. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}
