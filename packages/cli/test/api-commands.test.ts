import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../server/test/support/databases.js";
import { startTestService, type TestService } from "../../server/test/support/service.js";
import { closedPort, expectOneLineError, json, runCli } from "./support/cli.js";

/** `medblocks webhooks …` and `events …` against a real service, run as the real binary. */

let db: TestDatabase;
let api: TestService;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase("sqlite");
  api = await startTestService(db);
  env = { MEDBLOCKS_API_KEY: await api.mintKey("cli-api"), MEDBLOCKS_BASE_URL: api.url };
});
afterAll(async () => {
  await api?.close();
  await db?.dispose();
});

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extra } });

describe("medblocks webhooks", () => {
  test("create, list, get, update, rotate-secret, events, recover, delete: human output and --json", async () => {
    const created = await cli(["webhooks", "create", "--url", "http://localhost:3000/hooks", "--events", "patient_flow.completed,records.sync.failed", "--description", "laptop", "--metadata", "team=care", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const endpoint = json(created);
    expect(endpoint).toMatchObject({
      resource_type: "webhook_endpoint",
      url: "http://localhost:3000/hooks",
      events: ["patient_flow.completed", "records.sync.failed"],
      status: "active",
      description: "laptop",
      metadata: { team: "care" },
    });
    expect(endpoint.id).toMatch(/^wh_/);
    expect(endpoint.secret).toMatch(/^whsec_/);

    const human = await cli(["webhooks", "create", "--url", "http://127.0.0.1:4000/other"]);
    const [listed, listedJson, got] = await Promise.all([
      cli(["webhooks", "list"]),
      cli(["webhooks", "list", "--json", "--limit", "1"]),
      cli(["webhooks", "get", endpoint.id]),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Created wh_\w+ → http:\/\/127\.0\.0\.1:4000\/other\nSigning secret: whsec_\S+\n$/);
    expect(human.stderr).toContain("shown only now");

    expect(listed.stdout).toMatch(/^ID\s+URL\s+EVENTS\s+STATUS\s+CREATED\n/);
    expect(listed.stdout).toMatch(new RegExp(`${endpoint.id}\\s+http://localhost:3000/hooks\\s+patient_flow.completed,records.sync.failed\\s+active\\s+\\d+s ago`));
    expect(listed.stdout).not.toContain("whsec_");

    const page = json(listedJson);
    expect(page).toMatchObject({ resource_type: "list", has_more: true });
    expect(page.data).toHaveLength(1);
    expect(page.next_cursor).toEqual(expect.any(String));
    const all = json(await cli(["webhooks", "list", "--all", "--json", "--limit", "1"]));
    expect(all).toMatchObject({ has_more: false, next_cursor: null });
    expect(all.data).toHaveLength(2);

    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${endpoint.id}$`, "m"));
    expect(got.stdout).toMatch(/^description\s+laptop$/m);
    expect(got.stdout).not.toContain("whsec_");

    const updated = await cli(["webhooks", "update", endpoint.id, "--status", "disabled", "--description", "", "--events", "*", "--json"]);
    expect(json(updated)).toMatchObject({ id: endpoint.id, status: "disabled", description: null, events: ["*"] });
    const nothing = await cli(["webhooks", "update", endpoint.id]);
    expect(expectOneLineError(nothing)).toContain("nothing to update");

    // A fact fired while the endpoint is disabled is recorded but not scheduled; recover needs it active again.
    await api.request("POST", "/events", { key: env.MEDBLOCKS_API_KEY, body: { type: "records.sync.failed", data: { object: { error_message: "x" } } } });
    const events = await cli(["webhooks", "events", endpoint.id]);
    expect(events.stdout).toMatch(/^ID\s+TYPE\s+STATE\s+ATTEMPTS\s+LAST STATUS\s+CREATED\n/);
    expect(events.stdout).toMatch(/evt_\w+\s+records\.sync\.failed\s+not scheduled\s+0\s+-\s+\d+s ago/);
    const undelivered = json(await cli(["webhooks", "events", endpoint.id, "--delivered", "false", "--type", "records.sync.failed", "--json"]));
    expect(undelivered.data).toHaveLength(1);

    const refused = await cli(["webhooks", "recover", endpoint.id, "--since", "1h"]);
    expect(expectOneLineError(refused)).toMatch(/^error: endpoint_disabled: /);
    await cli(["webhooks", "update", endpoint.id, "--status", "active"]);
    const recovered = await cli(["webhooks", "recover", endpoint.id, "--since", "1h", "--json"]);
    expect(json(recovered)).toEqual({ enqueued: 1 });
    const recoveredHuman = await cli(["webhooks", "recover", endpoint.id, "--since", new Date(Date.now() - 60_000).toISOString(), "--until", "0m"]);
    // Still undelivered (this service runs no delivery engine), so the same event is enqueued again.
    expect(recoveredHuman.stdout).toMatch(new RegExp(`^Re-enqueued 1 event of ${endpoint.id} created since \\S+ until \\S+\\.\\n$`));

    const rotated = await cli(["webhooks", "rotate-secret", endpoint.id, "--expires-in", "3600"]);
    expect(rotated.stdout).toMatch(/^Signing secret: whsec_/m);
    expect(rotated.stdout).not.toContain(endpoint.secret);
    expect(rotated.stdout).toContain("The old secret keeps signing for 3600 s.");

    const deleted = await cli(["webhooks", "delete", endpoint.id]);
    expect(deleted.stdout).toBe(`Deleted ${endpoint.id}.\n`);
    const gone = await cli(["webhooks", "get", endpoint.id]);
    expect(expectOneLineError(gone)).toMatch(new RegExp(`^error: resource_not_found: .*${endpoint.id}.*\\(param: id\\) \\[req_\\w+\\]$`));
  }, 120_000);

  test("bad input is refused before or by the service, naming the flag or param", async () => {
    const [badUrl, badSince, badLimit, missingUrl] = await Promise.all([
      cli(["webhooks", "create", "--url", "ftp://example.com/x"]),
      cli(["webhooks", "recover", "wh_x", "--since", "last tuesday"]),
      cli(["webhooks", "list", "--limit", "500"]),
      cli(["webhooks", "create"]),
    ]);
    expect(expectOneLineError(badUrl)).toMatch(/^error: invalid_data: .*\(param: url\)/);
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toContain("--since");
    expect(badSince.stderr).toContain("30m, 2h, 7d");
    expect(badLimit.code).toBe(1);
    expect(badLimit.stderr).toContain("1 to 100");
    expect(missingUrl.code).toBe(1);
    expect(missingUrl.stderr).toContain("--url");
  }, 60_000);
});

describe("medblocks events", () => {
  test("get, attempts, redeliver: --json shapes; unknown ids are 404s", async () => {
    const published = await api.request("POST", "/events", { key: env.MEDBLOCKS_API_KEY, body: { type: "records.sync.completed", data: { object: { total: 1 } } } });
    const id = published.body.data[0].id as string;
    const [got, gotJson, attempts, attemptsJson, missing] = await Promise.all([
      cli(["events", "get", id]),
      cli(["events", "get", id, "--json"]),
      cli(["events", "attempts", id]),
      cli(["events", "attempts", id, "--json"]),
      cli(["events", "get", "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", "--json"]),
    ]);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${id}$`, "m"));
    expect(got.stdout).toMatch(/^type\s+records\.sync\.completed$/m);
    expect(json(gotJson)).toMatchObject({ id, resource_type: "event", type: "records.sync.completed", attempts: 0, data: { object: { total: 1 } } });
    expect(attempts.stdout).toBe("No attempts yet.\n");
    expect(json(attemptsJson)).toEqual({ resource_type: "list", data: [], has_more: false, next_cursor: null });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { type: "not_found_error", code: "resource_not_found", status: 404, request_id: expect.stringMatching(/^req_/) } });

    const redelivered = await cli(["events", "redeliver", "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP"]);
    expect(expectOneLineError(redelivered)).toMatch(/^error: resource_not_found: /);
  }, 60_000);
});

