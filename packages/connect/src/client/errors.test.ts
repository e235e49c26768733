import { describe, expect, it } from "vitest";
import {
  MedblocksApiError,
  MedblocksAuthenticationError,
  MedblocksConflictError,
  MedblocksConnectionError,
  MedblocksEhrError,
  MedblocksError,
  MedblocksInvalidRequestError,
  MedblocksNotFoundError,
  MedblocksPermissionError,
  MedblocksRateLimitError,
  errorFromResponse,
  normalizeHeaders,
  parseRetryAfter,
} from "./errors.js";
import { MedblocksSignatureError } from "../webhooks/signature-error.js";

const envelope = (type: string, code: string, extra: Record<string, unknown> = {}) => ({
  error: { type, code, message: `${code} happened`, param: null, doc_url: null, request_id: "req_123", ...extra },
});

describe("errorFromResponse", () => {
  it.each([
    [400, "invalid_request_error", "invalid_data", MedblocksInvalidRequestError],
    [413, "invalid_request_error", "payload_too_large", MedblocksInvalidRequestError],
    [401, "authentication_error", "invalid_api_key", MedblocksAuthenticationError],
    [403, "permission_error", "forbidden", MedblocksPermissionError],
    [404, "not_found_error", "resource_not_found", MedblocksNotFoundError],
    [409, "conflict_error", "endpoint_disabled", MedblocksConflictError],
    [429, "rate_limit_error", "throttled", MedblocksRateLimitError],
    [502, "api_error", "ehr_unavailable", MedblocksEhrError],
    [500, "api_error", "internal_error", MedblocksApiError],
    [503, "api_error", "unavailable", MedblocksApiError],
    [418, "api_error", "teapot", MedblocksApiError],
  ])("%i → %s", (status, type, code, ErrorClass) => {
    const error = errorFromResponse(status, envelope(type, code), { "X-Request-Id": "req_header" });
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(MedblocksError);
    expect(error.name).toBe(ErrorClass.name);
    expect(error).toMatchObject({ type, code, message: `${code} happened`, statusCode: status, requestId: "req_123" });
  });

  it("copies every envelope field, from a JSON string body too", () => {
    const body = JSON.stringify(
      envelope("invalid_request_error", "invalid_data", { param: "url", doc_url: "https://docs.example/errors#invalid_data" }),
    );
    const error = errorFromResponse(400, body, new Headers({ "Content-Type": "application/json" }));
    expect(error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_data",
      param: "url",
      docUrl: "https://docs.example/errors#invalid_data",
      requestId: "req_123",
      statusCode: 400,
      headers: { "content-type": "application/json" },
      raw: body,
    });
  });

  it("falls back to the X-Request-Id header for the request id", () => {
    const body = { error: { type: "not_found_error", code: "resource_not_found", message: "No such endpoint" } };
    const error = errorFromResponse(404, body, new Headers({ "X-Request-Id": "req_from_header" }));
    expect(error.requestId).toBe("req_from_header");
    expect(error.param).toBeNull();
    expect(error.docUrl).toBeNull();
  });

  it("429 reads Retry-After seconds", () => {
    const error = errorFromResponse(429, envelope("rate_limit_error", "throttled"), { "retry-after": "42" });
    expect(error).toBeInstanceOf(MedblocksRateLimitError);
    expect((error as MedblocksRateLimitError).retryAfter).toBe(42);
    const without = errorFromResponse(429, envelope("rate_limit_error", "throttled"), {});
    expect((without as MedblocksRateLimitError).retryAfter).toBeNull();
  });

  it.each<[string, unknown]>([
    ["HTML", "<html><body>Bad gateway</body></html>"],
    ["empty text", ""],
    ["JSON without error", { message: "nope" }],
    ["error not an object", { error: "nope" }],
    ["null", null],
  ])("an unparseable body (%s) gives MedblocksApiError whatever the status", (_case, body) => {
    for (const status of [400, 404, 429, 502]) {
      const error = errorFromResponse(status, body, null);
      expect(error).toBeInstanceOf(MedblocksApiError);
      expect(error.statusCode).toBe(status);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.raw).toBe(body);
    }
  });
});

describe("error classes", () => {
  it("MedblocksConnectionError has no status and keeps the cause", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new MedblocksConnectionError(
      { type: "connection_error", code: "connection_failed", message: "Could not reach the Medblocks API" },
      { cause },
    );
    expect(error.statusCode).toBeUndefined();
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("MedblocksConnectionError");
    expect(error.headers).toEqual({});
  });

  it("MedblocksSignatureError is separate from the API errors", () => {
    const error = new MedblocksSignatureError("invalid_body", "x");
    expect(error).not.toBeInstanceOf(MedblocksError);
    expect(error).toBeInstanceOf(Error);
  });

  it("stack traces start with the subclass name", () => {
    expect(new MedblocksNotFoundError({ message: "gone" }).stack).toMatch(/^MedblocksNotFoundError: gone/);
  });
});

describe("helpers", () => {
  it("normalizeHeaders lowercases names and joins lists", () => {
    expect(normalizeHeaders({ "X-A": "1", "set-cookie": ["a", "b"], gone: undefined })).toEqual({
      "x-a": "1",
      "set-cookie": "a, b",
    });
    expect(normalizeHeaders(undefined)).toEqual({});
  });

  it("parseRetryAfter reads seconds and HTTP dates", () => {
    const now = Date.UTC(2026, 3, 25, 12, 0, 0);
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter(new Date(now + 30_500).toUTCString(), now)).toBe(30);
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
