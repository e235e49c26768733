import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type {
  EndpointPatch,
  EndpointRow,
  EndpointStatus,
  NewEndpoint,
  Page,
  PageQuery,
  SecretRotation,
  Workspace,
} from "../store.js";
import { parkEvents, unparkEvents } from "./delivery.js";
import type { DialectSupport } from "./dialect-support.js";
import { fetchSizeFor, toPage } from "./pagination.js";
import type { Database, WebhookEndpointsTable } from "./schema.js";
import { inWorkspace } from "./workspace-scope.js";

export function toEndpoint(row: Selectable<WebhookEndpointsTable>): EndpointRow {
  return {
    id: row.id,
    organizationId: row.organization_id,
    mode: row.mode,
    kind: row.kind,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    status: row.status,
    disabledReason: row.disabled_reason,
    description: row.description,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    apiVersion: row.api_version,
    secretCiphertext: row.secret_ciphertext,
    previousSecretCiphertext: row.previous_secret_ciphertext,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The row of a new endpoint: a registered one (active) or a listen session's (active only while connected). */
export function newEndpointRow(
  ws: Workspace,
  endpoint: NewEndpoint,
  kind: { kind: "http" } | { kind: "cli"; device: string },
): Insertable<WebhookEndpointsTable> {
  return {
    id: endpoint.id,
    organization_id: ws.organizationId,
    mode: ws.mode,
    kind: kind.kind,
    device: kind.kind === "cli" ? kind.device : null,
    url: endpoint.url,
    events: JSON.stringify(endpoint.events),
    status: kind.kind === "http" ? "active" : "disabled",
    disabled_reason: kind.kind === "http" ? null : "manual",
    description: endpoint.description,
    metadata: JSON.stringify(endpoint.metadata),
    api_version: endpoint.apiVersion,
    secret_ciphertext: endpoint.secretCiphertext,
    previous_secret_ciphertext: null,
    previous_secret_expires_at: null,
    created_at: endpoint.now,
    updated_at: endpoint.now,
  };
}

export async function insertEndpoint(
  db: Kysely<Database>,
  ws: Workspace,
  endpoint: NewEndpoint,
): Promise<EndpointRow> {
  const row = await db
    .insertInto("webhook_endpoints")
    .values(newEndpointRow(ws, endpoint, { kind: "http" }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toEndpoint(row);
}

/**
 * Inserts the endpoint unless its workspace already has `limit` registered ones (undefined then).
 * Count and insert are one transaction, and concurrent creates in one organization take turns, so
 * they cannot pass the limit together: PostgreSQL queues them on the organization's row (a lock that
 * foreign-key checks of other inserts do not wait for); SQLite serializes every writer anyway.
 */
export async function insertEndpointWithinLimit(
  db: Kysely<Database>,
  dialect: DialectSupport,
  ws: Workspace,
  endpoint: NewEndpoint,
  limit: number,
): Promise<EndpointRow | undefined> {
  return db.transaction().execute(async (trx) => {
    if (dialect.supportsRowLocks) {
      await trx.selectFrom("organizations").select("id").where("id", "=", ws.organizationId).forNoKeyUpdate().execute();
    }
    if ((await countEndpoints(trx, ws)) >= limit) return undefined;
    return insertEndpoint(trx, ws, endpoint);
  });
}

export async function countEndpoints(db: Kysely<Database>, ws: Workspace): Promise<number> {
  const row = await db
    .selectFrom("webhook_endpoints")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where(inWorkspace(ws))
    .where("kind", "=", "http")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findEndpoint(
  db: Kysely<Database>,
  ws: Workspace,
  id: string,
): Promise<EndpointRow | undefined> {
  const row = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", id)
    .where(inWorkspace(ws))
    .executeTakeFirst();
  return row && toEndpoint(row);
}

/** Newest first; `startingAfter` continues with older ids. */
export async function listEndpoints(
  db: Kysely<Database>,
  ws: Workspace,
  query: PageQuery & { status?: EndpointStatus },
): Promise<Page<EndpointRow>> {
  const { limit, startingAfter, status } = query;
  const rows = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where(inWorkspace(ws))
    .where("kind", "=", "http")
    .$if(status !== undefined, (qb) => qb.where("status", "=", status as EndpointStatus))
    .$if(startingAfter !== undefined, (qb) => qb.where("id", "<", startingAfter as string))
    .orderBy("id", "desc")
    .limit(fetchSizeFor(limit))
    .execute();
  return toPage(rows.map(toEndpoint), limit);
}

/** Every endpoint of the workspace, oldest first: the candidates for a publish fan-out. */
export async function listWorkspaceEndpoints(
  db: Kysely<Database>,
  dialect: DialectSupport,
  ws: Workspace,
): Promise<EndpointRow[]> {
  const rows = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where(inWorkspace(ws))
    .orderBy("id")
    // A concurrent delete then waits for the publish to commit (and cascades to its new events)
    // instead of making the event insert fail on the foreign key. FOR KEY SHARE does not block
    // updates of non-key columns, so a PATCH or a delivery running alongside is not held up.
    .$if(dialect.supportsRowLocks, (qb) => qb.forKeyShare())
    .execute();
  return rows.map(toEndpoint);
}

/**
 * Applies a partial update. Disabling parks the endpoint's scheduled events (they keep their due
 * times but leave the queue, so a large paused backlog costs the claim query nothing); re-enabling
 * puts them back, so overdue ones go out at once. Disabling without a reason records a manual pause.
 */
export async function updateEndpoint(
  db: Kysely<Database>,
  ws: Workspace,
  id: string,
  patch: EndpointPatch,
): Promise<EndpointRow | undefined> {
  const set: Updateable<WebhookEndpointsTable> = { updated_at: patch.now };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
  if (patch.disabledReason !== undefined) set.disabled_reason = patch.disabledReason;
  if (patch.status === "active") {
    set.status = "active";
    set.disabled_reason = null;
  } else if (patch.status === "disabled") {
    set.status = "disabled";
    set.disabled_reason = patch.disabledReason ?? "manual";
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("webhook_endpoints")
      .set(set)
      .where("id", "=", id)
      .where(inWorkspace(ws))
      .returningAll()
      .executeTakeFirst();
    if (row && patch.status === "disabled") await parkEvents(trx, id);
    if (row && patch.status === "active") await unparkEvents(trx, id);
    return row && toEndpoint(row);
  });
}

export async function rotateSecret(
  db: Kysely<Database>,
  ws: Workspace,
  id: string,
  rotation: SecretRotation,
): Promise<EndpointRow | undefined> {
  const row = await db
    .updateTable("webhook_endpoints")
    .set({
      secret_ciphertext: rotation.secretCiphertext,
      previous_secret_ciphertext: rotation.previousSecretCiphertext,
      previous_secret_expires_at: rotation.previousSecretExpiresAt,
      updated_at: rotation.now,
    })
    .where("id", "=", id)
    .where(inWorkspace(ws))
    .returningAll()
    .executeTakeFirst();
  return row && toEndpoint(row);
}

/**
 * Deletes the endpoint and its history in one transaction. The foreign keys cascade too, but the
 * explicit deletes keep that true even on a SQLite connection opened without `foreign_keys=ON`.
 * Attempts carry no mode, so ownership is checked on the endpoint first: deleting by
 * `endpoint_id` alone is only safe once the endpoint is known to be this workspace's.
 */
export async function deleteEndpoint(
  db: Kysely<Database>,
  dialect: DialectSupport,
  ws: Workspace,
  id: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const owned = await trx
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("id", "=", id)
      .where(inWorkspace(ws))
      // Publishes lock endpoints FOR KEY SHARE; taking the row lock first makes one wait for the other.
      .$if(dialect.supportsRowLocks, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (owned === undefined) return false;
    await trx.deleteFrom("event_attempts").where("endpoint_id", "=", id).execute();
    await trx.deleteFrom("events").where("endpoint_id", "=", id).execute();
    await trx.deleteFrom("webhook_endpoints").where("id", "=", id).execute();
    return true;
  });
}
