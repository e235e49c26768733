import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { Registry } from "prom-client";

const tags = ["System"];

/** Unauthenticated routes: liveness, Prometheus metrics and the OpenAPI document. */
export const systemRoutes: FastifyPluginAsyncTypebox<{ metrics: Registry }> = async (app, { metrics }) => {
  app.get(
    "/health",
    {
      schema: {
        tags,
        summary: "Liveness",
        response: { 200: Type.Object({ ok: Type.Literal(true), server_time: Type.String({ format: "date-time" }) }) },
      },
    },
    async () => ({ ok: true as const, server_time: new Date().toISOString() }),
  );

  app.get("/metrics", { schema: { tags, summary: "Prometheus metrics", hide: true } }, async (_request, reply) => {
    reply.header("Content-Type", metrics.contentType);
    return metrics.metrics();
  });

  app.get("/openapi.json", { schema: { tags, summary: "This API's OpenAPI 3.1 document", hide: true } }, async () => app.swagger());
};
