import { MedblocksSignatureError } from "./signature-error.js";

/** The parts of a `Medblocks-Signature` header that verification uses. */
export interface ParsedSignatureHeader {
  /** `t`, unix seconds. */
  readonly timestamp: number;
  /** Every non-empty `v1` value, in header order. */
  readonly signatures: readonly string[];
}

const EXPECTED_FORMAT = "expected `t=<unix seconds>,v1=<hex>`";

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

  let timestamp = -1;
  const signatures: string[] = [];
  for (const entry of header.split(",")) {
    const eq = entry.indexOf("=");
    if (eq === -1) continue;
    const key = entry.slice(0, eq).trim();
    if (key === "v1") {
      const value = entry.slice(eq + 1).trim();
      if (value !== "") signatures.push(value);
    } else if (key === "t") {
      const value = entry.slice(eq + 1).trim();
      const parsed = /^\d{1,15}$/.test(value) ? Number(value) : -1;
      if (parsed < 0 || timestamp !== -1) {
        throw new MedblocksSignatureError(
          "malformed_header",
          timestamp !== -1
            ? `The Medblocks-Signature header has more than one \`t=\` entry (${EXPECTED_FORMAT}): ${quote(header)}.`
            : `The Medblocks-Signature header's \`t=\` is not a non-negative integer (${EXPECTED_FORMAT}): ${quote(header)}.`,
        );
      }
      timestamp = parsed;
    }
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