describe("errors", () => {
  test("a bad key, a missing key, an unreachable service: one line, exit 1, no stack unless --debug", async () => {
    const port = await closedPort();
    const [badKey, badKeyJson, noKey, unreachable, unreachableJson, debug] = await Promise.all([
      cli(["webhooks", "list"], { MEDBLOCKS_API_KEY: "mb_sk_sbx_not-a-real-key" }),
      cli(["webhooks", "list", "--json", "--api-key", "mb_sk_sbx_not-a-real-key"]),
      cli(["trigger", "patient_flow.completed"], { MEDBLOCKS_API_KEY: "" }),
      cli(["webhooks", "list", "--base-url", `http://127.0.0.1:${port}`]),
      cli(["events", "get", "evt_x", "--json"], { MEDBLOCKS_BASE_URL: `http://127.0.0.1:${port}` }),
      cli(["webhooks", "get", "wh_nope", "--debug"]),
    ]);
    expect(expectOneLineError(badKey)).toMatch(/^error: invalid_api_key: /);
    expect(JSON.parse(badKeyJson.stderr).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key", status: 401 });
    expect(badKeyJson.code).toBe(1);

    const noKeyLine = expectOneLineError(noKey);
    expect(noKeyLine).toContain("MEDBLOCKS_API_KEY");
    expect(noKeyLine).toContain("--api-key");

    const line = expectOneLineError(unreachable);
    expect(line).toContain(`cannot reach the Medblocks service at http://127.0.0.1:${port}`);
    expect(line).toContain("ECONNREFUSED");
    expect(line).toContain("medblocks serve");
    expect(JSON.parse(unreachableJson.stderr).error).toMatchObject({ code: "connection_failed" });

    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^error: resource_not_found: /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 60_000);
});
