import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../../test/support/databases.js";
import { newWorkspace } from "../../../test/support/store-fixtures.js";

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;

/** Keys of POST requests other than a publish: taken first, answered after the request's own work. */
describeEachDatabase("store request idempotency keys", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const claim = (key: string, fingerprint = "fp-a", expiresAt = T0 + DAY) => ({ key, fingerprint, expiresAt });

  test("taken, then in progress until answered, then replayed; another request's fingerprint is a conflict", async () => {
    const ws = await newWorkspace(db.store);
    expect(await db.store.claimRequestKey(ws, claim("k1"), T0, T0 - 60_000)).toEqual({ kind: "claimed" });
    expect(await db.store.claimRequestKey(ws, claim("k1"), T0 + 1_000, T0 - 59_000)).toEqual({ kind: "in_progress" });
    expect(await db.store.claimRequestKey(ws, claim("k1", "fp-b"), T0 + 1_000, T0 - 59_000)).toEqual({ kind: "conflict" });
    await db.store.recordRequestResponse(ws, claim("k1"), "sealed-answer");
    expect(await db.store.claimRequestKey(ws, claim("k1"), T0 + 2_000, T0 - 58_000)).toEqual({ kind: "replay", response: "sealed-answer" });
    // Recorded once: a late second record of the same key changes nothing.
    await db.store.recordRequestResponse(ws, claim("k1"), "other-answer");
    expect(await db.store.claimRequestKey(ws, claim("k1"), T0 + 3_000, T0 - 57_000)).toEqual({ kind: "replay", response: "sealed-answer" });
  });

  test("an unanswered key is taken over by the same request once stale, never by another; an expired one by anyone", async () => {
    const ws = await newWorkspace(db.store);
    await db.store.claimRequestKey(ws, claim("k2"), T0, T0 - 60_000);
    // Its process died before answering: after the takeover time the same request runs again.
    expect(await db.store.claimRequestKey(ws, claim("k2", "fp-b"), T0 + 61_000, T0 + 1_000)).toEqual({ kind: "conflict" });
    expect(await db.store.claimRequestKey(ws, claim("k2"), T0 + 61_000, T0 + 1_000)).toEqual({ kind: "claimed" });
    await db.store.recordRequestResponse(ws, claim("k2"), "answer");
    expect(await db.store.claimRequestKey(ws, claim("k2", "fp-b", T0 + 3 * DAY), T0 + DAY, T0 + DAY - 60_000)).toEqual({ kind: "claimed" });
  });

  test("a released key is free again; keys are per workspace", async () => {
    const ws = await newWorkspace(db.store);
    const other = await newWorkspace(db.store);
    await db.store.claimRequestKey(ws, claim("k3"), T0, T0 - 60_000);
    expect(await db.store.claimRequestKey(other, claim("k3", "fp-other"), T0, T0 - 60_000)).toEqual({ kind: "claimed" });
    await db.store.releaseRequestKey(ws, claim("k3"));
    expect(await db.store.claimRequestKey(ws, claim("k3", "fp-b"), T0 + 1, T0 - 59_999)).toEqual({ kind: "claimed" });
  });
});
