import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Tenant isolation: one workspace's ids answer 404 to every other key, on every route, whether the
 * other key belongs to another organization or to the same organization's other mode.
 */
describeEachDatabase("tenant isolation", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let owner: string;
  let endpointId: string;
  let eventId: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db, { MEDBLOCKS_LIVE_PUBLISH: "true" });
    owner = await api.mintKey("owner-org");
    endpointId = (await api.request("POST", "/webhooks", { key: owner, body: { url: "https://hooks.example.com/o", events: ["*"] } })).body.id;
    const published = await api.request("POST", "/events", { key: owner, body: { type: "records.sync.completed", data: { object: { total: 1 } } } });
    eventId = published.body.data[0].id;
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  const routes = () =>
    [
      ["GET", `/webhooks/${endpointId}`],
      ["PATCH", `/webhooks/${endpointId}`, { description: "taken over" }],
      ["POST", `/webhooks/${endpointId}/rotate-secret`],
      ["GET", `/webhooks/${endpointId}/events`],
      ["GET", `/events/${eventId}`],
      ["GET", `/events/${eventId}/attempts`],
      ["DELETE", `/webhooks/${endpointId}`],
    ] as const;

  test.each([
    ["another organization", "intruder-org", "sandbox"],
    ["the same organization's live mode", "owner-org", "live"],
  ] as const)("%s sees none of the workspace's data", async (_label, organization, mode) => {
    const intruder = await api.mintKey(organization, mode);
    for (const [method, path, body] of routes()) {
      const response = await api.request(method, path, { key: intruder, ...(body && { body }) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe("resource_not_found");
    }
    expect((await api.request("GET", "/webhooks", { key: intruder })).body.data).toEqual([]);
    // Publishing as the intruder reaches none of the owner's endpoints.
    const published = await api.request("POST", "/events", { key: intruder, body: { type: "records.sync.completed", data: { object: {} } } });
    expect(published.body.data).toEqual([]);
    // A cursor from the other workspace leaks nothing either.
    expect((await api.request("GET", `/webhooks?starting_after=${endpointId}`, { key: intruder })).body.data).toEqual([]);
  });

  test("after all that, the owner's endpoint is untouched", async () => {
    const endpoint = await api.request("GET", `/webhooks/${endpointId}`, { key: owner });
    expect(endpoint.status).toBe(200);
    expect(endpoint.body.description).toBeNull();
    expect((await api.request("GET", `/webhooks/${endpointId}/events`, { key: owner })).body.data.map((e: { id: string }) => e.id)).toEqual([eventId]);
  });
});
