import { CompiledQuery, sql, type Kysely } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { addEndpoint, newWorkspace, publishCreated, rawDb, testId } from "../../../test/support/store-fixtures.js";
import { waitUntil } from "../../../test/support/wait.js";
import type { ClaimedEvent, CompleteAttemptInput, EndpointRow, EventRow, Workspace } from "../store.js";
import { postgresSupport } from "../postgres/postgres-store.js";
import { sqliteSupport } from "../sqlite/sqlite-store.js";
import { COMPLETION_BATCH_LIMIT, completeAttempts, fencedOutcomes, outcomeRow, unparkEvents } from "./delivery.js";
import type { Database } from "./schema.js";

const T0 = 1_750_000_000_000;
const LEASE_MS = 60_000;
/** What recording an attempt answers: written or fenced out, and whether it disabled the endpoint. */
const RECORDED = { recorded: true, endpointDisabled: false };
const FENCED_OUT = { recorded: false, endpointDisabled: false };
const DISABLED_IT = { recorded: true, endpointDisabled: true };

/** The queue verbs: claiming under a lease, and completing attempts fenced by it, one or many at once. */
describeEachDatabase("store delivery", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** A workspace with `endpoints` endpoints and `perEndpoint` due events each (due at T0). */
  async function queue(endpoints: number, perEndpoint: number) {
    const ws = await newWorkspace(db.store);
    const rows: EndpointRow[] = [];
    for (let i = 0; i < endpoints; i++) rows.push(await addEndpoint(db.store, ws));
    const events: EventRow[] = [];
    for (let i = 0; i < perEndpoint; i++) events.push(...(await publishCreated(db.store, ws, "records.sync.completed", { now: T0 })));
    return { ws, endpoints: rows, events };
  }

  /** Claims every due event of the workspace's endpoints (other tests' events stay due elsewhere). */
  async function claimAll(ws: Workspace, owner: string, count: number, now = T0 + 1_000): Promise<ClaimedEvent[]> {
    const claims = await db.store.claimDue({ owner, limit: 10_000, leaseMs: LEASE_MS, now, excludeEndpointIds: [] });
    const mine = claims.filter((c) => c.event.organizationId === ws.organizationId);
    // Give back what belongs to other tests' workspaces, untouched.
    const others = claims.filter((c) => c.event.organizationId !== ws.organizationId).map((c) => c.event.id);
    await db.store.releaseClaims(owner, others, T0);
    expect(mine).toHaveLength(count);
    return mine;
  }

  function delivered(claim: ClaimedEvent, owner: string, at = T0 + 2_000, overrides: Partial<CompleteAttemptInput> = {}): CompleteAttemptInput {
    return {
      owner,
      leaseExpiresAt: claim.leaseExpiresAt,
      eventId: claim.event.id,
      attempt: { id: testId("att"), startedAt: at, durationMs: 7, statusCode: 200, outcome: "delivered", error: null, responseBody: "ok" },
      nextAttemptAt: null,
      deliveredAt: at + 7,
      exhaustedAt: null,
      ...overrides,
    };
  }

  function failed(claim: ClaimedEvent, owner: string, statusCode: number, overrides: Partial<CompleteAttemptInput> = {}): CompleteAttemptInput {
    return delivered(claim, owner, T0 + 2_000, {
      attempt: { id: testId("att"), startedAt: T0 + 2_000, durationMs: 9, statusCode, outcome: "http_error", error: null, responseBody: "nope" },
      nextAttemptAt: T0 + 62_000,
      deliveredAt: null,
      ...overrides,
    });
  }

  const attemptsOf = (eventId: string) =>
    rawDb(db.store).selectFrom("event_attempts").selectAll().where("event_id", "=", eventId).orderBy("id").execute();
  const rowOf = (eventId: string) => rawDb(db.store).selectFrom("events").selectAll().where("id", "=", eventId).executeTakeFirstOrThrow();

  test("a claim leases due events and moves their due time to the lease's end", async () => {
    const { ws, events, endpoints } = await queue(2, 2);
    const claims = await claimAll(ws, "w1", 4);
    expect(new Set(claims.map((c) => c.event.id))).toEqual(new Set(events.map((e) => e.id)));
    for (const claim of claims) {
      expect(claim.leaseExpiresAt).toBe(T0 + 1_000 + LEASE_MS);
      expect(claim.endpoint.id).toBe(claim.event.endpointId);
      expect(endpoints.map((e) => e.id)).toContain(claim.endpoint.id);
      expect(await rowOf(claim.event.id)).toMatchObject({ lease_owner: "w1", lease_expires_at: claim.leaseExpiresAt, next_attempt_at: claim.leaseExpiresAt });
    }
    // Leased events are not due again until the lease runs out; then they are (the reaper).
    expect((await db.store.claimDue({ owner: "w2", limit: 100, leaseMs: LEASE_MS, now: T0 + 2_000, excludeEndpointIds: [] })).filter((c) => c.event.organizationId === ws.organizationId)).toEqual([]);
    const retaken = await claimAll(ws, "w2", 4, T0 + 1_000 + LEASE_MS);
    expect(retaken.every((c) => c.leaseExpiresAt === T0 + 1_000 + 2 * LEASE_MS)).toBe(true);
  });

  test("completing records the attempt and the outcome; a stale owner or lease records nothing", async () => {
    const { ws } = await queue(1, 1);
    const [claim] = await claimAll(ws, "w1", 1);
    expect(await db.store.completeAttempt(delivered(claim!, "someone-else"))).toEqual(FENCED_OUT);
    expect(await db.store.completeAttempt({ ...delivered(claim!, "w1"), leaseExpiresAt: claim!.leaseExpiresAt - 1 })).toEqual(FENCED_OUT);
    expect(await attemptsOf(claim!.event.id)).toEqual([]);
    expect(await rowOf(claim!.event.id)).toMatchObject({ attempts: 0, lease_owner: "w1", delivered_at: null });

    expect(await db.store.completeAttempt(delivered(claim!, "w1"))).toEqual(RECORDED);
    expect(await rowOf(claim!.event.id)).toMatchObject({
      attempts: 1,
      scheduled_attempts: 1,
      delivered_at: T0 + 2_007,
      next_attempt_at: null,
      parked_at: null,
      last_status_code: 200,
      last_response_body: "ok",
      lease_owner: null,
      lease_expires_at: null,
    });
    const [attempt] = await attemptsOf(claim!.event.id);
    expect(attempt).toMatchObject({ attempt: 1, trigger: "automatic", outcome: "delivered", status_code: 200, duration_ms: 7, response_body: "ok", endpoint_id: claim!.endpoint.id });
    // The lease is gone with the attempt: the same claim cannot complete twice.
    expect(await db.store.completeAttempt(delivered(claim!, "w1"))).toEqual(FENCED_OUT);
    expect(await attemptsOf(claim!.event.id)).toHaveLength(1);
  });

  test("attempts completed together are written together, each with its own outcome", async () => {
    const { ws } = await queue(4, 10);
    const claims = await claimAll(ws, "w1", 40);
    const inputs = claims.map((claim, i) =>
      i % 5 === 0 ? failed(claim, "w1", 503) : i % 7 === 0 ? delivered(claim, "stale-owner") : delivered(claim, "w1", T0 + 3_000 + i),
    );
    const results = await Promise.all(inputs.map((input) => db.store.completeAttempt(input)));
    expect(results).toEqual(inputs.map((input) => (input.owner === "w1" ? RECORDED : FENCED_OUT)));

    for (const [i, claim] of claims.entries()) {
      const row = await rowOf(claim.event.id);
      const attempts = await attemptsOf(claim.event.id);
      if (inputs[i]!.owner !== "w1") {
        expect(row).toMatchObject({ attempts: 0, lease_owner: "w1", delivered_at: null });
        expect(attempts).toEqual([]);
      } else if (i % 5 === 0) {
        expect(row).toMatchObject({ attempts: 1, delivered_at: null, next_attempt_at: T0 + 62_000, last_status_code: 503, last_response_body: "nope", lease_owner: null });
        expect(attempts).toMatchObject([{ attempt: 1, outcome: "http_error", status_code: 503 }]);
      } else {
        expect(row).toMatchObject({ attempts: 1, delivered_at: T0 + 3_007 + i, next_attempt_at: null, last_status_code: 200, lease_owner: null });
        expect(attempts).toMatchObject([{ attempt: 1, outcome: "delivered", started_at: T0 + 3_000 + i }]);
      }
    }
  });

  // SQLite only (registered there alone, not skipped on PostgreSQL, whose planner picks its own order).
  if (kind === "sqlite") {
    test("SQLite records a batch of any size by passing over it once and finding each event by key", async () => {
      const { ws } = await queue(2, 3);
      const claims = await claimAll(ws, "w1", 6);
      for (const size of [1, 6, COMPLETION_BATCH_LIMIT]) {
        const batch = Array.from({ length: size }, (_, i) => delivered(claims[i % claims.length]!, "w1"));
        const compiled = fencedOutcomes.compile(rawDb(db.store), sqliteSupport, batch.map(outcomeRow));
        const steps = (await rawDb(db.store).executeQuery(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]))).rows as { detail: string }[];
        const details = steps.map((step) => step.detail);
        expect(details, `batch of ${size}`).toContain("SCAN v");
        expect(details.indexOf("SCAN v"), `batch of ${size}`).toBeLessThan(details.findIndex((d) => d.startsWith("SEARCH events USING INDEX")));
        expect(details.filter((d) => d.startsWith("SCAN") && d !== "SCAN v" && !d.includes("CONSTANT ROW")), `batch of ${size}`).toEqual([]);
      }
    });

    // SQLite's update runs OR FAIL (no statement journal), which leaves the rows before a failing
    // one written: only the transaction's rollback may undo them.
    test("SQLite: a batch whose update fails partway leaves every event and the attempt log as they were", async () => {
      const { ws } = await queue(1, 3);
      const claims = (await claimAll(ws, "w1", 3)).sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
      const refused = claims[1]!.event.id;
      const trigger = sql.raw(`create temp trigger refuse_one before update on events when old.id = '${refused}' begin select raise(fail, 'refused by the test'); end`);
      await trigger.execute(rawDb(db.store));
      try {
        await expect(completeAttempts(rawDb(db.store), sqliteSupport, claims.map((claim) => delivered(claim, "w1")))).rejects.toThrow("refused by the test");
      } finally {
        await sql`drop trigger if exists temp.refuse_one`.execute(rawDb(db.store));
      }
      for (const claim of claims) {
        expect(await rowOf(claim.event.id)).toMatchObject({ attempts: 0, delivered_at: null, lease_owner: "w1" });
        expect(await attemptsOf(claim.event.id)).toEqual([]);
      }
    });
  }

  // PostgreSQL only: row locks, and statements that wait for them.
  if (kind === "postgres") {
    /** Runs `lock` in a transaction on a connection of its own, and keeps it open until `commit`. */
    async function holdTransaction(lock: (trx: Kysely<Database>) => Promise<unknown>) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: (pid: number) => void;
      const held = new Promise<number>((resolve) => (holding = resolve));
      const done = rawDb(db.store)
        .transaction()
        .execute(async (trx) => {
          await lock(trx);
          holding((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid);
          await released;
        });
      const pid = await Promise.race([held, done.then(() => -1)]);
      return {
        pid,
        commit: async () => {
          release();
          await done;
        },
      };
    }

    /** Resolves once `count` statements wait for the transaction on backend `pid`, directly or behind one another. */
    const waitForWaiters = (pid: number, count: number) =>
      waitUntil(
        async () => {
          const { rows } = await sql<{ n: number }>`
            with recursive waiting (pid) as (
              select pid from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))
              union
              select a.pid from pg_stat_activity as a inner join waiting on waiting.pid = any(pg_blocking_pids(a.pid)))
            select count(*) as n from waiting`.execute(rawDb(db.store));
          return Number(rows[0]!.n) >= count;
        },
        5_000,
        10,
      );

    test("PostgreSQL: an attempt recorded while a resume commits finds its event as the resume left it, and schedules it", async () => {
      const { ws, endpoints } = await queue(1, 1);
      const [claim] = await claimAll(ws, "w1", 1);
      const endpointId = endpoints[0]!.id;
      await db.store.updateEndpoint(ws, endpointId, { status: "disabled", now: T0 + 1_100 });
      expect(await rowOf(claim!.event.id)).toMatchObject({ next_attempt_at: null, parked_at: claim!.leaseExpiresAt });
      // The resume's statements (those of updateEndpoint), held open: the recording starts meanwhile
      // and waits for the event row (it once took parking from the endpoint, read as disabled).
      const resume = await holdTransaction(async (trx) => {
        await trx.updateTable("webhook_endpoints").set({ status: "active", disabled_reason: null }).where("id", "=", endpointId).execute();
        await unparkEvents(trx, endpointId);
      });
      const recording = db.store.completeAttempt(failed(claim!, "w1", 500));
      await waitForWaiters(resume.pid, 1);
      await resume.commit();
      expect(await recording).toEqual(RECORDED);
      expect(await rowOf(claim!.event.id)).toMatchObject({ attempts: 1, next_attempt_at: T0 + 62_000, parked_at: null, lease_owner: null });
    });

    test("PostgreSQL: a manual attempt recorded while its endpoint is being deleted does not deadlock with the delete", async () => {
      const { ws, endpoints, events } = await queue(1, 1);
      const eventId = events[0]!.id;
      // Holds the event row, so that the recording and the delete both reach it and wait there.
      const holder = await holdTransaction((trx) => trx.selectFrom("events").select("id").where("id", "=", eventId).forUpdate().execute());
      const manual = db.store.recordManualAttempt(ws, eventId, { id: testId("att"), startedAt: T0 + 1_500, durationMs: 5, statusCode: 200, outcome: "delivered", error: null, responseBody: "ok" });
      await waitForWaiters(holder.pid, 1);
      const deletion = db.store.deleteEndpoint(ws, endpoints[0]!.id);
      await waitForWaiters(holder.pid, 2);
      await holder.commit();
      // The recording took the endpoint's lock before the event's, as the delete does: the delete
      // waited for it (it once locked the endpoint only for the attempt log, after the event, while
      // the delete held the endpoint and waited for the event, and PostgreSQL failed one of them).
      expect(await manual).toMatchObject({ endpointDisabled: false, event: { id: eventId, attempts: 1, deliveredAt: T0 + 1_505 } });
      expect(await deletion).toBe(true);
      expect(await db.store.findEvent(ws, eventId)).toBeUndefined();
      expect(await attemptsOf(eventId)).toEqual([]);
    });

    test("PostgreSQL: two batches disabling one endpoint at the same moment do not deadlock; the second waits for the first", async () => {
      const { ws, endpoints } = await queue(1, 2);
      const claims = await claimAll(ws, "w1", 2);
      // Holds both events, so that both recordings have locked what they lock first when it lets go.
      const holder = await holdTransaction((trx) =>
        trx.selectFrom("events").select("id").where("id", "in", claims.map((c) => c.event.id)).forUpdate().execute(),
      );
      const dialect = postgresSupport(undefined);
      const recordings = claims.map((claim) => completeAttempts(rawDb(db.store), dialect, [failed(claim, "w1", 410, { disableEndpoint: "gone" })]));
      await waitForWaiters(holder.pid, 2);
      await holder.commit();
      // Both are recorded; whichever committed first disabled the endpoint.
      const recorded = (await Promise.all(recordings)).flat();
      expect(recorded.map((r) => r.recorded)).toEqual([true, true]);
      expect(recorded.filter((r) => r.endpointDisabled)).toHaveLength(1);
      expect(await db.store.findEndpoint(ws, endpoints[0]!.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
      for (const claim of claims) expect(await rowOf(claim.event.id)).toMatchObject({ attempts: 1, next_attempt_at: null, parked_at: T0 + 62_000 });
    });
  }

  test("more completions than one batch holds are all recorded", async () => {
    const { ws } = await queue(4, Math.ceil((COMPLETION_BATCH_LIMIT * 2 + 10) / 4));
    const claims = await claimAll(ws, "w1", Math.ceil((COMPLETION_BATCH_LIMIT * 2 + 10) / 4) * 4);
    const results = await Promise.all(claims.map((claim) => db.store.completeAttempt(delivered(claim, "w1"))));
    expect(results.every((result) => result.recorded)).toBe(true);
    const counts = await rawDb(db.store)
      .selectFrom("events")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("organization_id", "=", ws.organizationId)
      .where("delivered_at", "is not", null)
      .where("attempts", "=", 1)
      .executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(claims.length);
  });

  test("an attempt that disables its endpoint parks the endpoint's other events, those later in its batch too", async () => {
    const { ws, endpoints } = await queue(2, 3);
    const claims = await claimAll(ws, "w1", 6);
    const [gone, other] = endpoints;
    const ofGone = claims.filter((c) => c.endpoint.id === gone!.id);
    const ofOther = claims.filter((c) => c.endpoint.id === other!.id);
    // One batch: a 500 for the endpoint, then its 410, then a last attempt that exhausts an event
    // (which would disable it too, had the 410 not come first), and the other endpoint's events.
    const batch = [
      failed(ofGone[0]!, "w1", 500),
      failed(ofGone[1]!, "w1", 410, { disableEndpoint: "gone" }),
      failed(ofGone[2]!, "w1", 500, { nextAttemptAt: null, exhaustedAt: T0 + 2_009, disableEndpoint: "exhausted" }),
      ...ofOther.map((c) => delivered(c, "w1")),
    ];
    const dialect = kind === "postgres" ? postgresSupport(undefined) : sqliteSupport;
    // The 410 disabled it; the exhausting attempt after it found it disabled already.
    expect(await completeAttempts(rawDb(db.store), dialect, batch)).toEqual([RECORDED, DISABLED_IT, RECORDED, RECORDED, RECORDED, RECORDED]);

    expect(await db.store.findEndpoint(ws, gone!.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
    // Paused, each keeping the due time its failure gave it; the exhausted one has none.
    for (const claim of ofGone.slice(0, 2)) {
      expect(await rowOf(claim.event.id)).toMatchObject({ attempts: 1, next_attempt_at: null, parked_at: T0 + 62_000, lease_owner: null });
    }
    expect(await rowOf(ofGone[2]!.event.id)).toMatchObject({ attempts: 1, next_attempt_at: null, parked_at: null, exhausted_at: T0 + 2_009 });
    expect(await db.store.findEndpoint(ws, other!.id)).toMatchObject({ status: "active" });
    for (const claim of ofOther) expect(await rowOf(claim.event.id)).toMatchObject({ delivered_at: T0 + 2_007 });

    // Resuming puts them back in the queue at their old due times.
    await db.store.updateEndpoint(ws, gone!.id, { status: "active", now: T0 + 70_000 });
    for (const claim of ofGone.slice(0, 2)) expect(await rowOf(claim.event.id)).toMatchObject({ next_attempt_at: T0 + 62_000, parked_at: null });
  });

  test("attempts completed after their endpoint was disabled park instead of being scheduled", async () => {
    const { ws, endpoints } = await queue(1, 3);
    const claims = await claimAll(ws, "w1", 3);
    expect(await db.store.completeAttempt(failed(claims[0]!, "w1", 410, { disableEndpoint: "gone" }))).toEqual(DISABLED_IT);
    const later = await Promise.all([
      db.store.completeAttempt(failed(claims[1]!, "w1", 500)),
      db.store.completeAttempt(failed(claims[2]!, "w1", 500, { nextAttemptAt: null, exhaustedAt: T0 + 2_009, disableEndpoint: "exhausted" })),
    ]);
    expect(later).toEqual([RECORDED, RECORDED]);
    expect(await db.store.findEndpoint(ws, endpoints[0]!.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
    expect(await rowOf(claims[1]!.event.id)).toMatchObject({ attempts: 1, next_attempt_at: null, parked_at: T0 + 62_000 });
    expect(await rowOf(claims[2]!.event.id)).toMatchObject({ attempts: 1, next_attempt_at: null, parked_at: null, exhausted_at: T0 + 2_009 });
  });

  test("an event a manual redelivery delivered meanwhile is not scheduled again by a failed automatic attempt", async () => {
    const { ws } = await queue(1, 1);
    const [claim] = await claimAll(ws, "w1", 1);
    await db.store.recordManualAttempt(ws, claim!.event.id, { id: testId("att"), startedAt: T0 + 1_500, durationMs: 5, statusCode: 204, outcome: "delivered", error: null, responseBody: "" });
    expect(await db.store.completeAttempt(failed(claim!, "w1", 500))).toEqual(RECORDED);
    expect(await rowOf(claim!.event.id)).toMatchObject({ attempts: 2, delivered_at: T0 + 1_505, next_attempt_at: null, parked_at: null, last_status_code: 500 });
    expect((await attemptsOf(claim!.event.id)).map((a) => [a.attempt, a.trigger])).toEqual([
      [1, "manual"],
      [2, "automatic"],
    ]);
  });

  test("a failed last attempt of an event a manual redelivery delivered meanwhile exhausts nothing and disables nothing; a 410 still disables", async () => {
    const { ws, endpoints } = await queue(2, 1);
    const claims = await claimAll(ws, "w1", 2);
    const [last, gone] = endpoints.map((endpoint) => claims.find((c) => c.endpoint.id === endpoint.id)!);
    for (const claim of [last!, gone!]) {
      await db.store.recordManualAttempt(ws, claim.event.id, { id: testId("att"), startedAt: T0 + 1_500, durationMs: 5, statusCode: 200, outcome: "delivered", error: null, responseBody: "ok" });
    }
    const exhausting = { nextAttemptAt: null, exhaustedAt: T0 + 2_009 };
    expect(await db.store.completeAttempt(failed(last!, "w1", 500, { ...exhausting, disableEndpoint: "exhausted" }))).toEqual(RECORDED);
    expect(await db.store.completeAttempt(failed(gone!, "w1", 410, { ...exhausting, disableEndpoint: "gone" }))).toEqual(DISABLED_IT);

    expect(await db.store.findEndpoint(ws, last!.endpoint.id)).toMatchObject({ status: "active", disabledReason: null });
    expect(await db.store.findEndpoint(ws, gone!.endpoint.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
    for (const claim of [last!, gone!]) {
      expect(await rowOf(claim.event.id)).toMatchObject({ attempts: 2, delivered_at: T0 + 1_505, exhausted_at: null, next_attempt_at: null, parked_at: null });
      expect((await attemptsOf(claim.event.id)).map((a) => [a.attempt, a.trigger, a.outcome])).toEqual([
        [1, "manual", "delivered"],
        [2, "automatic", "http_error"],
      ]);
    }
  });

  test("a manual attempt answered 410 disables its endpoint and parks its scheduled events, in the same transaction", async () => {
    const { ws, endpoints, events } = await queue(1, 3);
    const gone = { id: testId("att"), startedAt: T0 + 1_500, durationMs: 5, statusCode: 410, outcome: "http_error" as const, error: null, responseBody: "gone" };
    const manual = events[1]!;
    const result = await db.store.recordManualAttempt(ws, manual.id, gone, "gone");
    expect(result?.endpointDisabled).toBe(true);
    // The record returned is the event as parked, not as it was before.
    expect(result?.event).toMatchObject({ id: manual.id, attempts: 1, lastStatusCode: 410, nextAttemptAt: null });
    expect(await db.store.findEndpoint(ws, endpoints[0]!.id)).toMatchObject({ status: "disabled", disabledReason: "gone", updatedAt: T0 + 1_505 });
    // Every scheduled event of the endpoint keeps its due time, parked.
    for (const event of events) expect(await rowOf(event.id)).toMatchObject({ next_attempt_at: null, parked_at: T0 });
    expect((await attemptsOf(manual.id)).map((a) => [a.trigger, a.status_code])).toEqual([["manual", 410]]);

    // A second 410 finds it disabled already: it keeps its reason, and nothing is disabled again.
    const again = await db.store.recordManualAttempt(ws, manual.id, { ...gone, id: testId("att"), startedAt: T0 + 2_500 }, "gone");
    expect(again?.endpointDisabled).toBe(false);
    expect(await db.store.findEndpoint(ws, endpoints[0]!.id)).toMatchObject({ status: "disabled", updatedAt: T0 + 1_505 });
  });

  test("a manual attempt without a reason to disable leaves its endpoint active and its event's schedule as it was", async () => {
    const { ws, endpoints, events } = await queue(1, 1);
    const result = await db.store.recordManualAttempt(ws, events[0]!.id, { id: testId("att"), startedAt: T0 + 1_500, durationMs: 5, statusCode: 500, outcome: "http_error", error: null, responseBody: "" });
    expect(result).toMatchObject({ endpointDisabled: false, event: { attempts: 1, lastStatusCode: 500, nextAttemptAt: T0 } });
    expect(await db.store.findEndpoint(ws, endpoints[0]!.id)).toMatchObject({ status: "active" });
  });

  test("two completions of one event in the same moment: the lease admits exactly one", async () => {
    const { ws } = await queue(1, 1);
    const [claim] = await claimAll(ws, "w1", 1);
    const results = await Promise.all([db.store.completeAttempt(delivered(claim!, "w1")), db.store.completeAttempt(failed(claim!, "w1", 500))]);
    expect(results.filter((result) => result.recorded)).toHaveLength(1);
    expect(await attemptsOf(claim!.event.id)).toHaveLength(1);
    // Whichever got there first is the record; the other left no trace.
    expect(await rowOf(claim!.event.id)).toMatchObject(
      results[0]!.recorded ? { attempts: 1, delivered_at: T0 + 2_007, last_status_code: 200 } : { attempts: 1, delivered_at: null, last_status_code: 500 },
    );
  });

  test("an endpoint deleted while its attempts were in flight: their completions record nothing", async () => {
    const { ws, endpoints } = await queue(2, 2);
    const claims = await claimAll(ws, "w1", 4);
    await db.store.deleteEndpoint(ws, endpoints[0]!.id);
    const results = await Promise.all(claims.map((c) => db.store.completeAttempt(delivered(c, "w1"))));
    expect(results).toEqual(claims.map((c) => (c.endpoint.id !== endpoints[0]!.id ? RECORDED : FENCED_OUT)));
  });
});
