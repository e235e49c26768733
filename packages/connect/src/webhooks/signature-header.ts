import { MedblocksSignatureError } from "./signature-error.js";

/** The parts of a `Medblocks-Signature` header that verification uses. */
export interface ParsedSignatureHeader {
  /** `t`, unix seconds. */
  readonly timestamp: number;
  /** Every non-empty `v1` value, in header order. */
  readonly signatures: readonly string[];
}

const EXPECTED_FORMAT = "expected `t=<unix seconds>,v1=<hex>`";
const T = 0x74; // "t"
const V = 0x76; // "v"
const ONE = 0x31; // "1"

/** Space, tab and the other ASCII whitespace that `String.prototype.trim` would remove. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Decimal digits in `text[start, end)` as a number, or -1 (empty, non-digit, over 15 digits). */
function parseSeconds(text: string, start: number, end: number): number {
  if (end === start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Quotes a header value in an error message without flooding logs. */
function quote(header: string): string {
  return JSON.stringify(header.length > 120 ? `${header.slice(0, 120)}…` : header);
}

/**
 * Parses `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
 *
 * Lenient where it costs nothing: whitespace around entries, any entry order, unknown schemes
 * (`v0`, `v2`, …) and empty `v1=` values are ignored. Strict where ambiguity would matter: `t` must
 * be a single non-negative integer.
 *
 * @throws MedblocksSignatureError `missing_header` or `malformed_header`
 */
export function parseSignatureHeader(header: unknown): ParsedSignatureHeader {
  if (Array.isArray(header)) header = header.join(",");
  if (header === null || header === undefined || (typeof header === "string" && header.trim() === "")) {
    throw new MedblocksSignatureError(
      "missing_header",
      "No Medblocks-Signature header was passed. Read it from the request " +
        '(`request.headers.get("medblocks-signature")`, or `req.headers["medblocks-signature"]` on Node) ' +
        "and check that no proxy in front of your app strips it.",
    );
  }
  if (typeof header !== "string") {
    throw new MedblocksSignatureError(
      "malformed_header",
      `The Medblocks-Signature header must be a string, got ${typeof header}.`,
    );
  }

  // Hand-rolled scan (no split/trim/regex): this runs on every delivery a receiver gets.
  let timestamp = -1;
  const signatures: string[] = [];
  const length = header.length;
  // The next "=" at or after the current entry, searched again only once passed, so a long
  // header of entries without "=" stays linear.
  let eq = -2;
  for (let start = 0; start <= length; ) {
    let end = header.indexOf(",", start);
    if (end === -1) end = length;
    if (eq !== -1 && eq < start) eq = header.indexOf("=", start);
    if (eq !== -1 && eq < end) {
      let keyStart = start;
      let keyEnd = eq;
      while (keyStart < keyEnd && isSpace(header.charCodeAt(keyStart))) keyStart++;
      while (keyEnd > keyStart && isSpace(header.charCodeAt(keyEnd - 1))) keyEnd--;
      let valueStart = eq + 1;
      let valueEnd = end;
      while (valueStart < valueEnd && isSpace(header.charCodeAt(valueStart))) valueStart++;
      while (valueEnd > valueStart && isSpace(header.charCodeAt(valueEnd - 1))) valueEnd--;
      const keyLength = keyEnd - keyStart;
      if (keyLength === 2 && header.charCodeAt(keyStart) === V && header.charCodeAt(keyStart + 1) === ONE) {
        if (valueEnd > valueStart) signatures.push(header.slice(valueStart, valueEnd));
      } else if (keyLength === 1 && header.charCodeAt(keyStart) === T) {
        if (timestamp !== -1) {
          throw new MedblocksSignatureError(
            "malformed_header",
            `The Medblocks-Signature header has more than one \`t=\` entry (${EXPECTED_FORMAT}): ${quote(header)}.`,
          );
        }
        timestamp = parseSeconds(header, valueStart, valueEnd);
        if (timestamp === -1) {
          throw new MedblocksSignatureError(
            "malformed_header",
            `The Medblocks-Signature header's \`t=\` is not a non-negative integer (${EXPECTED_FORMAT}): ${quote(header)}.`,
          );
        }
      }
    }
    start = end + 1;
  }

  if (timestamp === -1) {
    throw new MedblocksSignatureError(
      "malformed_header",
      `The Medblocks-Signature header has no \`t=\` timestamp (${EXPECTED_FORMAT}): ${quote(header)}. ` +
        "Pass the Medblocks-Signature header itself, not another header.",
    );
  }
  if (signatures.length === 0) {
    throw new MedblocksSignatureError(
      "malformed_header",
      `The Medblocks-Signature header has no non-empty \`v1=\` signature (${EXPECTED_FORMAT}): ${quote(header)}.`,
    );
  }
  return { timestamp, signatures };
}
