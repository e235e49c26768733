import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../../server/test/support/databases.js";
import { spawnSource, waitForExit } from "../../server/test/support/process.js";
import { startTestService, type TestService } from "../../server/test/support/service.js";

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnSource("packages/cli/src/main.ts", args, { env });
  const code = await waitForExit(child, 30_000);
  return { code, ...child.output() };
}

describeEachDatabase("medblocks keys", (kind) => {
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

  test("create prints a working key once; list shows only its hint; revoke stops it", async () => {
    const created = await cli(["keys", "create", "--org", "cli-org", "--database-url", db.url]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^mb_sk_sbx_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('organization "cli-org"');
    expect((await api.request("GET", "/webhooks", { key })).status).toBe(200);

    const live = await cli(["keys", "create", "--org", "cli-org", "--live", "--json"], { DATABASE_URL: db.url });
    expect(live.code).toBe(0);
    const minted = JSON.parse(live.stdout);
    expect(minted).toMatchObject({ mode: "live", organization: { name: "cli-org" } });
    expect(minted.key).toMatch(/^mb_sk_live_/);

    const listed = await cli(["keys", "list", "--org", "cli-org", "--database-url", db.url, "--json"]);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout).data as { id: string; hint: string; mode: string }[];
    expect(keys.map((k) => k.mode).sort()).toEqual(["live", "sandbox"]);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(minted.key);

    const human = await cli(["keys", "list", "--org", "cli-org", "--database-url", db.url]);
    expect(human.stdout).toMatch(/^ID\s+KEY\s+MODE\s+ORGANIZATION\s+CREATED\s+REVOKED/);
    expect(human.stdout).toContain(`…${key.slice(-4)}`);

    const sandboxId = keys.find((k) => k.mode === "sandbox")!.id;
    const revoked = await cli(["keys", "revoke", sandboxId, "--database-url", db.url]);
    expect(revoked.code).toBe(0);
    expect((await api.request("GET", "/webhooks", { key })).status).toBe(401);
    const again = await cli(["keys", "revoke", sandboxId, "--database-url", db.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no active API key with id ${sandboxId}`);
  }, 120_000);
});

test("keys errors: one line on stderr, non-zero exit, no stack trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "medblocks-cli-"));
  try {
    const missingOrg = await cli(["keys", "create", "--database-url", `sqlite:${join(dir, "x.db")}`]);
    expect(missingOrg.code).not.toBe(0);
    expect(missingOrg.stderr).toContain("--org");
    const badUrl = await cli(["keys", "create", "--org", "x", "--database-url", "mysql://nope"]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr.trim().split("\n")).toHaveLength(1);
    expect(badUrl.stderr).toContain("sqlite:");
    expect(badUrl.stderr).not.toMatch(/\n\s+at /);
    const unknownOrg = await cli(["keys", "list", "--org", "ghost", "--database-url", `sqlite:${join(dir, "x.db")}`]);
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toContain('no organization named "ghost"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
