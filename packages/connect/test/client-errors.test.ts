import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Medblocks,
  MedblocksAuthenticationError,
  MedblocksConflictError,
  MedblocksError,
  MedblocksInvalidRequestError,
  MedblocksNotFoundError,
  MedblocksPermissionError,
  MedblocksRateLimitError,
  fixtures,
} from "../src/index.node.js";
import { createTestDatabase, startTestService, type TestDatabase, type TestService } from "./support/server.js";

// Every error class the real service can produce, as the SDK surfaces it. (500, 502 and network
// failures cannot be provoked here on purpose: test/client-retries.test.ts covers them.)

const DOC = "https://docs.medblocks.com/webhooks/errors#";

let db: TestDatabase;
let api: TestService;
let mb: Medblocks;

beforeAll(async () => {
  db = await createTestDatabase("sqlite");
  api = await startTestService(db);
  mb = new Medblocks(await api.mintKey("errors"), { baseUrl: api.url });
});
afterAll(async () => {
  await api?.close();
  await db?.dispose();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as MedblocksError,
  );

describe("errors from the real service", () => {
  it("400 invalid_data names the param", async () => {
    const error = await failure(mb.webhooks.create({ url: "https://hooks.example.com/a", events: ["nope" as "*"] }));
    expect(error).toBeInstanceOf(MedblocksInvalidRequestError);
    expect(error).toMatchObject({
      name: "MedblocksInvalidRequestError",
      statusCode: 400,
      type: "invalid_request_error",
      code: "invalid_data",
      param: "events",
      docUrl: `${DOC}invalid_data`,
      requestId: expect.stringMatching(/^req_/),
    });
    expect(error.message).toContain("Unknown event type 'nope'");
    expect(error.headers["x-request-id"]).toBe(error.requestId);
  });

  it("400 invalid_data for a URL the service refuses", async () => {
    const error = await failure(mb.webhooks.create({ url: "https://internal.example.com/hook", events: ["*"] }));
    expect(error).toMatchObject({ statusCode: 400, code: "invalid_data", param: "url" });
  });

  it("400 unsupported_api_version for an unknown Version", async () => {
    const old = new Medblocks(await api.mintKey("errors"), { baseUrl: api.url, version: "1999-01-01" });
    const error = await failure(old.webhooks.list());
    expect(error).toBeInstanceOf(MedblocksInvalidRequestError);
    expect(error).toMatchObject({ code: "unsupported_api_version", param: "Version" });
  });

  it("400 endpoint_limit_reached past 16 endpoints", async () => {
    const crowded = new Medblocks(await api.mintKey("crowded"), { baseUrl: api.url });
    for (let i = 0; i < 16; i++) await crowded.webhooks.create({ url: `https://hooks.example.com/${i}`, events: ["*"] });
    const error = await failure(crowded.webhooks.create({ url: "https://hooks.example.com/17", events: ["*"] }));
    expect(error).toBeInstanceOf(MedblocksInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: "endpoint_limit_reached" });
  });

  it("401 invalid_api_key", async () => {
    const stranger = new Medblocks("mb_sk_sbx_notarealkey", { baseUrl: api.url });
    const error = await failure(stranger.webhooks.list());
    expect(error).toBeInstanceOf(MedblocksAuthenticationError);
    expect(error).toMatchObject({ statusCode: 401, type: "authentication_error", code: "invalid_api_key" });
  });

  it("403 forbidden when a live key publishes", async () => {
    const live = new Medblocks(await api.mintKey("errors", "live"), { baseUrl: api.url });
    const error = await failure(live.events.publish(fixtures.recordsSyncCompleted()));
    expect(error).toBeInstanceOf(MedblocksPermissionError);
    expect(error).toMatchObject({ statusCode: 403, type: "permission_error", code: "forbidden" });
    expect(error.message).toContain("MEDBLOCKS_LIVE_PUBLISH");
  });

  it("404 resource_not_found, also for another organization's ids", async () => {
    const error = await failure(mb.webhooks.retrieve("wh_01J9YR9N3X4VZ6P2K5RH7M3LMP"));
    expect(error).toBeInstanceOf(MedblocksNotFoundError);
    expect(error).toMatchObject({ statusCode: 404, type: "not_found_error", code: "resource_not_found", param: "id" });

    const theirs = await new Medblocks(await api.mintKey("other-org"), { baseUrl: api.url }).webhooks.create({
      url: "https://hooks.example.com/theirs",
      events: ["*"],
    });
    await expect(mb.webhooks.retrieve(theirs.id)).rejects.toBeInstanceOf(MedblocksNotFoundError);
    await expect(mb.events.listAttempts("evt_01J9YR9N3X4VZ6P2K5RH7M3LMP")).rejects.toBeInstanceOf(MedblocksNotFoundError);
  });

  it("409 endpoint_disabled when redelivering to a disabled endpoint", async () => {
    const endpoint = await mb.webhooks.create({ url: "https://hooks.example.com/paused", events: ["records.sync.failed"], });
    await mb.webhooks.update(endpoint.id, { status: "disabled" });
    const [record] = (await mb.events.publish(fixtures.recordsSyncFailed())).data;
    const error = await failure(mb.events.redeliver(record!.id));
    expect(error).toBeInstanceOf(MedblocksConflictError);
    expect(error).toMatchObject({ statusCode: 409, type: "conflict_error", code: "endpoint_disabled" });
    await mb.webhooks.delete(endpoint.id);
  });

  it("429 throttled on a second redelivery within 60 s, with retryAfter, not retried", async () => {
    const endpoint = await mb.webhooks.create({ url: "https://hooks.example.com/fast", events: ["records.sync.completed"] });
    const [record] = (await mb.events.publish(fixtures.recordsSyncCompleted())).data;
    await mb.events.redeliver(record!.id);
    const started = Date.now();
    const error = await failure(mb.events.redeliver(record!.id));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(MedblocksRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, type: "rate_limit_error", code: "throttled" });
    const { retryAfter } = error as MedblocksRateLimitError;
    expect(retryAfter).toBeGreaterThanOrEqual(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(error.headers["retry-after"]).toBe(String(retryAfter));
    expect((await mb.events.listAttempts(record!.id)).data).toHaveLength(1);
    await mb.webhooks.delete(endpoint.id);
  });

  it("413 payload_too_large for an oversized publish", async () => {
    const big = fixtures.recordsSyncFailed({ error_message: "x".repeat(600 * 1024) });
    const error = await failure(mb.events.publish(big));
    expect(error).toBeInstanceOf(MedblocksInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 413, type: "invalid_request_error", code: "payload_too_large" });
  });

  it("every error is a MedblocksError and an Error", async () => {
    const error = await failure(mb.events.retrieve("evt_missing"));
    expect(error).toBeInstanceOf(MedblocksError);
    expect(error).toBeInstanceOf(Error);
    expect(error.stack).toContain("MedblocksNotFoundError");
  });
});
