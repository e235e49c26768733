import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const ENDPOINT_KEYS = ["api_version", "created_at", "description", "events", "id", "metadata", "resource_type", "status", "updated_at", "url"];

describeEachDatabase("webhook endpoints API", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db);
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  const create = (body: unknown, key?: string) => api.request("POST", "/webhooks", { body, ...(key && { key }) });

  test("create returns the endpoint with its secret once; retrieve and list never do", async () => {
    const created = await create({
      url: "https://hooks.example.com/medblocks",
      events: ["patient_flow.completed", "records.sync.failed"],
      description: "prod receiver",
      metadata: { team: "ehr" },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      resource_type: "webhook_endpoint",
      url: "https://hooks.example.com/medblocks",
      events: ["patient_flow.completed", "records.sync.failed"],
      status: "active",
      description: "prod receiver",
      metadata: { team: "ehr" },
      api_version: "2026-04-25",
    });
    expect(created.body.id).toMatch(/^wh_[0-9A-Z]{26}$/);
    expect(created.body.secret).toMatch(SECRET);
    expect(Object.keys(created.body).sort()).toEqual([...ENDPOINT_KEYS, "secret"].sort());
    expect(created.body.created_at).toBe(created.body.updated_at);

    const retrieved = await api.request("GET", `/webhooks/${created.body.id}`);
    expect(retrieved.status).toBe(200);
    expect(Object.keys(retrieved.body).sort()).toEqual(ENDPOINT_KEYS);
    const { secret, ...withoutSecret } = created.body;
    expect(retrieved.body).toEqual(withoutSecret);
    expect(retrieved.text).not.toContain(secret);

    const listed = await api.request("GET", "/webhooks?limit=100");
    expect(listed.text).not.toContain(secret);
    expect(listed.body.data.find((e: { id: string }) => e.id === created.body.id)).toEqual(withoutSecret);
  });

  test("description and metadata default to null and {}", async () => {
    const created = await create({ url: "https://hooks.example.com/a", events: ["*"] });
    expect(created.status).toBe(200);
    expect(created.body.description).toBeNull();
    expect(created.body.metadata).toEqual({});
    expect(created.body.events).toEqual(["*"]);
  });

  test.each([
    [{ url: "https://hooks.example.com/a", events: [] }, "events"],
    [{ url: "https://hooks.example.com/a", events: ["*", "records.sync.failed"] }, "events"],
    [{ url: "https://hooks.example.com/a", events: ["patient_flow.created"] }, "events"],
    [{ url: "https://hooks.example.com/a", events: ["records.sync.failed", "records.sync.failed"] }, "events"],
    [{ url: "https://hooks.example.com/a", events: Array(6).fill("*") }, "events"],
    [{ url: "https://hooks.example.com/a", events: [42] }, "events[0]"],
    [{ url: "https://hooks.example.com/a", events: "*" }, "events"],
    [{ url: "https://hooks.example.com/a" }, "events"],
    [{ events: ["*"] }, "url"],
    [{ url: 7, events: ["*"] }, "url"],
    [{ url: "https://hooks.example.com/a", events: ["*"], description: "x".repeat(501) }, "description"],
    [{ url: "https://hooks.example.com/a", events: ["*"], metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) }, "metadata"],
    [{ url: "https://hooks.example.com/a", events: ["*"], metadata: { k: 1 } }, "metadata.k"],
    [{ url: "https://hooks.example.com/a", events: ["*"], metadata: { ["k".repeat(41)]: "v" } }, "metadata"],
    [{ url: "https://hooks.example.com/a", events: ["*"], secret: "whsec_mine" }, "secret"],
    [{ url: "https://hooks.example.com/a", events: ["*"], status: "active" }, "status"],
  ])("invalid body %j → 400 invalid_data param %s", async (body, param) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_data", param });
    expect(response.body.error.message.length).toBeGreaterThan(10);
  });

  test.each([
    ["http://hooks.example.com/a", "https"],
    ["ftp://hooks.example.com/a", "https"],
    ["not a url", "absolute URL"],
    ["/relative/path", "absolute URL"],
    ["https://user:pass@hooks.example.com/a", "credentials"],
    [`https://hooks.example.com/${"a".repeat(2048)}`, "2048"],
    ["https://10.1.2.3/a", "private"],
    ["https://192.168.0.10/a", "private"],
    ["https://169.254.169.254/latest/meta-data", "private"],
    ["https://100.64.0.1/a", "private"],
    ["https://[fd00::1]/a", "private"],
    ["https://[::ffff:10.0.0.1]/a", "private"],
    ["https://0.0.0.0/a", "non-routable"],
    ["https://224.0.0.1/a", "non-routable"],
    ["https://internal.example.com/a", "resolves to 10.0.0.7"],
    ["https://metadata.example.com/a", "resolves to 169.254.169.254"],
    ["https://hooks.example.com/a#frag", "fragment"],
  ])("url %s is refused (%s)", async (url, hint) => {
    const response = await create({ url, events: ["*"] });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_data", param: "url" });
    expect(response.body.error.message).toContain(hint);
  });

  test("loopback: http and https allowed for sandbox keys, refused for live keys", async () => {
    for (const url of ["http://localhost:3000/hook", "http://127.0.0.1:3000/hook", "http://[::1]:3000/hook", "https://localhost/hook"]) {
      const response = await create({ url, events: ["*"] });
      expect(response.status, url).toBe(200);
      await api.request("DELETE", `/webhooks/${response.body.id}`);
    }
    const live = await api.mintKey("acme", "live");
    for (const url of ["http://localhost:3000/hook", "https://127.0.0.1/hook", "https://rebind.example.com/hook"]) {
      const response = await create({ url, events: ["*"] }, live);
      expect(response.status, url).toBe(400);
      expect(response.body.error.param).toBe("url");
    }
    expect((await create({ url: "https://hooks.example.com/live", events: ["*"] }, live)).status).toBe(200);
    // A name that does not resolve is accepted: the delivery engine checks the address it dials.
    expect((await create({ url: "https://not-yet-in-dns.example.org/hook", events: ["*"] }, live)).status).toBe(200);
  });

  test("an organization has at most 16 endpoints", async () => {
    const key = await api.mintKey("limit-org");
    for (let i = 0; i < 16; i++) expect((await create({ url: `https://hooks.example.com/${i}`, events: ["*"] }, key)).status).toBe(200);
    const seventeenth = await create({ url: "https://hooks.example.com/17", events: ["*"] }, key);
    expect(seventeenth.status).toBe(400);
    expect(seventeenth.body.error).toMatchObject({ type: "invalid_request_error", code: "endpoint_limit_reached" });
  });

  test("PATCH updates only what it is given; null clears the description; metadata is replaced", async () => {
    const created = await create({ url: "https://hooks.example.com/p", events: ["*"], description: "d", metadata: { a: "1", b: "2" } });
    const id = created.body.id;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await api.request("PATCH", `/webhooks/${id}`, { body: { metadata: { c: "3" }, description: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: "https://hooks.example.com/p", events: ["*"], description: null, metadata: { c: "3" } });
    expect(patched.body.secret).toBeUndefined();
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThan(Date.parse(created.body.updated_at));

    const moved = await api.request("PATCH", `/webhooks/${id}`, { body: { url: "https://dual.example.com/new", events: ["records.sync.completed"] } });
    expect(moved.body).toMatchObject({ url: "https://dual.example.com/new", events: ["records.sync.completed"], metadata: { c: "3" } });

    const disabled = await api.request("PATCH", `/webhooks/${id}`, { body: { status: "disabled" } });
    expect(disabled.body.status).toBe("disabled");
    expect((await api.request("GET", "/webhooks?status=disabled&limit=100")).body.data.map((e: { id: string }) => e.id)).toContain(id);
    expect((await api.request("GET", "/webhooks?status=active&limit=100")).body.data.map((e: { id: string }) => e.id)).not.toContain(id);
    expect((await api.request("PATCH", `/webhooks/${id}`, { body: { status: "active" } })).body.status).toBe("active");

    for (const [body, param] of [
      [{ url: "http://hooks.example.com/x" }, "url"],
      [{ events: ["nope"] }, "events"],
      [{ status: "paused" }, "status"],
      [{ secret: "x" }, "secret"],
      [{ metadata: null }, "metadata"],
    ] as const) {
      const response = await api.request("PATCH", `/webhooks/${id}`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.param).toBe(param);
    }
  });

  test("DELETE removes the endpoint; then every route answers 404", async () => {
    const { body: endpoint } = await create({ url: "https://hooks.example.com/d", events: ["*"] });
    const deleted = await api.request("DELETE", `/webhooks/${endpoint.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: endpoint.id, resource_type: "webhook_endpoint", deleted: true });
    for (const [method, path] of [
      ["GET", `/webhooks/${endpoint.id}`],
      ["PATCH", `/webhooks/${endpoint.id}`],
      ["DELETE", `/webhooks/${endpoint.id}`],
      ["POST", `/webhooks/${endpoint.id}/rotate-secret`],
      ["GET", `/webhooks/${endpoint.id}/events`],
    ] as const) {
      const response = await api.request(method, path, method === "PATCH" ? { body: {} } : {});
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error).toMatchObject({ type: "not_found_error", code: "resource_not_found", param: "id" });
    }
  });

  test("rotate-secret returns a new secret; expires_in is checked", async () => {
    const { body: endpoint } = await create({ url: "https://hooks.example.com/r", events: ["*"] });
    const rotated = await api.request("POST", `/webhooks/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(SECRET);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const graced = await api.request("POST", `/webhooks/${endpoint.id}/rotate-secret`, { body: { expires_in: 3600 } });
    expect(graced.status).toBe(200);
    const row = await db.store.findEndpoint({ organizationId: (await db.store.findOrganizationByName("acme"))!.id, mode: "sandbox" }, endpoint.id);
    expect(row!.previousSecretExpiresAt! - Date.now()).toBeGreaterThan(3_590_000);
    expect(row!.previousSecretCiphertext).not.toBeNull();
    for (const body of [{ expires_in: -1 }, { expires_in: 86_401 }, { expires_in: 1.5 }, { expires_in: "60" }, { grace: 1 }]) {
      const response = await api.request("POST", `/webhooks/${endpoint.id}/rotate-secret`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe("invalid_data");
    }
  });

  test("lists paginate newest first with an opaque cursor", async () => {
    const key = await api.mintKey("pager-org");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ url: `https://hooks.example.com/p${i}`, events: ["*"] }, key)).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await api.request("GET", `/webhooks?limit=2${cursor ? `&starting_after=${cursor}` : ""}`, { key });
      expect(page.body.resource_type).toBe("list");
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const defaultPage = await api.request("GET", "/webhooks", { key });
    expect(defaultPage.body.data).toHaveLength(5);
    for (const query of ["limit=0", "limit=101", "limit=abc", "limit=2.5", "status=paused", "colour=red"]) {
      const response = await api.request("GET", `/webhooks?${query}`, { key });
      expect(response.status, query).toBe(400);
      expect(response.body.error.param).toBe(query.split("=")[0]);
    }
  });
});
