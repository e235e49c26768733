/**
 * Why a delivery failed verification, in the order the checks run: the first failing check wins.
 *
 * - `missing_header`: the `Medblocks-Signature` header is null, undefined or empty.
 * - `malformed_header`: no `t=` non-negative integer, or no non-empty `v1=` entry.
 * - `timestamp_outside_tolerance`: `t` is further from the local clock than the tolerance.
 * - `no_matching_signature`: no `v1` value matches the body and secret.
 * - `invalid_body`: the body is not raw bytes/text (a parsed object), or it verified but is not a
 *   JSON object with string `id` and `type`.
 */
export const SIGNATURE_ERROR_REASONS = [
  "missing_header",
  "malformed_header",
  "timestamp_outside_tolerance",
  "no_matching_signature",
  "invalid_body",
] as const;

/** One of the five {@link SIGNATURE_ERROR_REASONS}. */
export type SignatureErrorReason = (typeof SIGNATURE_ERROR_REASONS)[number];

/**
 * Thrown when a webhook delivery cannot be verified. Answer such requests with HTTP 400.
 *
 * Separate from `MedblocksError`: it describes a bad incoming request, not a failed API call, so
 * it carries no HTTP status. Switch on `.reason`; `.message` says what to fix.
 */
export class MedblocksSignatureError extends Error {
  override readonly name = "MedblocksSignatureError";
  /** Which check failed. */
  readonly reason: SignatureErrorReason;

  constructor(reason: SignatureErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
