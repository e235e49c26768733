import { constructEvent } from "@medblocks/connect";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../server/test/support/databases.js";
import { spawnSource, waitForExit, waitForOutput } from "../../server/test/support/process.js";
import { answer, startReceiver, type Behaviour } from "../../server/test/support/receiver.js";
import { startTestService, type TestService } from "../../server/test/support/service.js";
import { closedPort, expectOneLineError, json, runCli } from "./support/cli.js";
import { startTcpProxy } from "./support/tcp-proxy.js";

/**
 * `medblocks listen` against a real service: events stream to the CLI, which forwards them signed
 * with the session secret to a local receiver, shows each, and reports it into the attempt log.
 */

let db: TestDatabase;
let api: TestService;
let key: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase("sqlite");
  api = await startTestService(db, { MEDBLOCKS_ROLE: "all" });
  key = await api.mintKey("cli-listen");
  env = { MEDBLOCKS_API_KEY: key, MEDBLOCKS_BASE_URL: api.url };
});
afterAll(async () => {
  await api?.close();
  await db?.dispose();
});

const listen = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSource("packages/cli/src/main.ts", ["listen", ...args], { env: { ...env, ...extra } });

/** A receiver that verifies each delivery with the SDK, answering 200 only when it verifies. */
const verifying =
  (secret: string): Behaviour =>
  async (request, response, body) => {
    try {
      const event = await constructEvent(body, request.headers["medblocks-signature"] as string, secret);
      response.writeHead(200).end(`verified ${event.id}`);
    } catch (error) {
      response.writeHead(400).end((error as Error).message);
    }
  };

