import type { ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { mintApiKey } from "../../src/bootstrap.js";
import { createTestDatabase, describePostgres, type TestDatabase } from "../support/databases.js";
import { spawnSource, waitForExit, waitForOutput } from "../support/process.js";
import { answer, startReceiver, type TestReceiver } from "../support/receiver.js";
import { startTestService, TEST_ENCRYPTION_KEY, type TestService } from "../support/service.js";
import { rawDb } from "../support/store-fixtures.js";
import { sleep, waitUntil } from "../support/wait.js";

/**
 * Scale-out on PostgreSQL: separate worker processes share one database as store and queue. The
 * API runs in this test process (role `api`); every worker is a real process (role `worker`).
 */
describePostgres("worker processes", () => {
  let db: TestDatabase;
  let api: TestService;
  let receiver: TestReceiver;
  let key: string;
  const workers: (ChildProcess & { output(): { stdout: string; stderr: string } })[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    api = await startTestService(db);
    receiver = await startReceiver();
    key = (await mintApiKey(db.store, "scale-org", "sandbox")).key;
    for (let i = 0; i < 3; i++) {
      await api.request("POST", "/webhooks", { key, body: { url: `${receiver.url}/hook/${i}`, events: ["*"] } });
    }
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.exitCode === null) worker.kill("SIGKILL");
      await waitForExit(worker).catch(() => {});
    }
    receiver.respondWith(answer(200, "ok"));
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await db?.dispose();
  });

  function startWorker(env: Record<string, string> = {}) {
    const worker = spawnSource("packages/server/src/main.ts", [], {
      env: {
        DATABASE_URL: db.url,
        MEDBLOCKS_ROLE: "worker",
        PORT: "",
        MEDBLOCKS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        MEDBLOCKS_BOOTSTRAP_API_KEY: "",
        MEDBLOCKS_DELIVERY_TIMEOUT_MS: "1000",
        MEDBLOCKS_DELIVERY_LEASE_MS: "2000",
        MEDBLOCKS_POLL_INTERVAL_MS: "200",
        ...env,
      },
    });
    workers.push(worker);
    return worker;
  }
  const started = (worker: ReturnType<typeof startWorker>) =>
    waitForOutput(worker, ({ stdout }) => stdout.includes("Medblocks webhook worker started") || stdout.includes("service listening"));

  async function publish(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await api.request("POST", "/events", { key, body: { type: "records.sync.completed", data: { object: { total: i } } } });
      ids.push(...response.body.data.map((r: { id: string }) => r.id));
    }
    return ids;
  }
  const received = (ids: string[]) => {
    const counts = new Map<string, number>();
    for (const r of receiver.requests) {
      const id = r.headers["webhook-id"] as string;
      if (ids.includes(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };

  test("three workers drain one backlog, each event exactly once", async () => {
    // All three are up and idle before the backlog arrives, so every publish is raced for.
    const three = [startWorker(), startWorker(), startWorker()];
    await Promise.all(three.map(started));
    const ids = await publish(100);
    expect(ids).toHaveLength(300);
    await waitUntil(() => received(ids).size === ids.length, 30_000, 50);
    await sleep(500);
    const counts = received(ids);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const undelivered = await rawDb(db.store).selectFrom("events").select("id").where("id", "in", ids).where("delivered_at", "is", null).execute();
    expect(undelivered).toEqual([]);
  }, 60_000);

  test("a worker killed mid-batch loses nothing: its leases expire and another worker delivers", async () => {
    receiver.respondWith((_req, res) => {
      setTimeout(() => res.writeHead(200).end("slow"), 100);
    });
    const victim = startWorker({ MEDBLOCKS_ENDPOINT_CONCURRENCY: "4" });
    await started(victim);
    const ids = await publish(30);
    await waitUntil(() => received(ids).size >= 5, 10_000, 5);
    victim.kill("SIGKILL");
    await waitForExit(victim);
    const survivor = startWorker();
    await started(survivor);
    await waitUntil(() => received(ids).size === ids.length, 30_000, 50);
    await waitUntil(async () => {
      const left = await rawDb(db.store).selectFrom("events").select("id").where("id", "in", ids).where("delivered_at", "is", null).execute();
      return left.length === 0;
    }, 10_000);
  }, 60_000);

  test("a publish wakes idle workers at once through NOTIFY, and a lost notification is covered by the poll", async () => {
    // A poll of a minute (jittered to at least 45 s): only the notification can bring the event
    // within seconds. The bound is generous so a loaded machine cannot make it flaky.
    const worker = startWorker({ MEDBLOCKS_POLL_INTERVAL_MS: "60000" });
    await started(worker);
    await sleep(300);
    const before = Date.now();
    const [id] = await publish(1);
    await waitUntil(() => received([id!]).size === 1, 15_000, 5);
    expect(Date.now() - before).toBeLessThan(15_000);

    // Rows made due without a notification (as if it were lost): the poll still finds them.
    const polling = startWorker({ MEDBLOCKS_POLL_INTERVAL_MS: "300" });
    await started(polling);
    const quiet = await publish(1);
    await waitUntil(() => received(quiet).size === quiet.length);
    // Once the worker has recorded them (its lease released), make them due behind its back.
    await waitUntil(async () => {
      const pending = await rawDb(db.store).selectFrom("events").select("id").where("id", "in", quiet).where("delivered_at", "is", null).execute();
      return pending.length === 0;
    });
    await rawDb(db.store).updateTable("events").set({ next_attempt_at: Date.now(), delivered_at: null }).where("id", "in", quiet).execute();
    const resent = receiver.requests.length;
    await waitUntil(() => receiver.requests.length > resent, 5_000, 20);
  }, 60_000);

  test("a worker given PORT serves /health and /metrics, and nothing else", async () => {
    const worker = startWorker({ PORT: "0" });
    await waitForOutput(worker, ({ stdout }) => stdout.includes("service listening"));
    const url = JSON.parse(worker.output().stdout.split("\n").find((l) => l.includes("service listening"))!).url as string;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain("medblocks_delivery_queue_oldest_due_age_seconds");
    const api404 = await fetch(`${url}/webhooks`, { headers: { authorization: `Bearer ${key}` } });
    expect(api404.status).toBe(404);
    worker.kill("SIGTERM");
    expect(await waitForExit(worker)).toBe(0);
  }, 30_000);
});
