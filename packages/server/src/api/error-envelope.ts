import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ServiceError, type ErrorType } from "../domain/errors.js";

/** One place turns every failure into the error envelope of SPEC §5. */

const STATUS: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  rate_limit_error: 429,
  api_error: 500,
};

export const DOC_BASE_URL = "https://docs.medblocks.com/webhooks/errors";

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ServiceError, status = STATUS[error.type]) {
  reply.header("X-Request-Id", request.id);
  if (error.retryAfter !== undefined) reply.header("Retry-After", String(error.retryAfter));
  return reply.status(status).send({
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param,
      doc_url: `${DOC_BASE_URL}#${error.code}`,
      request_id: request.id,
    },
  });
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/events/0` → `events[0]`, `/data/object` → `data.object`; an unknown or missing field names itself. */
function paramOf(issue: ValidationIssue): string | null {
  const segments = issue.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const extra = issue.params.additionalProperty ?? issue.params.missingProperty;
  if (typeof extra === "string") segments.push(extra);
  let param = "";
  for (const segment of segments) param += /^\d+$/.test(segment) ? `[${segment}]` : param ? `.${segment}` : segment;
  return param || null;
}

function describe(issue: ValidationIssue, param: string | null, context: string | undefined): string {
  const where = param ? `'${param}'` : context === "querystring" ? "The query string" : "The request body";
  switch (issue.keyword) {
    case "additionalProperties":
      return `Unknown parameter '${param}'.`;
    case "required":
      return `Missing required parameter '${param}'.`;
    case "type":
      return `${where} must be ${issue.params.type === "null" ? "null" : `of type ${String(issue.params.type)}`}.`;
    default:
      return `${where} ${issue.message ?? "is invalid"}.`;
  }
}

function fromFastifyError(error: FastifyError & { validation?: ValidationIssue[]; validationContext?: string }): ServiceError | null {
  if (error.validation?.length) {
    const issue = error.validation[0]!;
    const param = paramOf(issue);
    return new ServiceError("invalid_request_error", "invalid_data", describe(issue, param, error.validationContext), param);
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ServiceError("invalid_request_error", "payload_too_large", "The request body is too large.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ServiceError("invalid_request_error", "bad_request", "Send the request body as JSON with Content-Type: application/json.");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ServiceError("invalid_request_error", "bad_request", "The Content-Type is application/json but the body is empty.");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ServiceError("invalid_request_error", "bad_request", "The Content-Length header does not match the body.");
  }
  if (error instanceof SyntaxError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return new ServiceError("invalid_request_error", "bad_request", `The request body is not valid JSON: ${error.message}`);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new ServiceError("invalid_request_error", "bad_request", error.message || "The request could not be read.");
  }
  return null;
}

export function registerErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ServiceError) return sendError(request, reply, error);
    const mapped = fromFastifyError(error);
    if (mapped) return sendError(request, reply, mapped, mapped.code === "payload_too_large" ? 413 : undefined);
    request.log.error({ err: error }, "request failed");
    return sendError(
      request,
      reply,
      new ServiceError("api_error", "internal_error", `Something went wrong on our side. Quote request id ${request.id} if you contact support.`),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new ServiceError("not_found_error", "resource_not_found", `Unrecognized request URL (${request.method} ${request.url.split("?")[0]}).`),
    ),
  );
}

/** Errors the router raises before any hook runs (a malformed URL, an absurdly long path segment). */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const mapped =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new ServiceError("not_found_error", "resource_not_found", "No such resource: the id in the URL is far too long.", "id")
      : new ServiceError("invalid_request_error", "bad_request", `The request URL could not be read: ${error.message}`);
  return sendError(request, reply, mapped);
}
