// Delivery engine throughput and latency on SQLite, against the raw undici POST rate to the same
// receiver, all measured in this one run. The receiver is a plain node:http server answering 200 in
// a child process (this file, run with the argument `receiver`), so it never shares an event loop
// with what is measured. Only 127.0.0.1 is ever contacted.
//
//  1. raw: undici `request` on one Agent, CONCURRENCY requests in flight, the body of a delivery
//     and headers of the same size (signatures precomputed); measured before and after the
//     engine runs and right before and after each round of delivery alone; once more at the end
//     through undici's handler API (`dispatch`), which the engine's sender uses, shown for
//     context beside the goal;
//  2. engine: the service in-process (role `all`, a temp data dir), ENDPOINTS sandbox endpoints at
//     the receiver, FACTS facts published in-process (each fans out to every endpoint):
//     end to end, timed from the first publish (publishing runs alongside delivery in the same
//     process) to the last delivery received and to the last one recorded as delivered, against
//     the median of every raw rate; then DRAIN_ROUNDS rounds of delivery alone, the same backlog
//     published with the dispatcher stopped and timed from its start, each against the mean of the
//     raw rates measured right before and right after it (the machine's speed drifts within a run;
//     a round and the raw rates around it see the same machine), and the median of those ratios is
//     the result;
//     then the engine's sender alone (no queue, no store), the part no database work can remove;
//  3. latency: RATE facts/s for SECONDS to one endpoint, from each publish's scheduled time to the
//     arrival at the receiver; published in-process, then with POST /events from the receiver's
//     process.
//
// Goals (issue 5): engine/raw >= 0.5; p99 <= 50 ms at 500 events/s.
// Every figure of CPU counts both processes (this one, with its main thread apart on Linux, and the
// receiver's), so the report also shows the most the machine's cores allow at those costs.
// Knobs (env): BENCH_FACTS, BENCH_ENDPOINTS, BENCH_CONCURRENCY, BENCH_RATE, BENCH_SECONDS.
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";

const int = (name, fallback) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const ENDPOINTS = int("BENCH_ENDPOINTS", 8);
const FACTS = int("BENCH_FACTS", 2_500); // x ENDPOINTS deliveries
const CONCURRENCY = int("BENCH_CONCURRENCY", 64);
const RATE = int("BENCH_RATE", 500);
const SECONDS = int("BENCH_SECONDS", 10);
const DRAIN_ROUNDS = 3;
const RAW_REQUESTS = FACTS * ENDPOINTS;
const WAIT_MS = 180_000; // upper bound on any single wait
const now = () => performance.timeOrigin + performance.now();

if (process.argv[2] === "receiver") runReceiver();
else await main();

// ---------------------------------------------------------------------------------------------
// The receiver (child process)
// ---------------------------------------------------------------------------------------------

function runReceiver() {
  let count = 0;
  let unique = new Set();
  let arrivals = null; // [webhook-id, arrival time] while recording
  let waiters = [];
  const server = createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      const id = req.headers["webhook-id"];
      count++;
      if (id) unique.add(id);
      if (arrivals && id) arrivals.push([id, now()]);
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      if (waiters.length) {
        waiters = waiters.filter((w) => {
          if (unique.size < w.count) return true;
          w.done();
          return false;
        });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send({ type: "listening", port: server.address().port }));

  process.on("message", async (msg) => {
    const reply = (body) => process.send({ type: "reply", id: msg.id, ...body });
    switch (msg.cmd) {
      case "reset":
        count = 0;
        unique = new Set();
        arrivals = msg.record ? [] : null;
        return reply({});
      case "stats":
        return reply({ count, unique: unique.size });
      case "cpu": {
        const used = process.cpuUsage();
        return reply({ micros: used.user + used.system });
      }
      case "waitFor": {
        if (unique.size >= msg.count) return reply({ ok: true, at: now() });
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reply({ ok: false, unique: unique.size });
        }, msg.timeoutMs);
        const waiter = { count: msg.count, done: () => (clearTimeout(timer), reply({ ok: true, at: now() })) };
        waiters.push(waiter);
        return;
      }
      case "arrivals":
        return reply({ arrivals: arrivals ?? [] });
      case "httpPublish":
        return reply(await httpPublish(msg));
      case "exit":
        server.close();
        process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

/**
 * POST /events at `rate`/s for `seconds` from this process, at most HTTP_IN_FLIGHT at once (a
 * request that has to wait for a free one still counts from its scheduled time). Returns the
 * scheduled time of each created event, and how many requests failed with the first reason.
 */
async function httpPublish({ url, key, rate, seconds, fact }) {
  const HTTP_IN_FLIGHT = 64;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: HTTP_IN_FLIGHT });
  const total = rate * seconds;
  const body = JSON.stringify(fact);
  const sent = [];
  const pending = new Set();
  let failures = 0;
  let firstFailure = null;
  const start = now() + 20;
  for (let i = 0; i < total; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 0.5));
    while (pending.size >= HTTP_IN_FLIGHT) await Promise.race(pending);
    const task = request(`${url}/events`, { method: "POST", dispatcher: agent, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`POST /events answered ${res.statusCode}: ${text.slice(0, 200)}`);
        for (const event of JSON.parse(text).data) sent.push([event.id, at]);
      })
      .catch((error) => {
        failures++;
        firstFailure ??= String(error?.message ?? error);
      })
      .finally(() => pending.delete(task));
    pending.add(task);
  }
  await Promise.all(pending);
  await agent.close();
  return { sent, failures, firstFailure };
}

