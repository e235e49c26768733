import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { DomainContext } from "../../domain/context.js";
import { forbidden, notFound } from "../../domain/errors.js";
import { isId } from "../../domain/ids.js";
import { publishFact } from "../../domain/publishing.js";
import { redeliverEvent } from "../../delivery/redelivery.js";
import type { Workspace } from "../../store/store.js";
import { ErrorResponses, IdParams } from "../schemas/common.js";
import { EventAttemptList, EventRecord, EventRecordList, PageOnlyQuery, PublishBody } from "../schemas/events.js";
import { presentAttempt, presentEvent, presentList } from "../presenters.js";

const tags = ["Events"];

async function findEventOrThrow(ctx: DomainContext, ws: Workspace, id: string) {
  const event = isId("evt", id) ? await ctx.store.findEvent(ws, id) : undefined;
  if (!event) throw notFound("event", id);
  return event;
}

export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: DomainContext }> = async (app, { ctx }) => {
  app.post(
    "/events",
    { schema: { tags, summary: "Publish a fact to every subscribed endpoint", body: PublishBody, response: { 200: EventRecordList, ...ErrorResponses } } },
    async (request, reply) => {
      if (request.workspace.mode === "live" && !ctx.livePublish) {
        throw forbidden(
          "Live keys cannot publish events: in production only the Connect platform emits facts. Use a sandbox key, " +
            "or set MEDBLOCKS_LIVE_PUBLISH=true on a self-hosted service.",
        );
      }
      const idempotencyKey = request.headers["idempotency-key"];
      const published = await publishFact(ctx, request.workspace, request.body, {
        ...(typeof idempotencyKey === "string" && { idempotencyKey }),
      });
      if (published.replayed) reply.header("Idempotent-Replayed", "true");
      return { resource_type: "list" as const, data: published.events.map(presentEvent), has_more: false, next_cursor: null };
    },
  );

  app.get(
    "/events/:id",
    { schema: { tags, summary: "Retrieve an event record", params: IdParams, response: { 200: EventRecord, ...ErrorResponses } } },
    async (request) => presentEvent(await findEventOrThrow(ctx, request.workspace, request.params.id)),
  );

  app.get(
    "/events/:id/attempts",
    { schema: { tags, summary: "The attempt log of an event, oldest first", params: IdParams, querystring: PageOnlyQuery, response: { 200: EventAttemptList, ...ErrorResponses } } },
    async (request) => {
      const event = await findEventOrThrow(ctx, request.workspace, request.params.id);
      const { limit = 10, starting_after } = request.query;
      const page = await ctx.store.listAttempts(request.workspace, event.id, { limit, startingAfter: starting_after });
      return presentList(page, presentAttempt);
    },
  );

  app.post(
    "/events/:id/redeliver",
    { config: { idempotentRequest: true }, schema: { tags, summary: "Attempt one delivery now (at most once per event per minute)", params: IdParams, response: { 200: EventRecord, ...ErrorResponses } } },
    async (request) => presentEvent(await redeliverEvent(ctx, request.workspace, request.params.id)),
  );
};
