import type { DomainContext } from "../domain/context.js";
import { assertEndpointActive, signingSecrets } from "../domain/endpoints.js";
import { conflict, notFound, throttled } from "../domain/errors.js";
import { isId } from "../domain/ids.js";
import type { EventRow, Workspace } from "../store/store.js";
import { endpointDisabledBy } from "./retry-schedule.js";
import { toAttemptRecord } from "./sender.js";

/** SPEC §5: at most one manual redelivery per event per minute. */
export const REDELIVERY_INTERVAL_MS = 60_000;

/**
 * `POST /events/:id/redeliver`: one attempt made within the request, same event id, recorded as a
 * `manual` attempt. It never moves the automatic schedule; a success ends it, and a 410 disables
 * the endpoint.
 */
export async function redeliverEvent(ctx: DomainContext, ws: Workspace, id: string): Promise<EventRow> {
  const event = isId("evt", id) ? await ctx.store.findEvent(ws, id) : undefined;
  if (!event) throw notFound("event", id);
  const endpoint = await ctx.store.findEndpoint(ws, event.endpointId);
  if (!endpoint) throw notFound("event", id);
  if (endpoint.kind === "cli") {
    throw conflict("This event went to a `medblocks listen` session; it is resent to the session, not redelivered. Trigger a new one instead.");
  }
  assertEndpointActive(endpoint);

  const now = ctx.clock();
  if (!(await ctx.store.reserveRedelivery(ws, event.id, now, REDELIVERY_INTERVAL_MS))) {
    const last = (await ctx.store.findEvent(ws, event.id))?.lastRedeliveredAt ?? now;
    const waitMs = last + REDELIVERY_INTERVAL_MS - now;
    throw throttled(`Event ${event.id} was redelivered less than a minute ago. Try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s.`, waitMs / 1000);
  }
  const result = await ctx.sender.send({
    eventId: event.id,
    url: endpoint.url,
    payload: event.payload,
    secrets: signingSecrets(ctx, endpoint, ctx.clock()),
    mode: event.mode,
  });
  // A 410 speaks of the endpoint, whoever asked: it disables it, as it would after an automatic attempt.
  const disableEndpoint = endpointDisabledBy(result.outcome, result.statusCode, false);
  const recorded = await ctx.store.recordManualAttempt(ws, event.id, toAttemptRecord(result), disableEndpoint);
  // Deleted with its endpoint while the attempt was in flight.
  if (!recorded) throw notFound("event", id);
  // Its events already claimed go back to the queue, where they stay parked.
  if (recorded.endpointDisabled) ctx.endpointChanged?.(endpoint.id);
  return recorded.event;
}
