import { constructEvent, WEBHOOK_EVENT_TYPES } from "@medblocks/connect";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../server/test/support/databases.js";
import { answer, startReceiver, type TestReceiver } from "../../server/test/support/receiver.js";
import { startTestService, type TestService } from "../../server/test/support/service.js";
import { waitUntil } from "../../server/test/support/wait.js";
import { expectOneLineError, json, runCli } from "./support/cli.js";

/** `medblocks trigger` publishes SDK fixtures that the service really delivers; then `events` inspects them. */

let db: TestDatabase;
let api: TestService;
let receiver: TestReceiver;
let env: NodeJS.ProcessEnv;
let endpoint: { id: string; secret: string };
beforeAll(async () => {
  db = await createTestDatabase("sqlite");
  api = await startTestService(db, { MEDBLOCKS_ROLE: "all" });
  receiver = await startReceiver();
  const key = await api.mintKey("cli-trigger");
  env = { MEDBLOCKS_API_KEY: key, MEDBLOCKS_BASE_URL: api.url };
  endpoint = (await api.request("POST", "/webhooks", { key, body: { url: `${receiver.url}/hooks`, events: ["*"] } })).body;
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
  await db?.dispose();
});

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extra } });

test("each of the four event types is published, delivered and verifies; overrides reach data.object", async () => {
  const results = await Promise.all([
    cli(["trigger", "patient_flow.completed", "--override", "patient_id=user_42", "--override", "metadata.source=cli"]),
    cli(["trigger", "connection.token_refresh_failed", "--override", "failure_code=invalid_client"]),
    cli(["trigger", "records.sync.completed", "--override", "total=12", "--json"]),
    cli(["trigger", "records.sync.failed", "--override", 'error_message="401"', "--json"]),
  ]);
  for (const result of results) expect(result.code, result.stderr).toBe(0);
  expect(results[0]!.stdout).toMatch(new RegExp(`^Triggered patient_flow\\.completed: 1 event\\n  evt_\\w{26} → ${endpoint.id}\\n$`));
  const page = json(results[2]!);
  expect(page).toMatchObject({ resource_type: "list", data: [{ type: "records.sync.completed", webhook_endpoint_id: endpoint.id, data: { object: { total: 12 } } }] });

  const deliveries = await receiver.waitFor(4, 15_000);
  const events = await Promise.all(deliveries.map((d) => constructEvent(d.body, d.headers["medblocks-signature"] as string, endpoint.secret)));
  expect(events.map((e) => e.type).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  const byType = Object.fromEntries(events.map((e) => [e.type, e.data.object as any]));
  expect(byType["patient_flow.completed"]).toMatchObject({ resource_type: "patient_flow", patient_id: "user_42", metadata: { onboarding_step: "records", source: "cli" } });
  // Top-level overrides go through the fixture builder, which keeps the flow's connections consistent.
  expect(byType["patient_flow.completed"].connections[0].patient_id).toBe("user_42");
  expect(byType["connection.token_refresh_failed"]).toMatchObject({ resource_type: "connection", failure_code: "invalid_client" });
  expect(byType["records.sync.completed"]).toMatchObject({ resource_type: "records_sync", total: 12 });
  expect(byType["records.sync.failed"].error_message).toBe("401");
}, 90_000);

test("events attempts and redeliver on a delivered event; a second redeliver within a minute is throttled", async () => {
  const triggered = json(await cli(["trigger", "records.sync.completed", "--json"]));
  const id = triggered.data[0].id as string;
  await receiver.waitFor(5, 15_000);
  // The receiver has it; the attempt is recorded right after its answer.
  await waitUntil(async () => (await api.request("GET", `/events/${id}/attempts`, { key: env.MEDBLOCKS_API_KEY })).body.data.length > 0);
  const attempts = json(await cli(["events", "attempts", id, "--json"]));
  expect(attempts.data).toMatchObject([{ event_id: id, attempt: 1, trigger: "automatic", outcome: "delivered", status_code: 200, response_body: "ok" }]);

  const redelivered = await cli(["events", "redeliver", id]);
  expect(redelivered.code, redelivered.stderr).toBe(0);
  expect(redelivered.stdout).toBe(`Delivered ${id} (records.sync.completed): 200 ok\n`);
  const [again, table] = await Promise.all([cli(["events", "redeliver", id, "--json"]), cli(["events", "attempts", id])]);
  expect(again.code).toBe(1);
  expect(JSON.parse(again.stderr).error).toMatchObject({ type: "rate_limit_error", code: "throttled", status: 429 });
  expect(table.stdout).toMatch(/^#\s+TRIGGER\s+OUTCOME\s+STATUS\s+DURATION\s+STARTED\s+ERROR \/ RESPONSE\n1\s+automatic\s+delivered\s+200\s+\d+ ms\s+\d+s ago\s+ok\n2\s+manual\s+delivered\s+200\s+\d+ ms\s+\d+s ago\s+ok\n$/);
}, 90_000);

test("a redelivery answered 410 says the endpoint is now disabled and how to re-enable it", async () => {
  const key = await api.mintKey("cli-trigger-gone");
  const gone = (await api.request("POST", "/webhooks", { key, body: { url: `${receiver.url}/gone`, events: ["*"] } })).body;
  const id = json(await cli(["trigger", "records.sync.completed", "--json"], { MEDBLOCKS_API_KEY: key })).data[0].id as string;
  await waitUntil(async () => (await api.request("GET", `/events/${id}`, { key })).body.delivered_at !== null, 15_000);

  receiver.respondWith((request, response, body) => (request.url === "/gone" ? answer(410, "gone")(request, response, body) : answer(200, "ok")(request, response, body)));
  try {
    const redelivered = await cli(["events", "redeliver", id], { MEDBLOCKS_API_KEY: key });
    expect(redelivered.code, redelivered.stderr).toBe(0);
    expect(redelivered.stdout).toBe(
      `Not delivered ${id} (records.sync.completed): 410 gone. See \`medblocks events attempts ${id}\`.\n` +
        `A 410 Gone disables the endpoint: ${gone.id} is now disabled, and its pending events wait.\n` +
        `Re-enable it with \`medblocks webhooks update ${gone.id} --status active\`.\n`,
    );
    expect((await api.request("GET", `/webhooks/${gone.id}`, { key })).body.status).toBe("disabled");
  } finally {
    receiver.respondWith(answer(200, "ok"));
  }
}, 60_000);

test("unknown types, bad overrides and a workspace without endpoints", async () => {
  const lonely = await api.mintKey("cli-trigger-empty");
  const [unknown, badOverride, wrongShape, noEndpoints] = await Promise.all([
    cli(["trigger", "patient_flow.started"]),
    cli(["trigger", "records.sync.completed", "--override", "total"]),
    cli(["trigger", "records.sync.completed", "--override", "total.deep=1"]),
    cli(["trigger", "records.sync.failed"], { MEDBLOCKS_API_KEY: lonely }),
  ]);
  const line = expectOneLineError(unknown);
  expect(line).toContain("unknown event type 'patient_flow.started'");
  for (const type of WEBHOOK_EVENT_TYPES) expect(line).toContain(type);
  expect(expectOneLineError(badOverride)).toContain("--override expects key=value");
  expect(expectOneLineError(wrongShape)).toContain("'total' is 248, not an object");
  expect(noEndpoints.code).toBe(0);
  expect(noEndpoints.stdout).toBe("Triggered records.sync.failed, but no endpoint is subscribed to it.\n");
  expect(noEndpoints.stderr).toContain("medblocks listen");
}, 60_000);
