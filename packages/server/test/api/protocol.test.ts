import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

/** The parts of the contract every route shares: auth, the envelope, request ids, versions, limits. */
describe("API protocol", () => {
  let db: TestDatabase;
  let api: TestService;
  beforeAll(async () => {
    db = await createTestDatabase("sqlite");
    api = await startTestService(db);
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  test("GET /health needs no key", async () => {
    const response = await api.request("GET", "/health", { key: null });
    expect(response.status).toBe(200);
    expect(response.body.ok).toBe(true);
    expect(Math.abs(Date.parse(response.body.server_time) - Date.now())).toBeLessThan(5_000);
  });

  test("every response carries X-Request-Id, and errors repeat it in the envelope", async () => {
    const ok = await api.request("GET", "/webhooks");
    expect(ok.headers.get("x-request-id")).toMatch(/^req_[0-9A-Z]{26}$/);
    const missing = await api.request("GET", "/webhooks", { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: {
        type: "authentication_error",
        code: "missing_api_key",
        message: expect.stringContaining("Authorization: Bearer"),
        param: null,
        doc_url: expect.stringContaining("#missing_api_key"),
        request_id: missing.headers.get("x-request-id"),
      },
    });
    const unknownRoute = await api.request("GET", "/nope");
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.error.code).toBe("resource_not_found");
    expect(unknownRoute.body.error.request_id).toBe(unknownRoute.headers.get("x-request-id"));
  });

  test("bad, unknown and revoked keys are 401 invalid_api_key", async () => {
    for (const authorization of ["Bearer nope", "Basic abc", "Bearer mb_sk_sbx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Bearer"]) {
      const response = await api.request("GET", "/webhooks", { key: null, headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(response.body.error.code).toBe("invalid_api_key");
    }
    const key = await api.mintKey("revoker");
    expect((await api.request("GET", "/webhooks", { key })).status).toBe(200);
    const row = (await db.store.listApiKeys()).find((k) => k.hint.endsWith(key.slice(-4)));
    expect(await db.store.revokeApiKey(row!.id, Date.now())).toBe(true);
    const revoked = await api.request("GET", "/webhooks", { key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("invalid_api_key");
    expect(revoked.text).not.toContain(key);
  });

  test("Version header: the one version is accepted, any other is 400 unsupported_api_version", async () => {
    expect((await api.request("GET", "/webhooks", { headers: { Version: "2026-04-25" } })).status).toBe(200);
    const response = await api.request("GET", "/webhooks", { headers: { Version: "2024-01-01" } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: "invalid_request_error", code: "unsupported_api_version" });
  });

  test("malformed JSON, wrong content types and oversized bodies get the envelope", async () => {
    const malformed = await api.request("POST", "/webhooks", { rawBody: '{"url": "https://x' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("bad_request");
    const wrongType = await api.request("POST", "/webhooks", { rawBody: "url=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe("bad_request");
    const notObject = await api.request("POST", "/webhooks", { rawBody: "[1,2]" });
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.code).toBe("invalid_data");
    const poisoned = await api.request("POST", "/webhooks", { rawBody: '{"url":"https://hooks.example.com","events":["*"],"__proto__":{"x":1}}' });
    expect(poisoned.status).toBe(400);
    const huge = await api.request("POST", "/events", { body: { type: "patient_flow.completed", data: { object: { blob: "x".repeat(600 * 1024) } } } });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
  });

  test("GET /openapi.json describes every route of the contract", async () => {
    const response = await api.request("GET", "/openapi.json", { key: null });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    const paths = Object.keys(response.body.paths);
    for (const path of ["/webhooks", "/webhooks/{id}", "/webhooks/{id}/rotate-secret", "/webhooks/{id}/events", "/events", "/events/{id}", "/events/{id}/attempts", "/health"]) {
      expect(paths).toContain(path);
    }
    const created = response.body.paths["/webhooks"].post.responses["200"].content["application/json"].schema;
    expect(created.properties.secret).toBeDefined();
    const retrieved = response.body.paths["/webhooks/{id}"].get.responses["200"].content["application/json"].schema;
    expect(retrieved.properties.secret).toBeUndefined();
  });

  test("GET /metrics is Prometheus text with request counts per route", async () => {
    await api.request("GET", "/webhooks");
    const response = await api.request("GET", "/metrics", { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(response.text).toMatch(/medblocks_http_requests_total\{method="GET",route="\/webhooks",status="200"\} \d+/);
  });
});
