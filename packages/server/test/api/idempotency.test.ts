import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";
import { rawDb } from "../support/store-fixtures.js";

/** `Idempotency-Key` on the POST routes besides publishing: a client may retry any POST whose answer it lost. */
describeEachDatabase("Idempotency-Key on other POST routes", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let key: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db);
    key = await api.mintKey("idempotent-org");
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  const post = (path: string, body: unknown, idempotencyKey?: string) =>
    api.request("POST", path, { key, body, ...(idempotencyKey !== undefined && { headers: { "Idempotency-Key": idempotencyKey } }) });
  const endpointCount = async () => (await api.request("GET", "/webhooks?limit=100", { key })).body.data.length as number;

  test("a retried create answers the first endpoint and its secret, and registers nothing more", async () => {
    const before = await endpointCount();
    const body = { url: "https://hooks.example.com/idempotent", events: ["*"] };
    const first = await post("/webhooks", body, "create-1");
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const retried = await post("/webhooks", body, "create-1");
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expect(await endpointCount()).toBe(before + 1);
    // The kept answer holds the secret, so it is stored sealed.
    const stored = await rawDb(db.store).selectFrom("idempotency_keys").select("response").where("key", "=", "create-1").executeTakeFirstOrThrow();
    expect(stored.response).not.toContain(first.body.secret);
    // Without a key, the same request creates again.
    expect((await post("/webhooks", body)).body.id).not.toBe(first.body.id);
  });

  test("a retried rotation answers the same new secret and rotates once", async () => {
    const created = await post("/webhooks", { url: "https://hooks.example.com/rotate", events: ["*"] });
    const first = await post(`/webhooks/${created.body.id}/rotate-secret`, { expires_in: 0 }, "rotate-1");
    expect(first.status).toBe(200);
    const retried = await post(`/webhooks/${created.body.id}/rotate-secret`, { expires_in: 0 }, "rotate-1");
    expect(retried.body.secret).toBe(first.body.secret);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    // A second rotation (a new key) replaces that secret: the first one did not rotate twice.
    const next = await post(`/webhooks/${created.body.id}/rotate-secret`, { expires_in: 0 }, "rotate-2");
    expect(next.body.secret).not.toBe(first.body.secret);
  });

  test("an answered error is replayed too; a key used with another request is a 409; a malformed key is a 400", async () => {
    const missing = await post("/webhooks/wh_01J9YR9N3X4VZ6P2K5RH7M3LMP/rotate-secret", {}, "missing-1");
    expect(missing.status).toBe(404);
    const again = await post("/webhooks/wh_01J9YR9N3X4VZ6P2K5RH7M3LMP/rotate-secret", {}, "missing-1");
    expect(again.status).toBe(404);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.error).toMatchObject({ ...missing.body.error, request_id: expect.any(String) });

    await post("/webhooks", { url: "https://hooks.example.com/k", events: ["*"] }, "reused");
    for (const [path, body] of [
      ["/webhooks", { url: "https://hooks.example.com/other", events: ["*"] }],
      ["/webhooks/wh_01J9YR9N3X4VZ6P2K5RH7M3LMP/recover", { since: new Date(Date.now() - 60_000).toISOString() }],
    ] as const) {
      const conflict = await post(path, body, "reused");
      expect(conflict.status).toBe(409);
      expect(conflict.body.error).toMatchObject({ type: "conflict_error", code: "resource_conflict" });
    }
    // Publishing shares the keys: its own check finds the key taken by another request.
    const publish = await api.request("POST", "/events", { key, body: { type: "records.sync.completed", data: { object: {} } }, headers: { "Idempotency-Key": "reused" } });
    expect(publish.status).toBe(409);

    const malformed = await post("/webhooks", { url: "https://hooks.example.com/m", events: ["*"] }, "has space");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "invalid_data", param: "Idempotency-Key" });
  });

  test("keys belong to a workspace: another organization's request with the same key runs on its own", async () => {
    const other = await api.mintKey("idempotent-other-org");
    const body = { url: "https://hooks.example.com/shared-key", events: ["*"] };
    const mine = await post("/webhooks", body, "shared-key");
    const theirs = await api.request("POST", "/webhooks", { key: other, body, headers: { "Idempotency-Key": "shared-key" } });
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });
});
