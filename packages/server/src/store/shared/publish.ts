import type { Kysely } from "kysely";
import type { EndpointRow, NewEvent, PublishInput, PublishResult, Workspace } from "../store.js";
import type { DialectSupport } from "./dialect-support.js";
import { listWorkspaceEndpoints } from "./endpoints.js";
import { findEventsByIds, insertEvents } from "./events.js";
import { inGroupCommit } from "./group-commit.js";
import { claimIdempotencyKey, MAX_CLAIM_TRIES, readIdempotencyRecord, recordIdempotentResult } from "./idempotency.js";
import type { Database } from "./schema.js";

/**
 * Publishes one fact in one transaction: the idempotency check, the fan-out to every subscribed
 * endpoint (active and disabled; `buildEvents` decides what each gets), the event rows and the
 * idempotency record commit together or not at all. Where the database has one writer (SQLite),
 * publishes that arrive together share a commit, each in a savepoint of its own.
 */
export async function publish(
  db: Kysely<Database>,
  dialect: DialectSupport,
  ws: Workspace,
  input: PublishInput,
): Promise<PublishResult> {
  const work = (trx: Kysely<Database>) => publishIn(trx, dialect, ws, input);
  return dialect.hasOneWriter ? inGroupCommit(db, work) : db.transaction().execute(work);
}

async function publishIn(trx: Kysely<Database>, dialect: DialectSupport, ws: Workspace, input: PublishInput): Promise<PublishResult> {
  const idempotency = input.idempotency;
  if (idempotency !== undefined) {
    const earlier = await claimOrReadKey(trx, ws, idempotency, input.now);
    if (earlier !== undefined) {
      if (earlier.fingerprint !== idempotency.fingerprint) return { kind: "idempotency_conflict" };
      return { kind: "replayed", events: await findEventsByIds(trx, ws, earlier.eventIds) };
    }
  }

  const endpoints = (await listWorkspaceEndpoints(trx, dialect, ws)).filter((e) =>
    subscribesTo(e, input.type),
  );
  const newEvents = input.buildEvents(endpoints);
  assertForEndpoints(newEvents, endpoints);
  const events = await insertEvents(trx, dialect, ws, newEvents);
  if (events.some((e) => e.nextAttemptAt !== null)) await dialect.notifyDue(trx);

  if (idempotency !== undefined) {
    await recordIdempotentResult(
      trx,
      ws,
      idempotency.key,
      events.map((e) => e.id),
    );
  }
  return { kind: "created", events };
}

/** Undefined when this transaction now owns the key; otherwise what the first request recorded. */
async function claimOrReadKey(
  trx: Kysely<Database>,
  ws: Workspace,
  idempotency: NonNullable<PublishInput["idempotency"]>,
  now: number,
) {
  for (let tries = 0; tries < MAX_CLAIM_TRIES; tries++) {
    if (await claimIdempotencyKey(trx, ws, idempotency, now)) return undefined;
    const earlier = await readIdempotencyRecord(trx, ws, idempotency.key);
    if (earlier !== undefined) return earlier;
  }
  throw new Error(`Idempotency key could not be claimed or read after ${MAX_CLAIM_TRIES} tries`);
}

// Subscriptions are a JSON list of at most a handful of types and an organization has at most a
// few endpoints, so matching in code is simpler than dialect-specific JSON operators and as fast.
function subscribesTo(endpoint: EndpointRow, type: string): boolean {
  return endpoint.events.includes("*") || endpoint.events.includes(type);
}

// The domain builds the rows; this guard keeps a bug there from writing a record that points at an
// endpoint of another workspace, which the foreign key alone would accept.
function assertForEndpoints(events: NewEvent[], endpoints: EndpointRow[]): void {
  const ids = new Set(endpoints.map((e) => e.id));
  const stray = events.find((e) => !ids.has(e.endpointId));
  if (stray !== undefined) {
    throw new Error(`buildEvents returned event ${stray.id} for endpoint ${stray.endpointId}, which was not offered`);
  }
}
