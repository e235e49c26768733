import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { API_VERSION } from "@medblocks/connect";
import Fastify, { type FastifyBaseLogger } from "fastify";
import type { Registry } from "prom-client";
import type { ListenHub } from "../delivery/listen-sessions.js";
import type { DomainContext } from "../domain/context.js";
import { ServiceError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { requireApiKey } from "./authentication.js";
import { frameworkErrorHandler, registerErrorEnvelope } from "./error-envelope.js";
import { honourIdempotencyKeys } from "./idempotent-requests.js";
import { trackIdleSockets } from "./idle-sockets.js";
import { registerHttpMetrics } from "./http-metrics.js";
import { eventRoutes } from "./routes/events.js";
import { listenRoutes } from "./routes/listen.js";
import { systemRoutes } from "./routes/system.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { validatorCompiler } from "./validation.js";

export interface AppOptions {
  ctx: DomainContext;
  /** Streams events to `medblocks listen` sessions. */
  listen: ListenHub;
  metrics: Registry;
  /** A pino logger for request logs; none by default. */
  logger?: FastifyBaseLogger;
  /** Only /health, /metrics and /openapi.json (a worker process). */
  systemOnly?: boolean;
  /** Largest accepted request body in bytes; bigger ones get 413 payload_too_large. */
  bodyLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 512 * 1024;

/** Pino redaction: nothing that authenticates or signs is ever written to a log line. */
export const LOG_REDACT = {
  paths: ["req.headers.authorization", "*.secret", "*.apiKey", "*.api_key", "secret", "apiKey"],
  censor: "[redacted]",
};

/** Builds the HTTP API without listening, so tests and the service start it the same way. */
export async function buildApp({ ctx, listen, metrics, logger, systemOnly = false, bodyLimit = DEFAULT_BODY_LIMIT }: AppOptions) {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit,
    genReqId: () => newId("req"),
    requestIdHeader: false,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  registerErrorEnvelope(app);
  registerHttpMetrics(app, metrics);

  // An empty body with a JSON content type (common for bodiless POSTs from HTTP clients) is no body.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === "") return done(null, undefined);
    parseJson(request, text, done);
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
    const version = request.headers.version;
    if (version !== undefined && version !== API_VERSION) {
      throw new ServiceError(
        "invalid_request_error",
        "unsupported_api_version",
        `Unsupported API version '${String(version)}'. The supported version is ${API_VERSION}.`,
        "Version",
      );
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Medblocks Connect Webhooks API",
        version: API_VERSION,
        description: "Register webhook endpoints, inspect event records and attempts, redeliver and publish events.",
      },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "mb_sk_sbx_… or mb_sk_live_…" } } },
      security: [{ apiKey: [] }],
    },
  });

  // Listen streams never end by themselves, and idle keep-alive sockets would hold the server
  // open: end both so shutdown waits only for requests actually in flight.
  const sockets = trackIdleSockets(app.server);
  app.addHook("preClose", async () => {
    await listen.closeAll();
    sockets.destroyIdle();
  });

  await app.register(systemRoutes, { metrics });
  if (systemOnly) return app;
  await app.register(async (authenticated) => {
    requireApiKey(authenticated, ctx.store);
    honourIdempotencyKeys(authenticated, ctx);
    await authenticated.register(webhookRoutes, { ctx });
    await authenticated.register(eventRoutes, { ctx });
    await authenticated.register(listenRoutes, { hub: listen });
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
