import { MedblocksSignatureError } from "./signature-error.js";

/** The request body exactly as received: text, or bytes (a Node `Buffer` is a `Uint8Array`). */
export type RawBody = string | Uint8Array | ArrayBuffer;

const RAW_BODY_FIX =
  "Pass the raw request body instead: `express.raw({ type: \"application/json\" })` for that route " +
  "(mounted before any express.json()), `await request.text()` in Next.js, Hono, Bun and Workers, or a " +
  "Fastify content-type parser with `parseAs: \"buffer\"`.";

/**
 * Returns the body as something that can be hashed byte for byte (no copy), or throws
 * `invalid_body` when it is not raw: the classic mistake of verifying a body a JSON parser already
 * consumed, whose original bytes are gone.
 */
export function toRawBytes(body: unknown): string | Uint8Array {
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  // isView and the tag check also recognise bytes created in another realm (vm contexts, iframes).
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (Object.prototype.toString.call(body) === "[object ArrayBuffer]") return new Uint8Array(body as ArrayBuffer);
  const what =
    body === null || body === undefined
      ? `No request body was passed (got ${String(body)}); on Express this usually means no raw-body parser ran for this route.`
      : typeof body === "object"
        ? "The body is an already-parsed object, not the raw request body, probably because a JSON body parser " +
          "(express.json(), bodyParser.json(), Fastify's default parser) ran first. The signature covers the exact " +
          "bytes sent, and re-serializing a parsed object does not reproduce them."
        : `The body must be a string, Uint8Array/Buffer or ArrayBuffer, got ${typeof body}.`;
  throw new MedblocksSignatureError("invalid_body", `${what} ${RAW_BODY_FIX}`);
}
