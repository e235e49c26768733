import type { CryptoProvider } from "./crypto/crypto-provider.js";
import { decodeHexInto } from "./encoding.js";
import { toRawBytes } from "./raw-body.js";
import { MedblocksSignatureError } from "./signature-error.js";
import { parseSignatureHeader } from "./signature-header.js";

/** Options for verifying a delivery. */
export interface VerifyOptions {
  /**
   * How far, in seconds, the signature timestamp may be from this machine's clock, in either
   * direction. Default `300`. `Infinity` disables the check (replaying old captures in tests).
   */
  tolerance?: number;
}

/** The default {@link VerifyOptions.tolerance}, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const HMAC_SHA256_BYTES = 32;

/** Empty or non-string secrets are programming errors, so they throw `TypeError`, not a 400. */
export function assertSecret(secret: unknown, name = "secret"): asserts secret is string {
  if (typeof secret !== "string" || secret === "") {
    throw new TypeError(
      `The webhook ${name} must be a non-empty string (the endpoint's whsec_… secret), got ${
        typeof secret === "string" ? "an empty string" : typeof secret
      }. Check that the environment variable holding it is set.`,
    );
  }
}

function resolveTolerance(options: VerifyOptions | undefined): number {
  const tolerance = options?.tolerance ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof tolerance !== "number" || Number.isNaN(tolerance) || tolerance < 0) {
    throw new TypeError(`options.tolerance must be a non-negative number of seconds or Infinity, got ${String(tolerance)}.`);
  }
  return tolerance;
}

/** Rejects timestamps further than `tolerance` seconds from `nowSeconds`, both ways. */
export function checkTimestamp(timestamp: number, tolerance: number, nowSeconds: number): void {
  const skew = nowSeconds - timestamp;
  if (Math.abs(skew) <= tolerance) return;
  const measured =
    skew > 0
      ? `The signature timestamp t=${timestamp} is ${skew} s older than this machine's clock; the tolerance is ${tolerance} s. ` +
        "Either the delivery is being replayed (keep rejecting it) or a clock is off: keep the server clock in sync (NTP). " +
        "To verify an old captured delivery on purpose, pass { tolerance: Infinity }."
      : `The signature timestamp t=${timestamp} is ${-skew} s ahead of this machine's clock; the tolerance is ${tolerance} s. ` +
        "That points to clock skew: keep the server clock in sync (NTP).";
  throw new MedblocksSignatureError("timestamp_outside_tolerance", measured);
}

function noMatchMessage(secret: string): string {
  const hints = [
    "No v1 signature in the Medblocks-Signature header matches this body and secret.",
    "Most likely the body is not the exact bytes received (something parsed and re-serialized it, or changed " +
      "its encoding or line endings): pass the raw body, e.g. express.raw() or `await request.text()`.",
    "Otherwise the secret is wrong: use the whsec_… signing secret of this endpoint (after a rotation, the new one), " +
      "not an API key or another endpoint's secret.",
  ];
  if (secret.trim() !== secret) {
    hints.push(
      "Note: the secret has leading or trailing whitespace (often a trailing newline from an .env file or a copy-paste); trim it.",
    );
  } else if (/\s/.test(secret)) {
    hints.push("Note: the secret contains whitespace, which a whsec_… secret never does.");
  }
  if (!secret.trim().startsWith("whsec_")) {
    hints.push("Note: the secret does not start with `whsec_`; pass it exactly as shown when the endpoint was created.");
  }
  return hints.join(" ");
}

// Scratch space for one decoded candidate. Safe to share: decoding and comparing never await.
const candidateBytes = new Uint8Array(HMAC_SHA256_BYTES);

/** True when any candidate equals `expected`; each comparison is constant-time. */
function matchesAny(provider: CryptoProvider, expected: Uint8Array, candidates: readonly string[]): boolean {
  let matched = false;
  for (let i = 0; i < candidates.length; i++) {
    if (decodeHexInto(candidates[i]!, candidateBytes) && provider.timingSafeEqual(expected, candidateBytes)) matched = true;
  }
  return matched;
}

/**
 * Runs the checks of a delivery in contract order (header, tolerance, raw body, signature) and
 * returns the verified body bytes or text.
 *
 * @throws TypeError for an empty or non-string secret or a bad tolerance option
 * @throws MedblocksSignatureError with the first failing `reason`
 */
export async function verifyDelivery(
  provider: CryptoProvider,
  rawBody: unknown,
  signatureHeader: unknown,
  secret: unknown,
  options?: VerifyOptions,
): Promise<string | Uint8Array> {
  assertSecret(secret);
  const tolerance = resolveTolerance(options);
  const header = parseSignatureHeader(signatureHeader);
  if (tolerance !== Infinity) checkTimestamp(header.timestamp, tolerance, Math.floor(Date.now() / 1000));
  const body = toRawBytes(rawBody);
  const expected = await provider.hmacSha256(secret, [`${header.timestamp}.`, body]);
  if (!matchesAny(provider, expected, header.signatures)) {
    throw new MedblocksSignatureError("no_matching_signature", noMatchMessage(secret));
  }
  return body;
}