test("three triggered events are forwarded, verified with the session secret and recorded; ^C exits 0", async () => {
  const printed = await runCli(["listen", "--print-secret", "--device", "test-box"], { env });
  expect(printed.code, printed.stderr).toBe(0);
  const secret = printed.stdout.trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const receiver = await startReceiver(verifying(secret));
  const child = listen(["--forward-to", `${receiver.url}/hooks`, "--device", "test-box"]);
  try {
    await waitForOutput(child, ({ stdout }) => stdout.includes("Ready!"));
    expect(child.output().stdout).toBe(`Ready! Forwarding to ${receiver.url}/hooks; your webhook signing secret is ${secret} (^C to quit)\n`);

    const triggered = await Promise.all(
      ["patient_flow.completed", "records.sync.completed", "connection.token_refresh_failed"].map((type) => runCli(["trigger", type, "--json"], { env })),
    );
    const ids = triggered.map((t) => json(t).data[0].id as string);
    const deliveries = await receiver.waitFor(3, 15_000);
    expect(deliveries.map((d) => d.headers["webhook-id"]).sort()).toEqual([...ids].sort());
    const standard = new Webhook(secret.slice("whsec_".length));
    for (const d of deliveries) {
      expect(d.path).toBe("/hooks");
      expect(d.headers["content-type"]).toBe("application/json");
      expect(d.headers["user-agent"]).toMatch(/^Medblocks-Webhooks\/\d+\.\d+\.\d+$/);
      const event = await constructEvent(d.body, d.headers["medblocks-signature"] as string, secret);
      expect(ids).toContain(event.id);
      expect(standard.verify(d.body, d.headers as Record<string, string>)).toMatchObject({ id: event.id });
    }

    await waitForOutput(child, ({ stdout }) => stdout.split("\n").filter((l) => l.includes("[200]")).length === 3);
    for (const [i, type] of ["patient_flow.completed", "records.sync.completed", "connection.token_refresh_failed"].entries()) {
      expect(child.output().stdout).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${type.replace(/\./g, "\\.")}\\s+${ids[i]}  \\[200\\] \\d+ ms$`, "m"));
    }

    child.kill("SIGINT");
    expect(await waitForExit(child, 5_000)).toBe(0);
    expect(child.output().stderr).not.toContain("error");

    const [attempts, redeliver] = await Promise.all([runCli(["events", "attempts", ids[0]!, "--json"], { env }), runCli(["events", "redeliver", ids[1]!], { env })]);
    expect(json(attempts).data).toMatchObject([{ event_id: ids[0], attempt: 1, outcome: "delivered", status_code: 200, response_body: `verified ${ids[0]}` }]);
    // An event that went to a listen session is resent to the session, not redelivered by the service.
    expect(expectOneLineError(redeliver)).toMatch(/^error: resource_conflict: .*medblocks listen/);
  } finally {
    child.kill("SIGKILL");
    await receiver.close();
  }
}, 120_000);

test("--json lines; a dropped stream reconnects; receiver failures are shown and recorded", async () => {
  const receiver = await startReceiver(answer(500, "boom"));
  const proxy = await startTcpProxy(api.url);
  const child = listen(["--forward-to", `${receiver.url}/hooks`, "--device", "flaky-box", "--events", "records.sync.failed", "--json"], { MEDBLOCKS_BASE_URL: proxy.url });
  const lines = () => child.output().stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const publish = async () => (await api.request("POST", "/events", { key, body: { type: "records.sync.failed", data: { object: { error_message: "x" } } } })).body.data as { id: string; webhook_endpoint_id: string }[];
  try {
    await waitForOutput(child, () => lines().some((l) => l.kind === "ready"));
    const ready = lines()[0];
    expect(ready).toMatchObject({ kind: "ready", forward_to: `${receiver.url}/hooks`, device: "flaky-box", events: ["records.sync.failed"], secret: expect.stringMatching(/^whsec_/) });

    const first = (await publish()).find((r) => r.webhook_endpoint_id === ready.webhook_endpoint_id)!;
    await waitForOutput(child, () => lines().some((l) => l.kind === "forwarded"));
    expect(lines().find((l) => l.kind === "forwarded")).toMatchObject({ id: first.id, type: "records.sync.failed", outcome: "http_error", status_code: 500, recorded: true });

    proxy.dropAll();
    await waitForOutput(child, () => lines().some((l) => l.kind === "reconnected"), 15_000);
    expect(lines().find((l) => l.kind === "disconnected")).toMatchObject({ reason: expect.any(String), retry_in_ms: expect.any(Number) });

    // After the reconnect, forwarding to a port where nothing listens is a connection error.
    await receiver.close();
    const second = (await publish()).find((r) => r.webhook_endpoint_id === ready.webhook_endpoint_id)!;
    await waitForOutput(child, () => lines().some((l) => l.kind === "forwarded" && l.id === second.id));
    expect(lines().find((l) => l.id === second.id)).toMatchObject({ outcome: "connection_error", status_code: null, error: expect.stringContaining("ECONNREFUSED"), recorded: true });

    child.kill("SIGINT");
    expect(await waitForExit(child, 5_000)).toBe(0);
    const log = (id: string) => api.request("GET", `/events/${id}/attempts`, { key }).then((r) => r.body.data);
    expect(await log(first.id)).toMatchObject([{ outcome: "http_error", status_code: 500, response_body: "boom" }]);
    expect(await log(second.id)).toMatchObject([{ outcome: "connection_error", status_code: null }]);
  } finally {
    child.kill("SIGKILL");
    await proxy.close();
    await receiver.close().catch(() => {});
  }
}, 120_000);

test("listen errors: unreachable service, bad key, bad --events, bad --device, no --forward-to", async () => {
  const port = await closedPort();
  const [unreachable, badKey, badEvents, badDevice, noTarget] = await Promise.all([
    runCli(["listen", "--forward-to", "localhost:3000"], { env: { ...env, MEDBLOCKS_BASE_URL: `http://127.0.0.1:${port}` } }),
    runCli(["listen", "--print-secret", "--api-key", "mb_sk_sbx_nope"], { env }),
    runCli(["listen", "--forward-to", ":3000", "--events", "nope.event"], { env }),
    runCli(["listen", "--forward-to", ":3000", "--device", "my laptop"], { env }),
    runCli(["listen"], { env }),
  ]);
  const line = expectOneLineError(unreachable);
  expect(line).toContain(`cannot reach the Medblocks service at http://127.0.0.1:${port}`);
  expect(line).toContain("medblocks serve");
  expect(expectOneLineError(badKey)).toMatch(/^error: invalid_api_key: /);
  expect(expectOneLineError(badEvents)).toMatch(/^error: invalid_data: .*\(param: events\)/);
  expect(expectOneLineError(badDevice)).toContain("--device must be");
  expect(expectOneLineError(noTarget)).toContain("--forward-to");
}, 60_000);
