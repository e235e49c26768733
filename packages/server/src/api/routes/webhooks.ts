import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { DomainContext } from "../../domain/context.js";
import {
  createEndpoint,
  deleteEndpoint,
  recoverEndpoint,
  retrieveEndpoint,
  rotateEndpointSecret,
  updateEndpoint,
} from "../../domain/endpoints.js";
import { ErrorResponses, IdParams } from "../schemas/common.js";
import { EventRecordList } from "../schemas/events.js";
import {
  CreateWebhookBody,
  DeletedWebhookEndpoint,
  ListEndpointEventsQuery,
  ListWebhooksQuery,
  RecoverBody,
  RecoverResult,
  RotateSecretBody,
  UpdateWebhookBody,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
} from "../schemas/webhooks.js";
import { presentEndpoint, presentEndpointWithSecret, presentEvent, presentList } from "../presenters.js";

const tags = ["Webhook endpoints"];

export const webhookRoutes: FastifyPluginAsyncTypebox<{ ctx: DomainContext }> = async (app, { ctx }) => {
  app.post(
    "/webhooks",
    { config: { idempotentRequest: true }, schema: { tags, summary: "Register an endpoint", body: CreateWebhookBody, response: { 200: WebhookEndpointWithSecret, ...ErrorResponses } } },
    async (request) => {
      const { endpoint, secret } = await createEndpoint(ctx, request.workspace, request.body);
      return presentEndpointWithSecret(endpoint, secret);
    },
  );

  app.get(
    "/webhooks",
    { schema: { tags, summary: "List endpoints, newest first", querystring: ListWebhooksQuery, response: { 200: WebhookEndpointList, ...ErrorResponses } } },
    async (request) => {
      const { limit = 10, starting_after, status } = request.query;
      const page = await ctx.store.listEndpoints(request.workspace, { limit, startingAfter: starting_after, status });
      return presentList(page, presentEndpoint);
    },
  );

  app.get(
    "/webhooks/:id",
    { schema: { tags, summary: "Retrieve an endpoint", params: IdParams, response: { 200: WebhookEndpoint, ...ErrorResponses } } },
    async (request) => presentEndpoint(await retrieveEndpoint(ctx, request.workspace, request.params.id)),
  );

  app.patch(
    "/webhooks/:id",
    { schema: { tags, summary: "Update an endpoint", params: IdParams, body: UpdateWebhookBody, response: { 200: WebhookEndpoint, ...ErrorResponses } } },
    async (request) => presentEndpoint(await updateEndpoint(ctx, request.workspace, request.params.id, request.body ?? {})),
  );

  app.delete(
    "/webhooks/:id",
    { schema: { tags, summary: "Delete an endpoint and its delivery history", params: IdParams, response: { 200: DeletedWebhookEndpoint, ...ErrorResponses } } },
    async (request) => {
      await deleteEndpoint(ctx, request.workspace, request.params.id);
      return { id: request.params.id, resource_type: "webhook_endpoint" as const, deleted: true as const };
    },
  );

  app.post(
    "/webhooks/:id/rotate-secret",
    { config: { idempotentRequest: true }, schema: { tags, summary: "Rotate the signing secret", params: IdParams, body: RotateSecretBody, response: { 200: WebhookEndpointWithSecret, ...ErrorResponses } } },
    async (request) => {
      const { endpoint, secret } = await rotateEndpointSecret(ctx, request.workspace, request.params.id, request.body?.expires_in ?? 0);
      return presentEndpointWithSecret(endpoint, secret);
    },
  );

  app.get(
    "/webhooks/:id/events",
    { schema: { tags, summary: "List an endpoint's event records, newest first", params: IdParams, querystring: ListEndpointEventsQuery, response: { 200: EventRecordList, ...ErrorResponses } } },
    async (request) => {
      const endpoint = await retrieveEndpoint(ctx, request.workspace, request.params.id);
      const { limit = 10, starting_after, delivered, type } = request.query;
      const page = await ctx.store.listEndpointEvents(request.workspace, endpoint.id, {
        limit,
        startingAfter: starting_after,
        ...(delivered !== undefined && { delivered: delivered === "true" }),
        ...(type !== undefined && { type }),
      });
      return presentList(page, presentEvent);
    },
  );

  app.post(
    "/webhooks/:id/recover",
    { config: { idempotentRequest: true }, schema: { tags, summary: "Re-enqueue the undelivered events of a time window", params: IdParams, body: RecoverBody, response: { 200: RecoverResult, ...ErrorResponses } } },
    async (request) => ({ enqueued: await recoverEndpoint(ctx, request.workspace, request.params.id, request.body) }),
  );
};