// ---------------------------------------------------------------------------------------------
// The measuring process
// ---------------------------------------------------------------------------------------------

async function startReceiverProcess() {
  const child = fork(fileURLToPath(import.meta.url), ["receiver"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (msg) => msg.type === "listening" && resolve(msg.port));
  });
  let next = 0;
  const calls = new Map();
  child.on("message", (msg) => {
    if (msg.type !== "reply") return;
    calls.get(msg.id)?.(msg);
    calls.delete(msg.id);
  });
  const call = (cmd, args = {}) =>
    new Promise((resolve) => {
      const id = next++;
      calls.set(id, resolve);
      child.send({ id, cmd, ...args });
    });
  return { url: `http://127.0.0.1:${port}`, call, stop: () => child.send({ id: -1, cmd: "exit" }) };
}

/**
 * One POST through undici's handler API (`dispatch`), as the engine's sender makes it: no response
 * stream, the body read in the handler's callbacks. Resolves with the status code.
 */
function postThroughHandler(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    let status = 0;
    agent.dispatch(
      { origin: url.origin, path: url.pathname, method: "POST", headers, body },
      {
        // undici tells this handler API from the older one by `onRequestStart`.
        onRequestStart: () => {},
        onResponseStart: (_controller, statusCode) => (status = statusCode),
        onResponseData: () => {},
        onResponseEnd: () => resolve(status),
        onResponseError: (_controller, error) => reject(error),
      },
    );
  });
}

/**
 * The raw floor: undici POSTs with CONCURRENCY in flight on one Agent, `total` requests, through
 * `request()` (the goal's baseline) or, with `throughHandler`, through the handler API.
 */
