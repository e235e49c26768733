import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/databases.js";
import { startReceiver, type TestReceiver } from "../support/receiver.js";
import { startTestService, type TestService } from "../support/service.js";
import { waitUntil } from "../support/wait.js";

/**
 * DNS rebinding: names that resolved to public addresses at registration point inside when the
 * delivery engine connects. The connect-time guard checks the address actually dialed.
 */
describe("SSRF guard at connection time", () => {
  let db: TestDatabase;
  let api: TestService;
  let receiver: TestReceiver;
  beforeAll(async () => {
    db = await createTestDatabase("sqlite");
    api = await startTestService(db, { MEDBLOCKS_ROLE: "all", MEDBLOCKS_LIVE_PUBLISH: "true", MEDBLOCKS_RETRY_SCHEDULE: "0,10m" });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await db?.dispose();
  });

  test.each(["rebind-loopback.example.com", "rebind-private.example.com"])("a live endpoint at %s is blocked, not dialed", async (host) => {
    const key = await api.mintKey(`ssrf-${host}`, "live");
    const created = await api.request("POST", "/webhooks", { key, body: { url: `https://${host}:${receiver.port}/hook`, events: ["*"] } });
    expect(created.status).toBe(200);
    const published = await api.request("POST", "/events", { key, body: { type: "records.sync.failed", data: { object: { error_message: "x" } } } });
    const id = published.body.data[0].id;
    const [attempt] = await waitUntil(async () => {
      const log = (await api.request("GET", `/events/${id}/attempts`, { key })).body.data;
      return log.length > 0 ? log : null;
    });
    expect(attempt).toMatchObject({ outcome: "blocked", status_code: null });
    expect(attempt.error).toMatch(/loopback|private/);
    expect(receiver.requests).toHaveLength(0);
  });
});
