import { afterAll, beforeAll, expect, test } from "vitest";
import { mintApiKey } from "../../src/bootstrap.js";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { spawnSource, waitForExit, waitForOutput } from "../support/process.js";
import { startReceiver, type TestReceiver } from "../support/receiver.js";
import { TEST_ENCRYPTION_KEY } from "../support/service.js";
import { waitUntil } from "../support/wait.js";

/**
 * At-least-once across a crash: the service is killed with SIGKILL while attempts are in flight,
 * a new process starts on the same database, and every event still reaches the receiver.
 */
describeEachDatabase("crash safety", (kind) => {
  let db: TestDatabase;
  let receiver: TestReceiver;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // A slow receiver keeps attempts in flight, so the kill lands in the middle of a batch.
    receiver = await startReceiver((_request, response) => {
      setTimeout(() => response.writeHead(200).end("ok"), 150);
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.dispose();
  });

  const start = () => {
    const child = spawnSource("packages/server/src/main.ts", [], {
      env: {
        DATABASE_URL: db.url,
        PORT: "0",
        MEDBLOCKS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        MEDBLOCKS_BOOTSTRAP_API_KEY: "",
        MEDBLOCKS_DELIVERY_TIMEOUT_MS: "1000",
        MEDBLOCKS_DELIVERY_LEASE_MS: "2000",
        MEDBLOCKS_POLL_INTERVAL_MS: "50",
        MEDBLOCKS_ENDPOINT_CONCURRENCY: "4",
      },
    });
    return child;
  };
  const urlOf = (stdout: string) => {
    const line = stdout.split("\n").find((l) => l.includes("Medblocks webhook service listening"));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  };

  test("SIGKILL mid-batch loses nothing: after a restart every event is delivered at least once", async () => {
    const { key } = await mintApiKey(db.store, "crash-org", "sandbox");
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const first = start();
    await waitForOutput(first, ({ stdout }) => urlOf(stdout) !== undefined);
    const url = urlOf(first.output().stdout)!;
    const created = await fetch(`${url}/webhooks`, { method: "POST", headers, body: JSON.stringify({ url: `${receiver.url}/hook`, events: ["*"] }) });
    expect(created.status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const published = await fetch(`${url}/events`, { method: "POST", headers, body: JSON.stringify({ type: "records.sync.completed", data: { object: { total: i } } }) });
      ids.push(((await published.json()) as { data: { id: string }[] }).data[0]!.id);
    }
    await waitUntil(() => receiver.requests.length >= 6, 10_000, 5);
    first.kill("SIGKILL");
    await waitForExit(first);
    const beforeRestart = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
    expect(beforeRestart.size).toBeLessThan(ids.length);

    const second = start();
    try {
      await waitForOutput(second, ({ stdout }) => urlOf(stdout) !== undefined);
      await waitUntil(() => ids.every((id) => receiver.requests.some((r) => r.headers["webhook-id"] === id)), 20_000, 20);
      const secondUrl = urlOf(second.output().stdout)!;
      await waitUntil(async () => {
        const records = await Promise.all(ids.map(async (id) => (await (await fetch(`${secondUrl}/events/${id}`, { headers })).json()) as { delivered_at: string | null }));
        return records.every((r) => r.delivered_at !== null);
      }, 10_000);
    } finally {
      second.kill("SIGTERM");
      await waitForExit(second);
    }
  }, 60_000);
});
