import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createStore } from "../src/store/create-store.js";
import { spawnSource, waitForExit, waitForOutput } from "./support/process.js";

/** Starting the service as a new user does: a real process, an empty data directory, real signals. */
describe("starting the service", () => {
  const dir = mkdtempSync(join(tmpdir(), "medblocks-start-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PORT: "0", DATABASE_URL: "", MEDBLOCKS_ENCRYPTION_KEY: "", MEDBLOCKS_BOOTSTRAP_API_KEY: "" };

  const listeningUrl = (stdout: string) => {
    const line = stdout.split("\n").find((l) => l.includes("Medblocks webhook service listening"));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  };

  test("first start prints a sandbox key once, creates a 0600 encryption key, and stops cleanly on SIGTERM", async () => {
    const first = spawnSource("packages/server/src/main.ts", [], { cwd: dir, env });
    await waitForOutput(first, ({ stdout }) => listeningUrl(stdout) !== undefined);
    const { stdout } = first.output();
    const key = /MEDBLOCKS_API_KEY=(mb_sk_sbx_\S+)/.exec(stdout)?.[1];
    expect(key).toBeDefined();
    const url = listeningUrl(stdout)!;
    const listed = await fetch(`${url}/webhooks`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    expect(statSync(join(dir, "data", "medblocks.db")).isFile()).toBe(true);
    expect(statSync(join(dir, "data", "encryption.key")).mode & 0o777).toBe(0o600);
    first.kill("SIGTERM");
    expect(await waitForExit(first)).toBe(0);

    // The key was stored as a hash only.
    const database = readFileSync(join(dir, "data", "medblocks.db"));
    expect(database.includes(Buffer.from(key!))).toBe(false);

    const second = spawnSource("packages/server/src/main.ts", [], { cwd: dir, env });
    await waitForOutput(second, ({ stdout }) => listeningUrl(stdout) !== undefined);
    expect(second.output().stdout).not.toContain("MEDBLOCKS_API_KEY=");
    const again = await fetch(`${listeningUrl(second.output().stdout)}/webhooks`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    second.kill("SIGINT");
    expect(await waitForExit(second)).toBe(0);
  });

  test("MEDBLOCKS_BOOTSTRAP_API_KEY is ensured in organization default and nothing is printed; once revoked, the start refuses", async () => {
    const key = "mb_sk_live_bootstrapbootstrapbootstrap01";
    const databaseUrl = `sqlite:${join(dir, "bootstrap.db")}`;
    const child = spawnSource("packages/server/src/main.ts", [], { cwd: dir, env: { ...env, DATABASE_URL: databaseUrl, MEDBLOCKS_BOOTSTRAP_API_KEY: key } });
    await waitForOutput(child, ({ stdout }) => listeningUrl(stdout) !== undefined);
    expect(child.output().stdout).not.toContain("MEDBLOCKS_API_KEY=");
    const response = await fetch(`${listeningUrl(child.output().stdout)}/webhooks`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    child.kill("SIGTERM");
    expect(await waitForExit(child)).toBe(0);

    // Revoked meanwhile: the next start refuses, rather than bringing the key back to life.
    const store = await createStore(databaseUrl);
    try {
      const [minted] = await store.listApiKeys();
      expect(await store.revokeApiKey(minted!.id, Date.now())).toBe(true);
    } finally {
      await store.close();
    }
    const restarted = spawnSource("packages/server/src/main.ts", [], { cwd: dir, env: { ...env, DATABASE_URL: databaseUrl, MEDBLOCKS_BOOTSTRAP_API_KEY: key } });
    expect(await waitForExit(restarted)).toBe(1);
    expect(restarted.output().stderr + restarted.output().stdout).toContain("MEDBLOCKS_BOOTSTRAP_API_KEY names a key that was revoked");
  });

  test.each([
    [{ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" }, "MEDBLOCKS_ENCRYPTION_KEY is required with PostgreSQL"],
    [{ MEDBLOCKS_ENCRYPTION_KEY: "too-short" }, "MEDBLOCKS_ENCRYPTION_KEY must be 32 random bytes"],
    [{ MEDBLOCKS_RETRY_SCHEDULE: "0,5,1m" }, "MEDBLOCKS_RETRY_SCHEDULE: '5' is not a delay"],
    [{ MEDBLOCKS_ROLE: "both" }, "MEDBLOCKS_ROLE must be"],
    [{ PORT: "http" }, "PORT must be an integer"],
    [{ DATABASE_URL: "mysql://localhost/db" }, "sqlite:"],
    [{ MEDBLOCKS_BOOTSTRAP_API_KEY: "sk_test_123" }, "MEDBLOCKS_BOOTSTRAP_API_KEY must look like"],
  ])("refuses to start with %j, saying why", async (overrides, message) => {
    const child = spawnSource("packages/server/src/main.ts", [], { cwd: dir, env: { ...env, DATABASE_URL: `sqlite:${join(dir, "refuse.db")}`, ...overrides } });
    expect(await waitForExit(child)).toBe(1);
    expect(child.output().stderr + child.output().stdout).toContain(message);
  });
});
