import { API_VERSION } from "@medblocks/connect";
import type { DomainContext } from "../domain/context.js";
import { checkEvents } from "../domain/endpoints.js";
import { invalidData, notFound } from "../domain/errors.js";
import { isId, newId } from "../domain/ids.js";
import { generateSigningSecret } from "../domain/secret-box.js";
import type { AttemptOutcome, ClaimedEvent, EndpointRow, EventRow, Workspace } from "../store/store.js";

/**
 * `medblocks listen`: the service streams a workspace's events to the CLI, which POSTs each to a
 * local URL signed with its own secret and reports the outcome, recorded like any attempt. The
 * session's hidden endpoint is active only while connected: facts published while no session is
 * open are recorded but never streamed, and events a session took but did not report are resent
 * when the next one connects.
 */

export const LISTEN_LEASE_MS = 60_000;
const CLAIM_BATCH = 20;
const IDLE_WAIT_MS = 500;
const DEVICE = /^[A-Za-z0-9._-]{1,100}$/;

export interface ListenSession {
  endpoint: EndpointRow;
  secret: string;
  /** This session's name on its leases. */
  owner: string;
  /** True once closed (by the client leaving or the service shutting down). */
  readonly closed: boolean;
  /** The next events to stream; resolves empty after a short wait when none are due. */
  next(): Promise<ClaimedEvent[]>;
  close(): Promise<void>;
}

export interface ListenHub {
  /** The endpoint and secret of this workspace and device, created if new; nothing is streamed. */
  describe(ws: Workspace, device: string, events?: string[]): Promise<{ endpoint: EndpointRow; secret: string }>;
  open(ws: Workspace, device: string, events?: string[]): Promise<ListenSession>;
  /** New events may be due: wake every idle session. */
  wake(): void;
  /** Ends every session (service shutdown). */
  closeAll(): Promise<void>;
  report(ws: Workspace, report: ListenReport): Promise<EventRow>;
}

export interface ListenReport {
  eventId: string;
  lease: string;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

/** The fence a session hands the CLI with each event and gets back with its outcome. */
const leaseToken = (owner: string, leaseExpiresAt: number) => `${owner}.${leaseExpiresAt}`;

function parseLease(token: string): { owner: string; leaseExpiresAt: number } | null {
  const match = /^(wkr_[0-9A-Z]{26})\.(\d{1,16})$/.exec(token);
  return match ? { owner: match[1]!, leaseExpiresAt: Number(match[2]) } : null;
}

export function streamedEvent(claimed: ClaimedEvent, owner: string) {
  return { id: claimed.event.id, type: claimed.event.type, payload: claimed.event.payload, lease: leaseToken(owner, claimed.leaseExpiresAt) };
}

export function createListenHub(ctx: DomainContext): ListenHub {
  const idle = new Set<() => void>();
  const sessions = new Set<ListenSession>();
  /** Sessions per endpoint in this process: the endpoint stays active while any is open. */
  const openCount = new Map<string, number>();

  async function describe(ws: Workspace, device: string, events: string[] = ["*"]) {
    if (!DEVICE.test(device)) throw invalidData("device", "'device' must be 1 to 100 letters, digits, '.', '_' or '-'.");
    checkEvents(events);
    const endpoint = await ctx.store.ensureListenEndpoint(ws, device, events, () => {
      const id = newId("wh");
      return {
        id,
        url: `cli:${device}`,
        events,
        description: `medblocks listen on ${device}`,
        metadata: {},
        apiVersion: API_VERSION,
        secretCiphertext: ctx.secrets.seal(generateSigningSecret(), id),
        now: ctx.clock(),
      };
    });
    return { endpoint, secret: ctx.secrets.open(endpoint.secretCiphertext, endpoint.id) };
  }

  async function open(ws: Workspace, device: string, events?: string[]): Promise<ListenSession> {
    const { endpoint, secret } = await describe(ws, device, events);
    const owner = newId("wkr");
    const outstanding = new Set<string>();
    let closed = false;
    openCount.set(endpoint.id, (openCount.get(endpoint.id) ?? 0) + 1);
    // Activating puts back what an earlier session took but never reported.
    await ctx.store.updateEndpoint(ws, endpoint.id, { status: "active", now: ctx.clock() });

    const session: ListenSession = {
      endpoint,
      secret,
      owner,
      get closed() {
        return closed;
      },
      async next() {
        if (closed) return [];
        const claims = await ctx.store.claimEndpointEvents({ owner, endpointId: endpoint.id, limit: CLAIM_BATCH, leaseMs: LISTEN_LEASE_MS, now: ctx.clock() });
        if (claims.length > 0) {
          for (const c of claims) outstanding.add(c.event.id);
          return claims;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            idle.delete(done);
            resolve();
          };
          const timer = setTimeout(done, IDLE_WAIT_MS);
          idle.add(done);
        });
        return [];
      },
      async close() {
        if (closed) return;
        closed = true;
        sessions.delete(session);
        await ctx.store.releaseClaims(owner, [...outstanding], ctx.clock());
        const left = (openCount.get(endpoint.id) ?? 1) - 1;
        if (left > 0) openCount.set(endpoint.id, left);
        else {
          openCount.delete(endpoint.id);
          await ctx.store.updateEndpoint(ws, endpoint.id, { status: "disabled", now: ctx.clock() });
        }
      },
    };
    sessions.add(session);
    return session;
  }

  async function report(ws: Workspace, report: ListenReport): Promise<EventRow> {
    const event = isId("evt", report.eventId) ? await ctx.store.findEvent(ws, report.eventId) : undefined;
    if (!event) throw notFound("event", report.eventId, "event_id");
    const lease = parseLease(report.lease);
    if (!lease) throw invalidData("lease", "'lease' must be the lease token streamed with the event.");
    const now = ctx.clock();
    const delivered = report.outcome === "delivered";
    const { recorded } = await ctx.store.completeAttempt({
      owner: lease.owner,
      leaseExpiresAt: lease.leaseExpiresAt,
      eventId: event.id,
      attempt: {
        id: newId("att", now),
        startedAt: now - report.durationMs,
        durationMs: report.durationMs,
        statusCode: report.statusCode,
        outcome: report.outcome,
        error: report.error,
        responseBody: report.responseBody,
      },
      // Local development: a failure is shown, not retried; `medblocks trigger` sends a new one.
      nextAttemptAt: null,
      deliveredAt: delivered ? now : null,
      exhaustedAt: null,
    });
    if (!recorded) throw invalidData("lease", "This event's lease is no longer held by that session (it was resent); its outcome was not recorded.");
    return (await ctx.store.findEvent(ws, event.id))!;
  }

  return {
    describe,
    open,
    report,
    wake() {
      for (const resolve of [...idle]) resolve();
    },
    async closeAll() {
      await Promise.all([...sessions].map((s) => s.close()));
      // Streams waiting for events notice at once that their session is over.
      for (const resolve of [...idle]) resolve();
    },
  };
}
