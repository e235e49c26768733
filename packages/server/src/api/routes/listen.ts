import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ListenHub } from "../../delivery/listen-sessions.js";
import { streamedEvent } from "../../delivery/listen-sessions.js";
import { ErrorResponses } from "../schemas/common.js";
import { EventRecord } from "../schemas/events.js";
import { ListenAttemptBody, ListenSession, ListenSessionBody, ListenStreamQuery } from "../schemas/listen.js";
import { presentEvent } from "../presenters.js";

const tags = ["Local development"];
const HEARTBEAT_MS = 15_000;

const splitEvents = (events: string | undefined) => (events ? events.split(",").map((e) => e.trim()).filter(Boolean) : undefined);

/**
 * The service side of `medblocks listen`: a session description (its secret), a Server-Sent Events
 * stream of the workspace's events, and the CLI's report of each forwarded attempt.
 */
export const listenRoutes: FastifyPluginAsyncTypebox<{ hub: ListenHub }> = async (app, { hub }) => {
  app.post(
    "/listen/sessions",
    { schema: { tags, summary: "The listen session of a machine: its endpoint and secret", body: ListenSessionBody, response: { 200: ListenSession, ...ErrorResponses } } },
    async (request) => {
      const { endpoint, secret } = await hub.describe(request.workspace, request.body.device, splitEvents(request.body.events));
      return { resource_type: "listen_session" as const, webhook_endpoint_id: endpoint.id, device: request.body.device, events: endpoint.events, secret };
    },
  );

  app.get(
    "/listen/stream",
    { schema: { tags, summary: "Stream the workspace's events (text/event-stream)", querystring: ListenStreamQuery } },
    async (request, reply) => {
      const session = await hub.open(request.workspace, request.query.device, splitEvents(request.query.events));
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        // The stream is the connection's last response: ending it closes the socket, so shutdown is prompt.
        connection: "close",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
      const send = (event: string, data: unknown, id?: string) =>
        raw.write(`${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send("session", { webhook_endpoint_id: session.endpoint.id, device: request.query.device, events: session.endpoint.events, secret: session.secret });

      let open = true;
      const heartbeat = setInterval(() => raw.write(": ping\n\n"), HEARTBEAT_MS);
      const stop = () => {
        open = false;
        clearInterval(heartbeat);
      };
      raw.on("close", stop);
      try {
        while (open && !raw.destroyed) {
          for (const claimed of await session.next()) send("webhook", streamedEvent(claimed, session.owner), claimed.event.id);
          if (session.closed) break;
        }
      } catch (error) {
        request.log.error({ err: error }, "listen stream failed");
      } finally {
        stop();
        await session.close();
        // Once the last bytes are out, drop the socket: a stream's client may never close its side,
        // and the server must not wait for it to shut down.
        raw.end(() => raw.socket?.destroy());
      }
    },
  );

  app.post(
    "/listen/attempts",
    { schema: { tags, summary: "Record the outcome of a forwarded event", body: ListenAttemptBody, response: { 200: EventRecord, ...ErrorResponses } } },
    async (request) => {
      const body = request.body;
      const event = await hub.report(request.workspace, {
        eventId: body.event_id,
        lease: body.lease,
        outcome: body.outcome,
        statusCode: body.status_code,
        durationMs: body.duration_ms,
        error: body.error ?? null,
        responseBody: body.response_body ?? null,
      });
      return presentEvent(event);
    },
  );
};
