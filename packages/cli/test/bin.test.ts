import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../server/test/support/databases.js";
import { startTestService, type TestService } from "../../server/test/support/service.js";
import { json, ROOT, runBin, runProcess } from "./support/cli.js";

/**
 * The built binary as users run it: `node packages/cli/bin/medblocks.js` (what `npx medblocks`
 * launches after `npm install` at the repository root built dist/). Built here when stale, so a
 * bare `vitest run` checks the current sources too.
 */

const VERSION = (JSON.parse(readFileSync(join(ROOT, "packages/cli/package.json"), "utf8")) as { version: string }).version;

const API_COMMANDS = [
  ["webhooks", "create"],
  ["webhooks", "list"],
  ["webhooks", "get"],
  ["webhooks", "update"],
  ["webhooks", "delete"],
  ["webhooks", "rotate-secret"],
  ["webhooks", "events"],
  ["webhooks", "recover"],
  ["events", "get"],
  ["events", "attempts"],
  ["events", "redeliver"],
  ["trigger"],
  ["listen"],
];
const OTHER_COMMANDS = [["serve"], ["keys", "create"], ["keys", "list"], ["keys", "revoke"], ["sign"], ["verify"]];

let db: TestDatabase;
let api: TestService;
beforeAll(async () => {
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-b", "packages/cli"], { cwd: ROOT, stdio: "pipe", timeout: 120_000 });
  db = await createTestDatabase("sqlite");
  api = await startTestService(db, { MEDBLOCKS_ROLE: "all" });
}, 150_000);
afterAll(async () => {
  await api?.close();
  await db?.dispose();
});

test("npx medblocks and the bin launcher run the built CLI", async () => {
  const [viaNpx, viaBin] = await Promise.all([runProcess("npx", ["--no-install", "medblocks", "--version"]), runBin(["--version"])]);
  expect(viaNpx.stdout).toBe(`${VERSION}\n`);
  expect(viaBin.stdout).toBe(`${VERSION}\n`);
}, 60_000);

test("--help on every command, with an example; API commands document --api-key and --base-url; all take --json", async () => {
  const helps = await Promise.all([...API_COMMANDS, ...OTHER_COMMANDS].map((command) => runBin([...command, "--help"]).then((result) => ({ command, result }))));
  for (const { command, result } of helps) {
    const name = command.join(" ");
    expect(result.code, name).toBe(0);
    expect(result.stdout, name).toContain(`Usage: medblocks ${name}`);
    expect(result.stdout, name).toMatch(/Examples?:\n {2}\$ medblocks /);
    expect(result.stdout, name).toContain("--json");
    if (API_COMMANDS.includes(command)) {
      expect(result.stdout, name).toContain("--api-key <key>");
      expect(result.stdout, name).toContain("--base-url <url>");
    }
  }
  const top = await runBin(["--help"]);
  for (const group of ["serve", "keys", "webhooks", "events", "trigger", "listen", "sign", "verify"]) expect(top.stdout).toMatch(new RegExp(`^  ${group}\\b`, "m"));
}, 120_000);

test("the built binary talks to a real service: create an endpoint, trigger, see the delivery", async () => {
  const env = { MEDBLOCKS_API_KEY: await api.mintKey("cli-bin"), MEDBLOCKS_BASE_URL: api.url };
  const { startReceiver } = await import("../../server/test/support/receiver.js");
  const receiver = await startReceiver();
  try {
    const endpoint = json(await runBin(["webhooks", "create", "--url", `${receiver.url}/hooks`, "--events", "records.sync.completed", "--json"], { env }));
    const triggered = await runBin(["trigger", "records.sync.completed", "--override", "total=3"], { env });
    expect(triggered.code, triggered.stderr).toBe(0);
    expect(triggered.stdout).toMatch(new RegExp(`^Triggered records\\.sync\\.completed: 1 event\\n  (evt_\\w{26}) → ${endpoint.id}\\n$`));
    const [delivery] = await receiver.waitFor(1, 15_000);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "records.sync.completed", data: { object: { total: 3 } } });
    const unknown = await runBin(["events", "get", "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: resource_not_found: /);
  } finally {
    await receiver.close();
  }
}, 60_000);