async function rawRate(receiver, body, headers, total, throughHandler = false) {
  await receiver.call("reset");
  const agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 6_000 }, headersTimeout: 6_000, bodyTimeout: 6_000 });
  const target = new URL(`${receiver.url}/raw`);
  let issued = 0;
  let failed = 0;
  const cpu = await cpuSnapshot(receiver);
  const started = now();
  const deadline = started + 60_000;
  async function worker() {
    while (issued < total && now() < deadline) {
      const n = issued++;
      try {
        const requestHeaders = { ...headers, "webhook-id": `evt_raw_${n}` };
        if (throughHandler) {
          if ((await postThroughHandler(agent, target, Object.entries(requestHeaders).flat(), body)) !== 200) failed++;
          continue;
        }
        const res = await request(target, { method: "POST", dispatcher: agent, headers: requestHeaders, body });
        await res.body.text();
        if (res.statusCode !== 200) failed++;
      } catch {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (now() - started) / 1000;
  const used = cpuPer(cpu, await cpuSnapshot(receiver), issued);
  await agent.close();
  return { rate: (issued - failed) / seconds, issued, failed, seconds, cpu: used };
}

/**
 * CPU used so far, in µs: this process, its main thread alone (Linux, from /proc; null elsewhere)
 * and the receiver's process. The main thread's share shows how much of a delivery the delivery
 * thread and V8's helper threads (garbage collection) carry instead.
 */
async function cpuSnapshot(receiver) {
  const used = process.cpuUsage();
  return { process: used.user + used.system, mainThread: mainThreadMicros(), receiver: (await receiver.call("cpu")).micros };
}

function mainThreadMicros() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** CPU per unit of work between two snapshots. */
function cpuPer(before, after, count) {
  return {
    process: (after.process - before.process) / count,
    mainThread: before.mainThread === null || after.mainThread === null ? null : (after.mainThread - before.mainThread) / count,
    receiver: (after.receiver - before.receiver) / count,
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Latency percentiles; `goal` says whether this path carries the issue's goal or is shown for context. */
function latencyReport(label, sent, arrivals, goal = true) {
  const first = new Map();
  for (const [id, at] of arrivals) if (!first.has(id)) first.set(id, at);
  const latencies = [];
  let missing = 0;
  for (const [id, at] of sent) {
    const arrived = first.get(id);
    if (arrived === undefined) missing++;
    else latencies.push(arrived - at);
  }
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const max = latencies[latencies.length - 1];
  const ok = missing === 0 && p99 <= 50;
  console.log(
    `  ${label.padEnd(34)} n=${latencies.length}${missing ? ` (MISSING ${missing})` : ""}  ` +
      `p50 ${p50.toFixed(1)} ms  p90 ${percentile(latencies, 90).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  max ${max.toFixed(1)} ms` +
      (goal ? `  (goal p99 <= 50 ms) ${ok ? "ok" : "MISSED"}` : `  (for context: ${ok ? "within" : "over"} 50 ms)`),
  );
  return { p50, p99, max, ok };
}

async function main() {
  const { startService, loadConfig, mintApiKey, createLogger } = await import("@medblocks/server");
  const sdk = await import("@medblocks/connect");
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cores`);

  const dataDir = mkdtempSync(join(tmpdir(), "medblocks-bench-"));
  const receiver = await startReceiverProcess();
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dataDir, "bench.db")}`,
    PORT: "0",
    HOST: "127.0.0.1",
    MEDBLOCKS_ROLE: "all",
    MEDBLOCKS_BOOTSTRAP_API_KEY: "",
    MEDBLOCKS_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64"),
    MEDBLOCKS_DELIVERY_CONCURRENCY: String(CONCURRENCY),
    MEDBLOCKS_ENDPOINT_CONCURRENCY: String(Math.max(1, Math.ceil(CONCURRENCY / ENDPOINTS))),
    LOG_LEVEL: "warn",
  });
  const service = await startService(config, { logger: createLogger("warn"), onBootstrapKey: () => {} });
  // The store's query builder (not part of the Store contract), to count what is recorded.
  const db = service.store.db;
  const deliveredCount = async () =>
    Number((await db.selectFrom("events").select((eb) => eb.fn.countAll().as("n")).where("delivered_at", "is not", null).executeTakeFirstOrThrow()).n);

  const fact = (n) => ({ type: "patient_flow.completed", data: { object: { ...sdk.fixtures.patientFlowCompleted().data.object, metadata: { bench: String(n) } } } });

  async function workspace(name, endpoints) {
    const minted = await mintApiKey(service.store, name, "sandbox");
    for (let i = 0; i < endpoints; i++) {
      const res = await request(`${service.url}/webhooks`, {
        method: "POST",
        headers: { authorization: `Bearer ${minted.key}`, "content-type": "application/json" },
        body: JSON.stringify({ url: `${receiver.url}/hook/${name}/${i}`, events: ["*"] }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`creating an endpoint failed: ${res.statusCode} ${text}`);
    }
    return { ws: { organizationId: minted.organizationId, mode: "sandbox" }, key: minted.key };
  }

  /** Publishes `facts` in-process, at most `parallel` at once; resolves with the event ids. */
  async function publishBulk(ws, facts, parallel = 16) {
    let issued = 0;
    let events = 0;
    async function lane() {
      while (issued < facts) {
        const n = issued++;
        const result = await service.publish(ws, fact(n));
        events += result.events.length;
      }
    }
    await Promise.all(Array.from({ length: parallel }, lane));
    return events;
  }

  async function waitDelivered(target, label) {
    const deadline = now() + WAIT_MS;
    let seen = 0;
    while ((seen = await deliveredCount()) < target) {
      if (now() > deadline) throw new Error(`${label}: only ${seen} of ${target} recorded as delivered within ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return now();
  }

  try {
    // The body and headers a delivery carries, for the raw floor.
    const throughput = await workspace("bench-throughput", ENDPOINTS);
    const sample = (await service.publish(throughput.ws, fact(0))).events[0];
    const t = Math.floor(Date.now() / 1000);
    const signed = await sdk.signDeliveryHeaders({ id: sample.id, payload: sample.payload, secrets: ["whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE="], timestamp: t });
    const rawHeaders = { "content-type": "application/json", "user-agent": "Medblocks-Webhooks/0.1.0", ...signed };
    let expectedDelivered = ENDPOINTS;

    // Warm both paths (JIT, connections, SQLite pages) before anything is measured.
    await rawRate(receiver, sample.payload, rawHeaders, 4_000);
    await receiver.call("reset");
    expectedDelivered += await publishBulk(throughput.ws, 250);
    await waitDelivered(expectedDelivered, "warm-up");

    const rate = (n) => Math.round(n).toLocaleString("en-US");
    const cpuBreakdown = (used) =>
      `${used.process.toFixed(0).padStart(7)} µs in this process` +
      (used.mainThread === null ? "" : ` (main thread ${used.mainThread.toFixed(0)}, other threads ${(used.process - used.mainThread).toFixed(0)})`) +
      `, ${used.receiver.toFixed(0)} in the receiver`;
    const raws = [];
    const describeRaw = (label, raw) =>
      console.log(
        `  ${label.padEnd(36)} ${rate(raw.rate).padStart(7)} req/s  (${raw.issued} in ${raw.seconds.toFixed(2)} s${raw.failed ? `, ${raw.failed} FAILED` : ""}; ` +
          `${raw.cpu.process.toFixed(0)} µs of CPU per request in this process, ${raw.cpu.receiver.toFixed(0)} in the receiver)`,
      );
    const measureRaw = async (label) => {
      const raw = await rawRate(receiver, sample.payload, rawHeaders, RAW_REQUESTS);
      raws.push(raw);
      describeRaw(label, raw);
      return raw;
    };
    /** Waits until the receiver has every delivery and the store has recorded them all. */
    const finish = async (published, started, cpu, label) => {
      const received = await receiver.call("waitFor", { count: published, timeoutMs: WAIT_MS });
      if (!received.ok) throw new Error(`${label}: the receiver got ${received.unique} of ${published} within ${WAIT_MS} ms`);
      expectedDelivered += published;
      const recordedAt = await waitDelivered(expectedDelivered, label);
      const used = cpuPer(cpu, await cpuSnapshot(receiver), published);
      const stats = await receiver.call("stats");
      if (stats.count !== stats.unique) console.log(`  (${stats.count - stats.unique} duplicate requests)`);
      return {
        receivedRate: published / ((received.at - started) / 1000),
        recordedRate: published / ((recordedAt - started) / 1000),
        seconds: (recordedAt - started) / 1000,
        cpu: used,
      };
    };

    console.log(`\nraw: undici POST, one Agent, ${CONCURRENCY} in flight, ${sample.payload.length}-byte body and delivery-sized headers, to a node:http receiver in another process`);
    await measureRaw("before the engine runs");

    console.log(`\nengine on SQLite: ${FACTS} facts x ${ENDPOINTS} endpoints = ${FACTS * ENDPOINTS} deliveries, concurrency ${config.deliveryConcurrency}, per endpoint ${config.endpointConcurrency}`);
    await receiver.call("reset");
    let cpu = await cpuSnapshot(receiver);
    let started = now();
    const published = await publishBulk(throughput.ws, FACTS);
    const publishSeconds = (now() - started) / 1000;
    const e2e = await finish(published, started, cpu, "engine");
    console.log(`  end to end: publishing in-process (16 at a time, ${publishSeconds.toFixed(2)} s) while delivering`);
    console.log(`    first publish -> all received   ${rate(e2e.receivedRate).padStart(7)} deliveries/s`);
    console.log(`    first publish -> all recorded   ${rate(e2e.recordedRate).padStart(7)} deliveries/s  (${e2e.seconds.toFixed(2)} s)`);
    console.log(`    CPU per delivery                ${cpuBreakdown(e2e.cpu)}, publishing included`);

    // The same backlog published first, with the dispatcher stopped: delivery alone, in rounds.
    const drains = [];
    for (let round = 1; round <= DRAIN_ROUNDS; round++) {
      await service.dispatcher.stop();
      const backlog = await publishBulk(throughput.ws, FACTS);
      const before = await measureRaw(`raw, before delivery alone ${round}`);
      await receiver.call("reset");
      cpu = await cpuSnapshot(receiver);
      started = now();
      service.dispatcher.start();
      const drain = await finish(backlog, started, cpu, "drain");
      const after = await measureRaw(`raw, after delivery alone ${round}`);
      drain.rawRate = (before.rate + after.rate) / 2;
      drain.ratio = drain.recordedRate / drain.rawRate;
      drains.push(drain);
      console.log(`  delivery alone ${round}: a published backlog of ${backlog}`);
      console.log(`    start -> all received           ${rate(drain.receivedRate).padStart(7)} deliveries/s`);
      console.log(
        `    start -> all recorded           ${rate(drain.recordedRate).padStart(7)} deliveries/s  (${drain.seconds.toFixed(2)} s) = ${drain.ratio.toFixed(2)}x the mean raw rate around it`,
      );
      console.log(`    CPU per delivery                ${cpuBreakdown(drain.cpu)}`);
    }
    // The round with the median ratio stands for delivery alone below.
    const drain = [...drains].sort((a, b) => a.ratio - b.ratio)[Math.floor(drains.length / 2)];

    // The engine's sender on its own (signing, the SSRF check, the deadline, undici; no queue, no
    // store): the part of a delivery that no database work can remove.
    const { createSender } = await import(new URL("../packages/server/dist/delivery/sender.js", import.meta.url).href);
    const sender = createSender({ timeoutMs: config.deliveryTimeoutMs, allowPrivateNetworks: false });
    const secretsOfSample = ["whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE="];
    const sendAll = async (total) => {
      let issued = 0;
      let failed = 0;
      const cpuBefore = process.cpuUsage();
      const t = now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (issued < total) {
            issued++;
            const result = await sender.send({ eventId: sample.id, url: `${receiver.url}/sender`, payload: sample.payload, secrets: secretsOfSample, mode: "sandbox" });
            if (result.outcome !== "delivered") failed++;
          }
        }),
      );
      const used = process.cpuUsage(cpuBefore);
      return { rate: total / ((now() - t) / 1000), cpu: (used.user + used.system) / total, failed };
    };
    await sendAll(2_000);
    const alone = await sendAll(RAW_REQUESTS);
    await sender.close();
    console.log(
      `  the engine's sender alone (no queue, no store)  ${rate(alone.rate).padStart(7)} sends/s${alone.failed ? ` (${alone.failed} FAILED)` : ""}; ` +
        `${alone.cpu.toFixed(0)} µs of CPU per send`,
    );

    await measureRaw("raw, after the engine runs");
    // For context, not the goal: the same raw loop through undici's handler API, as the engine's
    // sender posts. The goal's baseline stays `request()`, the API issue 5 names for the raw rate.
    await rawRate(receiver, sample.payload, rawHeaders, 4_000, true);
    const rawThroughHandler = await rawRate(receiver, sample.payload, rawHeaders, RAW_REQUESTS, true);
    describeRaw("raw through the handler API (context)", rawThroughHandler);
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const rawRateMedian = median(raws.map((raw) => raw.rate));
    const ratio = e2e.recordedRate / rawRateMedian;
    const rawCpuMedian = median(raws.map((raw) => raw.cpu.process));
    console.log(
      `  ratios to the raw rate: end to end ${ratio.toFixed(2)} (against the median raw rate, ${rate(rawRateMedian)} req/s) (goal >= 0.50) ${ratio >= 0.5 ? "ok" : "MISSED"}` +
        ` | delivery alone ${drain.ratio.toFixed(2)} (median of ${drains.map((d) => d.ratio.toFixed(2)).join(", ")}) (goal >= 0.50) ${drain.ratio >= 0.5 ? "ok" : "MISSED"}`,
    );
    console.log(
      `  for context: delivery alone (${rate(drain.recordedRate)}/s) is ${(drain.recordedRate / rawThroughHandler.rate).toFixed(2)}x the raw rate through the handler API ` +
        `(measured after it, so the machine may have drifted in between)`,
    );
    console.log(
      `  CPU per delivery against CPU per raw request (${rawCpuMedian.toFixed(0)} µs): end to end ${(e2e.cpu.process / rawCpuMedian).toFixed(1)}x,` +
        ` delivery alone ${(drain.cpu.process / rawCpuMedian).toFixed(1)}x (less noisy than the rates on a shared machine)`,
    );
    // What the machine's cores allow at these CPU costs, whatever the scheduling: both processes
    // share them, so no rate above this is possible without less CPU per delivery.
    const cores = cpus().length;
    const drainCpuBothSides = drain.cpu.process + drain.cpu.receiver;
    const ceiling = (cores * 1_000_000) / drainCpuBothSides;
    console.log(
      `  CPU ceiling: delivery alone takes ${drainCpuBothSides.toFixed(0)} µs of CPU per delivery in both processes, so ${cores} cores ` +
        `allow at most ${rate(ceiling)} deliveries/s = ${(ceiling / drain.rawRate).toFixed(2)}x the mean raw rate around that round with every core busy ` +
        `(a raw request takes ${(rawCpuMedian + median(raws.map((raw) => raw.cpu.receiver))).toFixed(0)} µs in both)`,
    );

    // Latency at a fixed moderate rate: one endpoint, RATE facts/s.
    console.log(`\npublish -> receipt latency, ${RATE} events/s for ${SECONDS} s to one endpoint (from each publish's scheduled time)`);
    const latency = await workspace("bench-latency", 1);
    const paced = async (seconds, record) => {
      await receiver.call("reset", { record });
      const total = RATE * seconds;
      const sent = [];
      const pending = [];
      const start = now() + 20;
      for (let i = 0; i < total; i++) {
        const at = start + (i * 1000) / RATE;
        const wait = at - now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 0.5));
        pending.push(service.publish(latency.ws, fact(i)).then((r) => sent.push([r.events[0].id, at])));
      }
      await Promise.all(pending);
      const got = await receiver.call("waitFor", { count: sent.length, timeoutMs: 30_000 });
      if (!got.ok) console.log(`  only ${got.unique} of ${sent.length} arrived within 30 s`);
      return { sent, arrivals: (await receiver.call("arrivals")).arrivals };
    };
    await paced(1, false); // warm-up
    const inProcess = await paced(SECONDS, true);
    const lat = latencyReport("in-process publish", inProcess.sent, inProcess.arrivals);

    await receiver.call("reset", { record: true });
    const overHttp = await receiver.call("httpPublish", { url: service.url, key: latency.key, rate: RATE, seconds: 1, fact: fact(0) }); // warm-up
    await receiver.call("waitFor", { count: overHttp.sent.length, timeoutMs: 30_000 });
    await receiver.call("reset", { record: true });
    const http = await receiver.call("httpPublish", { url: service.url, key: latency.key, rate: RATE, seconds: SECONDS, fact: fact(0) });
    const gotHttp = await receiver.call("waitFor", { count: http.sent.length, timeoutMs: 30_000 });
    if (!gotHttp.ok) console.log(`  only ${gotHttp.unique} of ${http.sent.length} arrived within 30 s`);
    if (http.failures) console.log(`  ${http.failures} POST /events FAILED (first: ${http.firstFailure})`);
    // The API's own cost (authentication, validation, one transaction per request) is in this figure.
    latencyReport("POST /events (from another process)", http.sent, (await receiver.call("arrivals")).arrivals, false);

    console.log(
      `\nsummary: raw ${rate(rawRateMedian)} req/s; engine ${rate(e2e.recordedRate)} deliveries/s end to end = ${ratio.toFixed(2)}, ` +
        `${rate(drain.recordedRate)}/s delivery alone = ${drain.ratio.toFixed(2)} (goal >= 0.50: ${ratio >= 0.5 ? "ok" : drain.ratio >= 0.5 ? "delivery alone only" : "MISSED"}); ` +
        `latency at ${RATE}/s p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms (goal <= 50 ms: ${lat.ok ? "ok" : "MISSED"})`,
    );
  } finally {
    await service.close();
    receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
