/** The `error` member of every non-2xx response of the Medblocks API. */
export interface MedblocksErrorBody {
  /** Error family, e.g. `"invalid_request_error"`. */
  type?: string;
  /** Machine-readable code, e.g. `"invalid_data"`. */
  code?: string;
  /** Human-readable explanation. */
  message?: string;
  /** The request field at fault, when there is one. */
  param?: string | null;
  /** Link to documentation about this error. */
  doc_url?: string | null;
  /** Id of the failed request (also in the `X-Request-Id` header). */
  request_id?: string | null;
}

/** Response details attached to a {@link MedblocksError}. */
export interface MedblocksErrorContext {
  /** HTTP status of the response; absent when no response arrived. */
  statusCode?: number;
  /** Response headers, lowercase names. */
  headers?: Record<string, string>;
  /** The response body as received (parsed JSON or text). */
  raw?: unknown;
  /** The underlying error, e.g. a network failure. */
  cause?: unknown;
}

/**
 * Base class of every error of the Medblocks API client. Catch it to handle all of them; check
 * `instanceof` a subclass, or `type`/`code`, to tell them apart.
 */
export class MedblocksError extends Error {
  override name = "MedblocksError";
  /** Error family from the response, e.g. `"invalid_request_error"`. */
  readonly type: string;
  /** Machine-readable code, e.g. `"resource_not_found"`. */
  readonly code: string;
  /** The request field at fault, or `null`. */
  readonly param: string | null;
  /** Link to documentation about this error, or `null`. */
  readonly docUrl: string | null;
  /** Id of the failed request, for support; `null` if the response carried none. */
  readonly requestId: string | null;
  /** HTTP status; `undefined` when no response arrived. */
  readonly statusCode: number | undefined;
  /** Response headers (lowercase names); empty when no response arrived. */
  readonly headers: Record<string, string>;
  /** The response body as received. */
  readonly raw: unknown;

  constructor(body: MedblocksErrorBody = {}, context: MedblocksErrorContext = {}) {
    super(body.message ?? "Unknown Medblocks API error", context.cause === undefined ? undefined : { cause: context.cause });
    this.type = body.type ?? "api_error";
    this.code = body.code ?? "unknown_error";
    this.param = body.param ?? null;
    this.docUrl = body.doc_url ?? null;
    this.headers = context.headers ?? {};
    this.requestId = body.request_id ?? this.headers["x-request-id"] ?? null;
    this.statusCode = context.statusCode;
    this.raw = context.raw;
  }
}

/** 400 or 413: the request was invalid (see `code` and `param`). */
export class MedblocksInvalidRequestError extends MedblocksError {
  override name = "MedblocksInvalidRequestError";
}

/** 401: the API key is missing or invalid. */
export class MedblocksAuthenticationError extends MedblocksError {
  override name = "MedblocksAuthenticationError";
}

/** 403: the API key may not do this. */
export class MedblocksPermissionError extends MedblocksError {
  override name = "MedblocksPermissionError";
}

/** 404: no such resource in this organization. */
export class MedblocksNotFoundError extends MedblocksError {
  override name = "MedblocksNotFoundError";
}

/** 409: the request conflicts with the resource's state (e.g. `endpoint_disabled`). */
export class MedblocksConflictError extends MedblocksError {
  override name = "MedblocksConflictError";
}

/** 429: too many requests; retry after {@link MedblocksRateLimitError.retryAfter} seconds. */
export class MedblocksRateLimitError extends MedblocksError {
  override name = "MedblocksRateLimitError";
  /** Seconds to wait, from the `Retry-After` header; `null` if absent or unreadable. */
  readonly retryAfter: number | null;

  constructor(body: MedblocksErrorBody = {}, context: MedblocksErrorContext = {}) {
    super(body, context);
    this.retryAfter = parseRetryAfter(this.headers["retry-after"]);
  }
}

/** 502: the EHR behind the request failed. */
export class MedblocksEhrError extends MedblocksError {
  override name = "MedblocksEhrError";
}

/** 500 and any other unexpected status, or a response that is not a Medblocks error envelope. */
export class MedblocksApiError extends MedblocksError {
  override name = "MedblocksApiError";
}

/** The network failed (after retries): no response arrived. */
export class MedblocksConnectionError extends MedblocksError {
  override name = "MedblocksConnectionError";
}

/** Something with HTTP headers: a fetch `Headers`, or a plain object of names to values. */
export type HeadersInput =
  | { forEach(callback: (value: string, name: string) => void): void }
  | Record<string, string | readonly string[] | undefined>;

/** Lowercases header names; list values are joined with `, ` as HTTP does. */
export function normalizeHeaders(headers: HeadersInput | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (typeof headers.forEach === "function" && !Array.isArray(headers)) {
    (headers as { forEach(callback: (value: string, name: string) => void): void }).forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (value !== undefined) out[name.toLowerCase()] = typeof value === "string" ? value : value.join(", ");
  }
  return out;
}

/** `Retry-After` as seconds: an integer, or an HTTP date relative to `now`. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

type MedblocksErrorClass = new (body?: MedblocksErrorBody, context?: MedblocksErrorContext) => MedblocksError;

function classForStatus(status: number): MedblocksErrorClass {
  switch (status) {
    case 400:
    case 413:
      return MedblocksInvalidRequestError;
    case 401:
      return MedblocksAuthenticationError;
    case 403:
      return MedblocksPermissionError;
    case 404:
      return MedblocksNotFoundError;
    case 409:
      return MedblocksConflictError;
    case 429:
      return MedblocksRateLimitError;
    case 502:
      return MedblocksEhrError;
    default:
      return MedblocksApiError;
  }
}

/** Reads the `{"error":{…}}` envelope out of a body (text or parsed JSON); `null` if there is none. */
function readEnvelope(body: unknown): MedblocksErrorBody | null {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (typeof error !== "object" || error === null) return null;
  const { type, code, message, param, doc_url, request_id } = error as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const nullableText = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    type: text(type),
    code: text(code),
    message: text(message),
    param: nullableText(param),
    doc_url: nullableText(doc_url),
    request_id: nullableText(request_id),
  };
}

/**
 * The error for a non-2xx response: the class follows the status (400/413 invalid request, 401,
 * 403, 404, 409, 429 with `retryAfter`, 502 EHR, anything else API); a body that is not a
 * Medblocks error envelope always gives a `MedblocksApiError`.
 */
export function errorFromResponse(status: number, body: unknown, headers?: HeadersInput | null): MedblocksError {
  const normalized = normalizeHeaders(headers);
  const envelope = readEnvelope(body);
  const context: MedblocksErrorContext = { statusCode: status, headers: normalized, raw: body };
  if (envelope === null) {
    const snippet = typeof body === "string" ? body.slice(0, 200) : "";
    return new MedblocksApiError(
      {
        type: "api_error",
        code: "invalid_response",
        message: `The Medblocks API answered HTTP ${status} with a body that is not an error envelope${
          snippet ? `: ${snippet}` : "."
        }`,
      },
      context,
    );
  }
  const ErrorClass = classForStatus(status);
  return new ErrorClass(envelope, context);
}
