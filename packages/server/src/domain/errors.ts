/**
 * Errors the service reports to API callers. The domain throws these with a contract code; the API
 * layer maps `type` to an HTTP status and writes the error envelope (SPEC §5). Anything else thrown
 * is an internal error and is never shown to the caller beyond a request id.
 */

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "api_error";

export type ErrorCode =
  | "bad_request"
  | "invalid_data"
  | "unsupported_api_version"
  | "endpoint_limit_reached"
  | "missing_api_key"
  | "invalid_api_key"
  | "forbidden"
  | "resource_not_found"
  | "resource_conflict"
  | "endpoint_disabled"
  | "payload_too_large"
  | "throttled"
  | "internal_error";

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    readonly type: ErrorType,
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Seconds, for `throttled`. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const invalidData = (param: string, message: string) =>
  new ServiceError("invalid_request_error", "invalid_data", message, param);

export const badRequest = (message: string, param: string | null = null) =>
  new ServiceError("invalid_request_error", "bad_request", message, param);

export const notFound = (what: string, id: string, param = "id") =>
  new ServiceError("not_found_error", "resource_not_found", `No such ${what}: '${id}'.`, param);

export const conflict = (message: string, code: "resource_conflict" | "endpoint_disabled" = "resource_conflict") =>
  new ServiceError("conflict_error", code, message);

export const forbidden = (message: string) => new ServiceError("permission_error", "forbidden", message);

export const throttled = (message: string, retryAfterSeconds: number) =>
  new ServiceError("rate_limit_error", "throttled", message, null, Math.max(1, Math.ceil(retryAfterSeconds)));
