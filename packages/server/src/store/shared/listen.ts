import type { Kysely } from "kysely";
import type { ClaimedEvent, ClaimInput, EndpointRow, NewEndpoint, Workspace } from "../store.js";
import type { DialectSupport } from "./dialect-support.js";
import { leaseEvents } from "./delivery.js";
import { newEndpointRow, toEndpoint } from "./endpoints.js";
import type { Database } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

/**
 * `medblocks listen` sessions. Each workspace and machine has one hidden endpoint of kind `cli`:
 * publishing fans out to it like to any endpoint, but its events are streamed to the CLI instead
 * of being POSTed by the dispatcher, and its attempts are reported back by the CLI.
 */

async function findListenEndpoint(db: Kysely<Database>, ws: Workspace, device: string) {
  return db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where(inWorkspace(ws))
    .where("kind", "=", "cli")
    .where("device", "=", device)
    .executeTakeFirst();
}

export async function ensureListenEndpoint(
  db: Kysely<Database>,
  ws: Workspace,
  device: string,
  events: string[],
  create: () => NewEndpoint,
): Promise<EndpointRow> {
  let row = await findListenEndpoint(db, ws, device);
  if (!row) {
    const endpoint = create();
    try {
      await db.insertInto("webhook_endpoints").values(newEndpointRow(ws, { ...endpoint, events }, { kind: "cli", device })).execute();
    } catch (error) {
      // Another session on the same machine created it a moment ago (unique index): use that one.
      if (!(await findListenEndpoint(db, ws, device))) throw error;
    }
    row = (await findListenEndpoint(db, ws, device))!;
  }
  if (row.events !== JSON.stringify(events)) {
    row = await db
      .updateTable("webhook_endpoints")
      .set({ events: JSON.stringify(events) })
      .where("id", "=", row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return toEndpoint(row);
}

export async function claimEndpointEvents(
  db: Kysely<Database>,
  dialect: DialectSupport,
  input: Omit<ClaimInput, "excludeEndpointIds"> & { endpointId: string },
): Promise<ClaimedEvent[]> {
  const { owner, limit, now, endpointId } = input;
  const leaseExpiresAt = now + input.leaseMs;
  const due = db
    .selectFrom("events")
    .select("id")
    .where("endpoint_id", "=", endpointId)
    .where("next_attempt_at", "<=", now)
    .orderBy("next_attempt_at")
    .limit(limit)
    .$if(dialect.supportsRowLocks, (qb) => qb.forUpdate().skipLocked());
  const claimed = await leaseEvents(db, due, owner, leaseExpiresAt);
  return claimed.sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
}
