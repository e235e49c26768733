import type { FastifyInstance } from "fastify";
import type { DomainContext } from "../domain/context.js";
import { settleRequestKey, takeRequestKey, type HeldKey } from "../domain/idempotency.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route honours `Idempotency-Key` by replaying the first answer (POST routes whose work
     * runs in transactions of their own; publishing handles its key inside its transaction).
     */
    idempotentRequest?: boolean;
  }
  interface FastifyRequest {
    /** The idempotency key this request took and must record its answer under. */
    heldIdempotencyKey: HeldKey | null;
  }
}

/**
 * `Idempotency-Key` on the routes that opt in: after authentication and validation, the key is
 * taken (or the first answer replayed, with `Idempotent-Replayed: true`); once the answer is
 * serialized it is recorded for replay, or the key given back when a retry should run again.
 */
export function honourIdempotencyKeys(app: FastifyInstance, ctx: DomainContext): void {
  app.decorateRequest("heldIdempotencyKey", null);

  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers["idempotency-key"];
    if (!request.routeOptions.config.idempotentRequest || typeof key !== "string") return;
    const taken = await takeRequestKey(ctx, request.workspace, key, [request.method, request.url, request.body ?? null]);
    if ("fingerprint" in taken) {
      request.heldIdempotencyKey = taken;
      return;
    }
    return reply.code(taken.statusCode).header("Idempotent-Replayed", "true").type("application/json; charset=utf-8").send(taken.body);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const held = request.heldIdempotencyKey;
    if (held === null) return payload;
    request.heldIdempotencyKey = null;
    try {
      await settleRequestKey(ctx, request.workspace, held, { statusCode: reply.statusCode, body: String(payload) });
    } catch (error) {
      // The answer still goes out; the key frees itself for this request after a while.
      request.log.warn({ err: error }, "could not record the answer for its Idempotency-Key");
    }
    return payload;
  });
}
