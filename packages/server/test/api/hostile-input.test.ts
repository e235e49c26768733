import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Hundreds of malformed requests across every route: whatever arrives, the answer is never a 5xx
 * and every error is the envelope. The generator is seeded, so a failure replays exactly.
 */

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describeEachDatabase("hostile input", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let endpointId: string;
  let eventId: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db);
    endpointId = (await api.request("POST", "/webhooks", { body: { url: "https://hooks.example.com/h", events: ["*"] } })).body.id;
    eventId = (await api.request("POST", "/events", { body: { type: "records.sync.completed", data: { object: {} } } })).body.data[0].id;
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  test("600 generated malformed requests: zero 5xx, always the envelope", async () => {
    const rand = random(kind === "sqlite" ? 42 : 4242);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const ids = () => [
      endpointId,
      eventId,
      "wh_" + "Z".repeat(26),
      "evt_" + "0".repeat(26),
      "%00",
      "%F0%9F%92%A9",
      "..%2F..",
      "a".repeat(300),
      "wh_'; DROP TABLE webhook_endpoints; --",
      "evt_%27%20OR%201%3D1",
      "null",
      "-1",
      "1e309",
    ];
    const values = (): unknown[] => [
      null,
      true,
      0,
      -1,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      "",
      " ",
      "\u0000",
      "💩".repeat(50),
      "x".repeat(3000),
      [],
      [null],
      ["*", "*"],
      {},
      { $gt: "" },
      { object: null },
      Array(200).fill("patient_flow.completed"),
      "https://hooks.example.com/ok",
      "javascript:alert(1)",
      "https://[::1",
      "https://256.256.256.256/",
      "https://hooks.example.com:99999/",
      "records.sync.failed",
      { nested: { deeper: { deepest: [1, { a: "b" }] } } },
    ];
    const fields = ["url", "events", "description", "metadata", "status", "type", "data", "expires_in", "since", "until", "secret", "id", "__proto__", "constructor"];
    const body = (): string => {
      switch (Math.floor(rand() * 6)) {
        case 0:
          return JSON.stringify(pick(values()));
        case 1:
          return pick(['{"url":', "{{}", "[", '{"a":1,}', "nul", '"unterminated', "\u0000\u0001", "{\"events\": [\"*\"]", "1".repeat(400)]);
        default: {
          const object: Record<string, unknown> = {};
          const count = 1 + Math.floor(rand() * 4);
          for (let i = 0; i < count; i++) object[pick(fields)] = pick(values());
          return JSON.stringify(object);
        }
      }
    };
    const routes = (): [string, string][] => {
      const id = pick(ids());
      return [
        ["POST", "/webhooks"],
        ["GET", `/webhooks?limit=${pick(["-5", "1e3", "abc", "", "%00", "50"])}&starting_after=${pick(ids())}&status=${pick(["active", "x", ""])}`],
        ["GET", `/webhooks/${id}`],
        ["PATCH", `/webhooks/${id}`],
        ["DELETE", `/webhooks/${pick(ids().slice(2))}`],
        ["POST", `/webhooks/${id}/rotate-secret`],
        ["GET", `/webhooks/${id}/events?delivered=${pick(["true", "maybe", ""])}&type=${pick(["x", "records.sync.failed", "%FF"])}`],
        ["POST", `/webhooks/${id}/recover`],
        ["GET", `/events/${id}`],
        ["GET", `/events/${id}/attempts?limit=${pick(["0", "x", "3"])}`],
        ["POST", `/events/${id}/redeliver`],
        ["POST", "/events"],
        ["PUT", "/webhooks"],
        ["GET", "/%2e%2e/%2e%2e/etc/passwd"],
      ];
    };
    const contentTypes = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""];

    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const [method, path] = pick(routes());
      const headers: Record<string, string> = {};
      const contentType = pick(contentTypes);
      if (contentType) headers["content-type"] = contentType;
      if (rand() < 0.1) headers.version = pick(["2026-04-25", "v2", "", "2026-04-25\u00e9".normalize()]);
      if (rand() < 0.1) headers["idempotency-key"] = pick(["k", " ", "x".repeat(400), "clé"]);
      const key = rand() < 0.05 ? pick([null, "mb_sk_sbx_wrong", "Bearer"]) : undefined;
      const send = method === "GET" || method === "DELETE" ? {} : { rawBody: body() };
      const response = await api.request(method, path, { headers, ...send, ...(key !== undefined && { key }) });
      const label = `${method} ${path} ${send.rawBody?.slice(0, 80) ?? ""} → ${response.status}`;
      if (response.status >= 500) failures.push(`${label}: ${response.text.slice(0, 200)}`);
      if (response.status >= 400) {
        const error = response.body?.error;
        if (!error || typeof error.code !== "string" || typeof error.message !== "string" || error.request_id !== response.headers.get("x-request-id")) {
          failures.push(`${label}: not an envelope: ${response.text.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
