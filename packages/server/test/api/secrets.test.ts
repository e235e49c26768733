import { afterAll, beforeAll, expect, test } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

/** SPEC §3: a secret is shown in the create and rotate responses, and nowhere else: no route, no log, no row. */
describeEachDatabase("secrets are shown exactly twice", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db, { LOG_LEVEL: "debug" });
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  test("no response, log line or stored column after create/rotate contains a secret or API key", async () => {
    const key = await api.mintKey("secretive");
    const secrets: string[] = [];
    const created = await api.request("POST", "/webhooks", { key, body: { url: "https://hooks.example.com/s", events: ["*"] } });
    secrets.push(created.body.secret);
    const id = created.body.id;
    const rotated = await api.request("POST", `/webhooks/${id}/rotate-secret`, { key, body: { expires_in: 600 } });
    secrets.push(rotated.body.secret);
    expect(new Set(secrets).size).toBe(2);

    const published = await api.request("POST", "/events", { key, body: { type: "patient_flow.completed", data: { object: { id: "pf_1" } } } });
    const eventId = published.body.data[0].id;
    const responses = [
      published,
      await api.request("GET", `/webhooks/${id}`, { key }),
      await api.request("GET", "/webhooks", { key }),
      await api.request("PATCH", `/webhooks/${id}`, { key, body: { description: "x" } }),
      await api.request("PATCH", `/webhooks/${id}`, { key, body: { url: "nope" } }),
      await api.request("GET", `/webhooks/${id}/events`, { key }),
      await api.request("GET", `/events/${eventId}`, { key }),
      await api.request("GET", `/events/${eventId}/attempts`, { key }),
      await api.request("GET", "/openapi.json", { key: null }),
      await api.request("GET", "/metrics", { key: null }),
    ];
    for (const response of responses) {
      for (const secret of secrets) expect(response.text).not.toContain(secret);
      for (const secret of secrets) expect(response.text).not.toContain(secret.slice(6));
    }
    expect(api.logs.length).toBeGreaterThan(10);
    const logText = api.logs.join("\n");
    for (const secret of [...secrets, key]) {
      expect(logText).not.toContain(secret);
      expect(logText).not.toContain(secret.slice(6));
    }

    // At rest the secret is sealed, never plaintext.
    const ws = { organizationId: (await db.store.findOrganizationByName("secretive"))!.id, mode: "sandbox" as const };
    const row = await db.store.findEndpoint(ws, id);
    const stored = JSON.stringify(row);
    for (const secret of secrets) expect(stored).not.toContain(secret.slice(6));
    if (kind === "sqlite") {
      const path = db.url.slice("sqlite:".length);
      for (const file of [path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))) {
        for (const secret of secrets) expect(file.includes(Buffer.from(secret.slice(6)))).toBe(false);
      }
    }
  });
});
