// Scale-out on PostgreSQL (issue 7), every figure from this one run on this machine, against the
// PostgreSQL on 127.0.0.1:5432 in fresh schemas that are dropped at the end. Only 127.0.0.1 is
// ever contacted. The receiver is a plain node:http server answering 200 in a child process (this
// file run with the argument `receiver`); workers are real `node packages/server/dist/main.js`
// processes with MEDBLOCKS_ROLE=worker.
//
//  1. raw: undici request() POSTs of a delivery-sized, signed body to the receiver from one
//     process, with as many in flight as the workers of each run hold in total (64 per worker),
//     measured before and after the worker runs (the mean is the floor each run is compared to);
//  2. workers: for 1, 2 and 4 worker processes, a backlog of FACTS facts x ENDPOINTS endpoints is
//     published in-process (role `api` service in this process) while no worker runs, held out of
//     the queue (its due times shifted far ahead in SQL), the workers are started and warmed on a
//     small held batch, then the backlog is shifted back to its publish times, in publish order, in
//     one transaction with the NOTIFY a publish sends (tables VACUUM ANALYZEd first, as autovacuum
//     would have). Timed from that commit to the last delivery received and to the last one
//     recorded delivered. Since this host is shared, the run also reports the CPU spent per
//     delivery (from /proc) by the workers, by the PostgreSQL backends of their connections and by
//     the receiver, which other load skews far less than a rate;
//  3. publish: facts/s and events created/s, in-process `service.publish` (16 at a time) and
//     `POST /events` over HTTP with autocannon against a role `api` service in its own process,
//     with a fan-out of 1 and of ENDPOINTS endpoints;
//  4. claim: `store.claimDue({ limit: 64 })` latency with 10k, 100k and 1M due rows for one
//     endpoint, inserted with INSERT … SELECT generate_series (a few claims before, and the
//     measured ones after, a VACUUM ANALYZE), every claim handed back so each backlog stays the
//     same size, sizes interleaved round by round, median reported. Also the flood case: that
//     endpoint excluded (at its in-flight cap) while another endpoint has 10 due rows behind the
//     flood, and the plan of the claim's SELECT under EXPLAIN ANALYZE.
//
// Goals (issue 7): >= 5,000 deliveries/s with 2 workers, receiver on the same host; claim at 1M
// due rows within 1.5x of 10k.
// Knobs (env): BENCH_FACTS (2500), BENCH_ENDPOINTS (8), BENCH_WORKERS (1,2,4), BENCH_CLAIM_SIZES
// (10000,100000,1000000), BENCH_PUBLISH_SECONDS (5).
import { execFileSync, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const MAIN = join(ROOT, "packages/server/dist/main.js");
const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

const int = (name, fallback) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const list = (name, fallback) => {
  const values = (process.env[name] ?? "").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return values.length ? values : fallback;
};
const FACTS = int("BENCH_FACTS", 2_500);
const ENDPOINTS = int("BENCH_ENDPOINTS", 8);
const WORKER_COUNTS = list("BENCH_WORKERS", [1, 2, 4]);
const CLAIM_SIZES = list("BENCH_CLAIM_SIZES", [10_000, 100_000, 1_000_000]);
const PUBLISH_SECONDS = int("BENCH_PUBLISH_SECONDS", 5);
const WORKER_CONCURRENCY = 64; // the default MEDBLOCKS_DELIVERY_CONCURRENCY, set explicitly
const ENDPOINT_CONCURRENCY = 8; // the default MEDBLOCKS_ENDPOINT_CONCURRENCY, set explicitly
const WARM_FACTS = 250;
const CLAIM_LIMIT = 64;
const OTHER_ROWS = 10;
const WAIT_MS = 120_000; // upper bound on any single wait
// Held events have their due time shifted this far ahead (a multiple of it per batch), which keeps
// the order they were published in for when they are shifted back.
const HOLD = 1_000_000_000_000_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const ms = (n) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : "n/a");
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

// ---------------------------------------------------------------------------------------------
// The receiver (child process): counts requests and distinct webhook-ids, answers 200 "ok".
// ---------------------------------------------------------------------------------------------

function runReceiver() {
  let requests = 0;
  let seen = new Set();
  let firstAt = null;
  let lastAt = null;
  let waiter = null;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const at = now();
      requests++;
      firstAt ??= at;
      const id = req.headers["webhook-id"];
      if (typeof id === "string" && !seen.has(id)) {
        seen.add(id);
        lastAt = at;
        if (waiter && seen.size >= waiter.count) waiter.done(true);
      }
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(0, "127.0.0.1", () => process.connected && process.send({ type: "listening", port: server.address().port }));

  const stats = () => ({ requests, unique: seen.size, firstAt, lastAt });
  process.on("message", (msg) => {
    const reply = (body) => process.send({ type: "reply", id: msg.id, ...body });
    if (msg.cmd === "reset") {
      requests = 0;
      seen = new Set();
      firstAt = lastAt = null;
      reply({});
    } else if (msg.cmd === "stats") {
      reply(stats());
    } else if (msg.cmd === "waitFor") {
      if (seen.size >= msg.count) return reply({ ok: true, ...stats() });
      const timer = setTimeout(() => waiter?.done(false), msg.timeoutMs);
      waiter = {
        count: msg.count,
        done(ok) {
          clearTimeout(timer);
          waiter = null;
          reply({ ok, ...stats() });
        },
      };
    } else if (msg.cmd === "exit") {
      server.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Processes this benchmark starts, and their cleanup
// ---------------------------------------------------------------------------------------------

const children = new Set();

async function startReceiver() {
  const child = fork(fileURLToPath(import.meta.url), ["receiver"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the receiver did not start within 10 s")), 10_000);
    child.once("exit", (code) => reject(new Error(`the receiver exited with ${code}`)));
    child.on("message", (msg) => {
      if (msg.type === "listening") {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
  });
  let next = 0;
  const pending = new Map();
  child.on("message", (msg) => {
    if (msg.type !== "reply") return;
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      // Every command answers at once except waitFor, which answers by its own timeout.
      const timer = setTimeout(() => reject(new Error(`receiver: no answer to ${cmd}`)), (args.timeoutMs ?? 0) + 10_000);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      child.send({ id, cmd, ...args });
    });
  return { url: `http://127.0.0.1:${port}`, call, child };
}

/** A server process from the built package; resolves once it prints `readyText` or `probe()` is true. */
async function startServerProcess(name, env, { readyText, probe }) {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 30 s:\n${output}`)), 30_000);
    const onExit = (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it started:\n${output}`));
    let finished = false;
    const onData = () => {
      if (readyText === undefined || !output.includes(readyText)) return;
      done();
      resolve();
    };
    const poll = async () => {
      while (probe && !finished) {
        if (await probe().catch(() => false)) {
          if (!finished) {
            done();
            resolve();
          }
          return;
        }
        await sleep(50);
      }
    };
    function done() {
      finished = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout.off("data", onData);
    }
    function fail(error) {
      done();
      reject(error);
    }
    child.once("exit", onExit);
    child.stdout.on("data", onData);
    void poll();
  });
  return { child, output: () => output };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

async function stopReceiver(receiver) {
  const { child } = receiver;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.connected) child.send({ id: -1, cmd: "exit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

function killChildrenNow() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): this host is shared, so besides rates the run reports the CPU each
// party spent per delivery, which does not depend on what else the host was doing.
// ---------------------------------------------------------------------------------------------

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used, or null when it is gone or /proc is missing. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole host, over all cores. */
function hostCpu() {
  try {
    const values = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: (total - values[3] - values[4]) / TICKS, total: total / TICKS };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** The local ports of `pid`'s TCP connections to port 5432 (from its socket inodes in /proc/net/tcp). */
function postgresClientPorts(pid) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (socket) inodes.add(socket[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines = [];
    try {
      lines = readFileSync(table, "utf8").split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9])) continue;
      if (parseInt(cols[2].split(":").pop(), 16) === 5432) ports.push(parseInt(cols[1].split(":").pop(), 16));
    }
  }
  return ports;
}

/**
 * A snapshot of the CPU used so far by the given processes and by the PostgreSQL backends serving
 * their connections; `since(earlier)` gives the seconds spent by each party in between.
 */
async function cpuSnapshot(q, parties) {
  const backendsOf = async (pids) => {
    const ports = pids.flatMap(postgresClientPorts);
    if (ports.length === 0) return [];
    return (await q("select pid from pg_stat_activity where client_port = any($1) and pid <> pg_backend_pid()", [ports])).rows.map((r) => r.pid);
  };
  const snapshot = { host: hostCpu(), parties: {} };
  for (const [name, pids] of Object.entries(parties)) {
    const backends = await backendsOf(pids);
    snapshot.parties[name] = { own: new Map(pids.map((pid) => [pid, cpuSeconds(pid)])), backends: new Map(backends.map((pid) => [pid, cpuSeconds(pid)])) };
  }
  snapshot.since = (earlier) => {
    const spent = (now, before) => {
      let sum = 0;
      for (const [pid, seconds] of now) if (seconds !== null) sum += seconds - (before.get(pid) ?? 0);
      return sum;
    };
    const result = { host: { busy: snapshot.host.busy - earlier.host.busy, total: snapshot.host.total - earlier.host.total } };
    for (const [name, party] of Object.entries(snapshot.parties)) {
      const before = earlier.parties[name];
      result[name] = { own: spent(party.own, before.own), postgres: spent(party.backends, before.backends) };
    }
    return result;
  };
  return snapshot;
}

const micros = (seconds, count) => `${fmt((seconds / count) * 1e6)} µs`;

// ---------------------------------------------------------------------------------------------
// 1. The raw floor
// ---------------------------------------------------------------------------------------------

async function rawRate(undici, receiver, body, headers, inFlight, total) {
  await receiver.call("reset");
  const agent = new undici.Agent({ keepAliveTimeout: 30_000, connect: { timeout: 6_000 }, headersTimeout: 6_000, bodyTimeout: 6_000 });
  let issued = 0;
  let failed = 0;
  const started = now();
  const deadline = started + 60_000;
  async function lane() {
    while (issued < total && now() < deadline) {
      const n = issued++;
      try {
        const res = await undici.request(`${receiver.url}/raw`, { method: "POST", dispatcher: agent, headers: { ...headers, "webhook-id": `evt_raw_${n}` }, body });
        await res.body.text();
        if (res.statusCode !== 200) failed++;
      } catch {
        failed++;
      }
    }
  }
  const clientCpu = process.cpuUsage();
  const receiverCpu = cpuSeconds(receiver.child.pid);
  const hostBefore = hostCpu();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (now() - started) / 1000;
  const client = process.cpuUsage(clientCpu);
  const hostAfter = hostCpu();
  const cpu = {
    client: (client.user + client.system) / 1e6,
    receiver: (cpuSeconds(receiver.child.pid) ?? NaN) - (receiverCpu ?? NaN),
    hostBusy: (hostAfter.busy - hostBefore.busy) / (hostAfter.total - hostBefore.total),
  };
  await agent.close();
  return { rate: (issued - failed) / seconds, issued, failed, seconds, cpu };
}

// ---------------------------------------------------------------------------------------------
// The measuring process
// ---------------------------------------------------------------------------------------------

async function main() {
  const server = await import("@medblocks/server");
  const sdk = await import("@medblocks/connect");
  const undici = await import("undici");
  const { default: pg } = await import("pg");
  const { default: autocannon } = await import("autocannon");

  const admin = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 5_000, application_name: "medblocks-bench-admin" });
  try {
    await admin.connect();
  } catch (error) {
    console.error(`PostgreSQL is not reachable at ${POSTGRES.replace("postgres@", "")}: ${error.message}`);
    process.exit(1);
  }
  const adminPid = (await admin.query("select pg_backend_pid() as pid")).rows[0].pid;
  const pgVersion = (await admin.query("show server_version")).rows[0].server_version;
  const autovacuum = (await admin.query("show autovacuum")).rows[0].autovacuum;
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cores, PostgreSQL ${pgVersion} on 127.0.0.1 ` +
      `(autovacuum ${autovacuum}); load average before the run ${loadavg()[0].toFixed(2)} (other work on this host skews every figure)`,
  );

  const base = `bench_${randomBytes(4).toString("hex")}`;
  const schemas = [];
  const stores = [];
  let service = null;
  let receiver = null;
  let interrupted = false;
  const onSignal = (signal) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping; child processes are killed and the bench schemas dropped`);
    killChildrenNow();
    void cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", killChildrenNow);

  let cleaned = null;
  function cleanup() {
    cleaned ??= (async () => {
      await Promise.allSettled([...children].filter((c) => c !== receiver?.child).map((c) => stopChild(c, 5_000)));
      await service?.close().catch(() => {});
      for (const store of stores) await store.close().catch(() => {});
      if (receiver) await stopReceiver(receiver);
      killChildrenNow();
      // A fresh connection: the admin one may be inside a statement or a transaction when interrupted.
      const dropper = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 5_000, application_name: "medblocks-bench-admin" });
      try {
        await dropper.connect();
        if (interrupted) await dropper.query("select pg_cancel_backend($1)", [adminPid]);
        await admin.end().catch(() => {});
        for (const schema of schemas) {
          await dropper.query(`drop schema if exists "${schema}" cascade`).catch((error) => console.error(`could not drop schema ${schema}: ${error.message}`));
        }
      } catch (error) {
        console.error(`could not drop the bench schemas (${schemas.join(", ")}): ${error.message}`);
      } finally {
        await admin.end().catch(() => {});
        await dropper.end().catch(() => {});
      }
    })();
    return cleaned;
  }

  const summary = {};
  try {
    schemas.push(base);
    const databaseUrl = `${POSTGRES}?schema=${base}`;
    const channel = `medblocks_events_due_${base}`.slice(0, 63); // the store's wake-up channel for this schema
    const encryptionKey = randomBytes(32).toString("base64");
    const serverEnv = (extra) => ({
      ...process.env,
      DATABASE_URL: databaseUrl,
      MEDBLOCKS_ENCRYPTION_KEY: encryptionKey,
      MEDBLOCKS_BOOTSTRAP_API_KEY: "",
      MEDBLOCKS_DELIVERY_CONCURRENCY: String(WORKER_CONCURRENCY),
      MEDBLOCKS_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
      HOST: "127.0.0.1",
      PORT: "",
      ...extra,
    });

    receiver = await startReceiver();
    service = await server.startService(
      server.loadConfig({ DATABASE_URL: databaseUrl, MEDBLOCKS_ROLE: "api", PORT: "0", HOST: "127.0.0.1", MEDBLOCKS_ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: "warn" }),
      { logger: server.createLogger("warn"), onBootstrapKey: () => {} },
    );
    const S = `"${base}"`;
    const q = (text, params) => admin.query(text, params);

    const factObject = sdk.fixtures.patientFlowCompleted().data.object;
    const fact = (n) => ({ type: "patient_flow.completed", data: { object: { ...factObject, metadata: { bench: String(n) } } } });

    async function workspaceWith(name, endpoints) {
      const minted = await server.mintApiKey(service.store, name, "sandbox");
      const endpointIds = [];
      for (let i = 0; i < endpoints; i++) {
        const res = await undici.request(`${service.url}/webhooks`, {
          method: "POST",
          headers: { authorization: `Bearer ${minted.key}`, "content-type": "application/json" },
          body: JSON.stringify({ url: `${receiver.url}/${name}/${i}`, events: ["*"] }),
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`creating an endpoint failed: ${res.statusCode} ${text}`);
        endpointIds.push(JSON.parse(text).id);
      }
      return { ws: { organizationId: minted.organizationId, mode: "sandbox" }, key: minted.key, endpointIds };
    }

    /** Publishes up to `facts` facts in-process, `parallel` at a time, stopping after `seconds`. */
    async function publishInProcess(ws, facts, { parallel = 16, seconds = 60 } = {}) {
      let issued = 0;
      let events = 0;
      const started = now();
      const deadline = started + seconds * 1000;
      async function lane() {
        while (issued < facts && now() < deadline) {
          const n = issued++;
          const published = await service.publish(ws, fact(n));
          events += published.events.length;
        }
      }
      await Promise.all(Array.from({ length: parallel }, lane));
      return { facts: issued, events, seconds: (now() - started) / 1000 };
    }

    /** Takes every scheduled event of these endpoints out of the queue (as batch `batch`) until released. */
    const hold = async (endpointIds, batch) => {
      const { rowCount } = await q(
        `update ${S}.events set next_attempt_at = next_attempt_at + $1
         where endpoint_id = any($2) and next_attempt_at is not null and next_attempt_at < $3`,
        [batch * HOLD, endpointIds, HOLD],
      );
      return rowCount;
    };

    /**
     * Makes a held batch due again at its own publish times, in one transaction with the NOTIFY a
     * publish sends; resolves at the commit.
     */
    async function release(endpointIds, batch) {
      await q("begin");
      try {
        const { rowCount } = await q(
          `update ${S}.events set next_attempt_at = next_attempt_at - $1 where endpoint_id = any($2) and next_attempt_at >= $1 and next_attempt_at < $3`,
          [batch * HOLD, endpointIds, (batch + 1) * HOLD],
        );
        await q("select pg_notify($1, '')", [channel]);
        await q("commit");
        return { rows: rowCount, at: now() };
      } catch (error) {
        await q("rollback").catch(() => {});
        throw error;
      }
    }

    /** Resolves when no released event of this schema has a scheduled attempt left (all recorded). */
    async function waitRecorded(label) {
      const deadline = now() + WAIT_MS;
      for (;;) {
        const { rows } = await q(`select count(*)::int as n from ${S}.events where next_attempt_at is not null and next_attempt_at < $1`, [HOLD]);
        if (rows[0].n === 0) return now();
        if (now() > deadline) throw new Error(`${label}: ${rows[0].n} events still scheduled after ${WAIT_MS} ms`);
        await sleep(10);
      }
    }

    async function deliveredCount(endpointIds) {
      const { rows } = await q(`select count(*)::int as n from ${S}.events where endpoint_id = any($1) and delivered_at is not null`, [endpointIds]);
      return rows[0].n;
    }

    // ------------------------------------------------------------------ 1. raw floor (before)
    const rawWs = await workspaceWith("raw-sample", 1);
    const sample = (await service.publish(rawWs.ws, fact(0))).events[0];
    await hold(rawWs.endpointIds, 8); // never released: only the body was wanted
    const signed = await sdk.signDeliveryHeaders({
      id: sample.id,
      payload: sample.payload,
      secrets: ["whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE="],
      timestamp: Math.floor(Date.now() / 1000),
    });
    const rawHeaders = { "content-type": "application/json", "user-agent": "Medblocks-Webhooks/0.1.0", ...signed };
    const backlog = FACTS * ENDPOINTS;
    const inFlightFor = (workers) => workers * WORKER_CONCURRENCY;

    console.log(`\n1. raw undici POST to a node:http receiver in another process, ${sample.payload.length}-byte signed body, ${fmt(backlog)} requests each`);
    await rawRate(undici, receiver, sample.payload, rawHeaders, 64, 4_000); // warm-up
    const raw = new Map();
    for (const workers of WORKER_COUNTS) {
      const r = await rawRate(undici, receiver, sample.payload, rawHeaders, inFlightFor(workers), backlog);
      raw.set(workers, [r]);
      console.log(
        `   ${String(inFlightFor(workers)).padStart(4)} in flight: ${fmt(r.rate).padStart(7)} req/s (${r.issued} in ${r.seconds.toFixed(2)} s${r.failed ? `, ${r.failed} FAILED` : ""}); ` +
          `CPU per request: client ${micros(r.cpu.client, r.issued)}, receiver ${micros(r.cpu.receiver, r.issued)}; host busy ${Math.round(r.cpu.hostBusy * 100)}%`,
      );
    }

    // ------------------------------------------------------------------ 2. worker processes
    console.log(
      `\n2. worker processes draining a backlog of ${fmt(FACTS)} facts x ${ENDPOINTS} endpoints = ${fmt(backlog)} deliveries ` +
        `(each worker: concurrency ${WORKER_CONCURRENCY}, ${ENDPOINT_CONCURRENCY} per endpoint)`,
    );
    const runs = [];
    const backlogPublishes = [];
    for (const workers of WORKER_COUNTS) {
      const run = await workspaceWith(`w${workers}`, ENDPOINTS);
      const warm = await publishInProcess(run.ws, WARM_FACTS);
      await hold(run.endpointIds, 1);
      const pub = await publishInProcess(run.ws, FACTS);
      if (pub.events !== backlog) throw new Error(`published ${pub.events} events, expected ${backlog}`);
      backlogPublishes.push(pub);
      await hold(run.endpointIds, 2);
      // What autovacuum would have done by now (it is off on some machines, and a table that was
      // never analyzed gets a claim plan that sorts every due row: see part 4).
      await q(`vacuum analyze ${S}.events`);
      await q(`analyze ${S}.webhook_endpoints`);

      const procs = [];
      for (let i = 0; i < workers; i++) {
        procs.push(startServerProcess(`worker ${i + 1}`, serverEnv({ MEDBLOCKS_ROLE: "worker", LOG_LEVEL: "info" }), { readyText: "Medblocks webhook worker started" }));
      }
      const started = await Promise.all(procs);
      try {
        // Warm every worker (JIT, connections to PostgreSQL and to the receiver) on a small batch.
        await receiver.call("reset");
        const warmRelease = await release(run.endpointIds, 1);
        if (warmRelease.rows !== warm.events) throw new Error(`warm-up released ${warmRelease.rows} of ${warm.events}`);
        const warmGot = await receiver.call("waitFor", { count: warm.events, timeoutMs: WAIT_MS });
        if (!warmGot.ok) throw new Error(`warm-up: the receiver got ${warmGot.unique} of ${warm.events}`);
        await waitRecorded("warm-up");
        await sleep(300);

        await receiver.call("reset");
        const parties = { workers: started.map(({ child }) => child.pid), receiver: [receiver.child.pid] };
        const cpuBefore = await cpuSnapshot(q, parties);
        const released = await release(run.endpointIds, 2);
        if (released.rows !== backlog) throw new Error(`released ${released.rows} events, expected ${backlog}`);
        const got = await receiver.call("waitFor", { count: backlog, timeoutMs: WAIT_MS });
        if (!got.ok) throw new Error(`${workers} workers: the receiver got ${got.unique} of ${backlog} within ${WAIT_MS} ms`);
        const recordedAt = await waitRecorded(`${workers} workers`);
        const spent = (await cpuSnapshot(q, parties)).since(cpuBefore);
        const delivered = (await deliveredCount(run.endpointIds)) - warm.events;
        const seconds = (recordedAt - released.at) / 1000;
        const result = {
          workers,
          rate: delivered / seconds,
          receivedRate: backlog / ((got.lastAt - released.at) / 1000),
          firstMs: got.firstAt - released.at,
          seconds,
          delivered,
          duplicates: got.requests - got.unique,
          cpu: {
            worker: spent.workers.own / backlog,
            postgres: spent.workers.postgres / backlog,
            receiver: spent.receiver.own / backlog,
            hostBusy: spent.host.busy / spent.host.total,
            others: Math.max(0, spent.host.busy - spent.workers.own - spent.workers.postgres - spent.receiver.own) / spent.host.total,
          },
        };
        result.cpu.total = result.cpu.worker + result.cpu.postgres + result.cpu.receiver;
        runs.push(result);
        console.log(
          `   ${workers} worker${workers > 1 ? "s" : " "}: ${fmt(result.rate).padStart(6)} deliveries/s recorded (${result.seconds.toFixed(2)} s), ` +
            `${fmt(result.receivedRate)}/s received; first delivery ${fmt(result.firstMs)} ms after the release; ` +
            `${result.delivered} recorded delivered, ${result.duplicates} duplicates`,
        );
        const c = result.cpu;
        console.log(
          `             CPU per delivery: worker${workers > 1 ? "s" : ""} ${fmt(c.worker * 1e6)} µs + their PostgreSQL backends ${fmt(c.postgres * 1e6)} µs + ` +
            `receiver ${fmt(c.receiver * 1e6)} µs = ${fmt(c.total * 1e6)} µs (a CPU-bound ceiling of ${fmt(cpus().length / c.total)}/s on ${cpus().length} idle cores); ` +
            `host busy ${Math.round(c.hostBusy * 100)}%, ${Math.round(c.others * 100)}% of it other processes`,
        );
        if (result.delivered !== backlog) console.log(`   WARNING: ${backlog - result.delivered} events were not recorded as delivered`);
      } finally {
        await Promise.all(started.map(({ child }) => stopChild(child)));
        for (const { child, output } of started) {
          if (child.exitCode !== 0) console.log(`   a worker exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
        }
      }
    }

    // ------------------------------------------------------------------ 1. raw floor (after)
    console.log("\n1. raw again, after the worker runs");
    for (const workers of WORKER_COUNTS) {
      const r = await rawRate(undici, receiver, sample.payload, rawHeaders, inFlightFor(workers), backlog);
      raw.get(workers).push(r);
      const mean = (raw.get(workers)[0].rate + r.rate) / 2;
      console.log(`   ${String(inFlightFor(workers)).padStart(4)} in flight: ${fmt(r.rate).padStart(7)} req/s${r.failed ? ` (${r.failed} FAILED)` : ""}; mean of both ${fmt(mean)} req/s`);
    }
    const rawMean = (workers) => (raw.get(workers)[0].rate + raw.get(workers)[1].rate) / 2;
    console.log("\n   workers   deliveries/s   raw req/s (same in flight)   workers/raw");
    for (const r of runs) {
      r.raw = rawMean(r.workers);
      console.log(`   ${String(r.workers).padStart(7)}   ${fmt(r.rate).padStart(12)}   ${fmt(r.raw).padStart(26)}   ${(r.rate / r.raw).toFixed(2).padStart(10)}x`);
    }
    summary.runs = runs;
    const rawAll = [...raw.values()].flat();
    const rawCount = rawAll.reduce((n, r) => n + r.issued, 0);
    summary.raw = { client: rawAll.reduce((n, r) => n + r.cpu.client, 0) / rawCount, receiver: rawAll.reduce((n, r) => n + r.cpu.receiver, 0) / rawCount };

    // ------------------------------------------------------------------ 3. publish throughput
    console.log(`\n3. publish throughput (no worker running; events stay queued)`);
    const pubOne = await workspaceWith("publish-1", 1);
    const pubMany = await workspaceWith(`publish-${ENDPOINTS}`, ENDPOINTS);
    const publishResults = [];
    await publishInProcess(pubMany.ws, 500); // warm-up
    for (const target of [pubOne, pubMany]) {
      const fanout = target.endpointIds.length;
      const r = await publishInProcess(target.ws, 100_000, { seconds: PUBLISH_SECONDS });
      const row = { how: "in-process service.publish, 16 at a time", fanout, facts: r.facts / r.seconds, events: r.events / r.seconds };
      publishResults.push(row);
      console.log(`   in-process, fan-out ${String(fanout).padEnd(2)}: ${fmt(row.facts).padStart(6)} facts/s = ${fmt(row.events).padStart(6)} events created/s (${r.facts} facts in ${r.seconds.toFixed(2)} s)`);
    }
    const backlogPublish = median(backlogPublishes.map((p) => p.facts / p.seconds));
    console.log(`   (the backlogs of part 2 were published at a median ${fmt(backlogPublish)} facts/s = ${fmt(backlogPublish * ENDPOINTS)} events/s)`);

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // Request logs off (LOG_LEVEL=warn): at the default `info` Fastify logs two lines per request.
    const api = await startServerProcess("api", serverEnv({ MEDBLOCKS_ROLE: "api", PORT: String(apiPort), LOG_LEVEL: "warn" }), {
      probe: async () => {
        const res = await undici.request(`${apiUrl}/health`);
        await res.body.text();
        return res.statusCode === 200;
      },
    });
    try {
      for (const target of [pubOne, pubMany]) {
        const fanout = target.endpointIds.length;
        const options = {
          url: `${apiUrl}/events`,
          method: "POST",
          connections: 32,
          headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
          body: JSON.stringify(fact(1)),
        };
        await autocannon({ ...options, duration: 2 }); // warm-up
        await sleep(300);
        const start = (await q(`select count(*)::int as n from ${S}.events where endpoint_id = any($1)`, [target.endpointIds])).rows[0].n;
        const r = await autocannon({ ...options, duration: PUBLISH_SECONDS });
        const after = (await q(`select count(*)::int as n from ${S}.events where endpoint_id = any($1)`, [target.endpointIds])).rows[0].n;
        await sleep(300); // answers still on the way when autocannon stopped
        const ok = r["2xx"];
        const row = { how: "POST /events over HTTP (autocannon, 32 connections)", fanout, facts: ok / r.duration, events: (ok * fanout) / r.duration, p50: r.latency.p50, p99: r.latency.p99 };
        publishResults.push(row);
        const created = after - start;
        console.log(
          `   HTTP, fan-out ${String(fanout).padEnd(2)}:       ${fmt(row.facts).padStart(6)} facts/s = ${fmt(row.events).padStart(6)} events created/s ` +
            `(${ok} answered 200 in ${r.duration.toFixed(2)} s, latency p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms` +
            `${r.non2xx ? `, ${r.non2xx} non-2xx` : ""}${r.errors ? `, ${r.errors} errors` : ""}${r.timeouts ? `, ${r.timeouts} timeouts` : ""}; ` +
            `${created} events written${created < ok * fanout || created > (ok + options.connections) * fanout ? " — INCONSISTENT with the answers" : ""})`,
        );
      }
    } finally {
      await stopChild(api.child);
    }
    summary.publish = publishResults;

    // ------------------------------------------------------------------ 4. claim latency
    summary.claims = await claimBench({ server, sdk, q, base, schemas, stores });

    printSummary(summary);
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Claim latency against the backlog size
// ---------------------------------------------------------------------------------------------

async function claimBench({ server, sdk, q, base, schemas, stores }) {
  console.log(
    `\n4. claimDue(limit ${CLAIM_LIMIT}) latency by backlog size: one endpoint ("flood") with N due rows, ` +
      `another ("other") with ${OTHER_ROWS} due rows queued behind them; each size in its own schema`,
  );
  const payload = JSON.stringify({ id: "evt_bench", object: "event", type: "patient_flow.completed", api_version: sdk.API_VERSION, created_at: new Date().toISOString(), data: sdk.fixtures.patientFlowCompleted().data });
  const owner = "wkr_bench_claims";
  const cases = [];
  for (const size of CLAIM_SIZES) {
    const schema = `${base}_claim_${size}`;
    schemas.push(schema);
    const store = await server.createStore(`${POSTGRES}?schema=${schema}`);
    stores.push(store);
    await store.migrate();
    const org = await server.mintApiKey(store, "claims", "sandbox");
    const ws = { organizationId: org.organizationId, mode: "sandbox" };
    const t = Date.now();
    const endpoint = (id) => ({ id, url: `http://127.0.0.1:9/${id}`, events: ["*"], description: null, metadata: {}, apiVersion: sdk.API_VERSION, secretCiphertext: "unused", now: t });
    const flood = await store.insertEndpoint(ws, endpoint("wh_bench_flood"));
    const other = await store.insertEndpoint(ws, endpoint("wh_bench_other"));

    const started = now();
    const S = `"${schema}"`;
    const insert = `insert into ${S}.events (id, organization_id, mode, endpoint_id, type, payload, api_version, attempts, scheduled_attempts, next_attempt_at, created_at)
      select $1 || lpad(g::text, 9, '0'), $2, 'sandbox', $3, 'patient_flow.completed', $4, $5, 0, 0, $6::bigint + g, $6::bigint
      from generate_series($7::int, $8::int) g`;
    const oldest = t - 3 * 3_600_000; // the flood is due since hours, the other endpoint's rows for a minute
    for (let from = 1; from <= size; from += 250_000) {
      await q(insert, ["evt_f", org.organizationId, flood.id, payload, sdk.API_VERSION, oldest, from, Math.min(size, from + 249_999)]);
    }
    await q(insert, ["evt_o", org.organizationId, other.id, payload, sdk.API_VERSION, t - 60_000, 1, OTHER_ROWS]);
    cases.push({ size, schema, store, flood: flood.id, other: other.id, fresh: [], plain: [], excluded: [], excludedSpent: 0 });
    const c = cases[cases.length - 1];
    // Before any ANALYZE, as a new deployment's table is until autovacuum gets to it (never, here,
    // when autovacuum is off): the planner has no statistics for the claim.
    const freshDeadline = now() + 20_000;
    for (let i = 0; i < 3 && now() < freshDeadline; i++) c.fresh.push((await claimOnce(c, [])).took);
    await q(`vacuum analyze ${S}.events`);
    await q(`analyze ${S}.webhook_endpoints`);
    const size_mb = (await q(`select pg_total_relation_size('${S}.events'::regclass) / 1048576 as mb`)).rows[0].mb;
    console.log(
      `   ${fmt(size).padStart(9)} due rows inserted in ${((now() - started) / 1000).toFixed(1)} s (events table with indexes: ${fmt(Number(size_mb))} MB); ` +
        `claim before the table was ever analyzed: median ${ms(median(c.fresh))} of ${c.fresh.length}`,
    );
  }

  async function claimOnce(c, exclude) {
    const started = performance.now();
    const claims = await c.store.claimDue({ owner, limit: CLAIM_LIMIT, leaseMs: 60_000, now: Date.now(), excludeEndpointIds: exclude });
    const took = performance.now() - started;
    // Handed back (due now, at the queue's tail), so the backlog keeps its size.
    await c.store.releaseClaims(owner, claims.map((claimed) => claimed.event.id), Date.now());
    return { took, count: claims.length, endpoints: new Set(claims.map((claimed) => claimed.endpoint.id)) };
  }

  // Plain claims: nothing excluded, the queue's head is the flood.
  const WARM = 5;
  const PLAIN_ROUNDS = 61;
  const plainDeadline = now() + 60_000;
  for (let round = 0; round < WARM + PLAIN_ROUNDS && now() < plainDeadline; round++) {
    for (const c of cases) {
      const r = await claimOnce(c, []);
      if (r.count !== CLAIM_LIMIT) throw new Error(`a plain claim at ${c.size} rows returned ${r.count}, expected ${CLAIM_LIMIT}`);
      if (round >= WARM) c.plain.push(r.took);
    }
  }
  // Flood excluded (at its cap): only the other endpoint's rows may be claimed, and they sit behind
  // the flood in due order. Bounded by rounds and by time per size, since this one grows.
  const EXCLUDED_ROUNDS = 21;
  for (const c of cases) await q(`vacuum analyze "${c.schema}".events`);
  for (let round = 0; round < 2 + EXCLUDED_ROUNDS; round++) {
    for (const c of cases) {
      if (round >= 2 + 5 && c.excludedSpent > 15_000) continue;
      const r = await claimOnce(c, [c.flood]);
      if (r.count !== OTHER_ROWS || !r.endpoints.has(c.other)) throw new Error(`an excluded claim at ${c.size} rows returned ${r.count} rows, expected the other endpoint's ${OTHER_ROWS}`);
      if (round >= 2) {
        c.excluded.push(r.took);
        c.excludedSpent += r.took;
      }
    }
  }

  // Why: the same SELECT as the claim (without its row locks) under EXPLAIN ANALYZE: a LATERAL per
  // active endpoint over the (endpoint_id, next_attempt_at) queue index.
  const explain = async (text) => (await q(`explain (analyze, buffers, format json) ${text}`)).rows[0]["QUERY PLAN"][0];
  const eventsNode = (node) => {
    if (node["Relation Name"] === "events") return node;
    for (const child of node.Plans ?? []) {
      const found = eventsNode(child);
      if (found) return found;
    }
    return null;
  };
  for (const c of cases) {
    const S = `"${c.schema}"`;
    const at = Date.now();
    const claimSelect = `select d.id from ${S}.webhook_endpoints w cross join lateral (
        select e.id, e.next_attempt_at from ${S}.events e
        where e.endpoint_id = w.id and e.next_attempt_at <= ${at}
        order by e.next_attempt_at limit ${CLAIM_LIMIT}) d
      where w.status = 'active' and w.kind = 'http' and w.id not in ('${c.flood}')
      order by d.next_attempt_at limit ${CLAIM_LIMIT}`;
    const plan = await explain(claimSelect);
    const scan = eventsNode(plan.Plan);
    c.explain = {
      ms: plan["Execution Time"],
      node: `${scan?.["Parallel Aware"] ? "Parallel " : ""}${scan?.["Node Type"] ?? "?"}`,
      index: scan?.["Index Name"] ?? null,
      // Per loop in the plan (a parallel scan has one per process): times loops is the total.
      removed: (scan?.["Rows Removed by Filter"] ?? 0) * (scan?.["Actual Loops"] ?? 1),
      buffers: (plan.Plan["Shared Hit Blocks"] ?? 0) + (plan.Plan["Shared Read Blocks"] ?? 0),
    };
  }

  const first = cases[0];
  console.log(`\n   due rows    claim (plain)   vs ${fmt(first.size)}   claim, flood excluded   vs ${fmt(first.size)}   samples`);
  for (const c of cases) {
    c.plainMedian = median(c.plain);
    c.excludedMedian = median(c.excluded);
    console.log(
      `   ${fmt(c.size).padStart(9)}   ${ms(c.plainMedian).padStart(13)}   ${(c.plainMedian / median(first.plain)).toFixed(2).padStart(7)}x   ` +
        `${ms(c.excludedMedian).padStart(21)}   ${(c.excludedMedian / median(first.excluded)).toFixed(2).padStart(7)}x   ${c.plain.length} / ${c.excluded.length}`,
    );
  }
  console.log(`\n   why: the flood-excluded claim's SELECT under EXPLAIN ANALYZE (no row locks)`);
  for (const c of cases) {
    console.log(
      `   ${fmt(c.size).padStart(9)}: ${ms(c.explain.ms).padStart(9)}, ${c.explain.node}${c.explain.index ? ` on ${c.explain.index}` : ""}, ` +
        `${fmt(c.explain.removed)} rows read and filtered out, ${fmt(c.explain.buffers)} buffers`,
    );
  }
  return cases.map(({ size, fresh, plainMedian, excludedMedian, explain }) => ({ size, freshMedian: median(fresh), plainMedian, excludedMedian, explain }));
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

function printSummary({ raw, runs, publish, claims }) {
  const line = (what, value, note = "") => console.log(`  ${what.padEnd(58)}${value.padStart(20)}   ${note}`);
  console.log(`\nsummary (${cpus().length} cores, node ${process.version}; receiver, workers and PostgreSQL on this one host; load average now ${loadavg()[0].toFixed(2)})`);
  for (const r of runs) {
    const goal = r.workers === 2 ? `goal >= 5,000/s ${r.rate >= 5_000 ? "ok" : "MISSED"}` : "";
    line(`deliveries/s, ${r.workers} worker process${r.workers > 1 ? "es" : ""}`, fmt(r.rate), `${(r.rate / r.raw).toFixed(2)}x raw (${fmt(r.raw)} req/s, ${r.workers * WORKER_CONCURRENCY} in flight)  ${goal}`);
  }
  if (!runs.some((r) => r.workers === 2)) line("deliveries/s, 2 worker processes", "not run", "goal >= 5,000/s not measured (BENCH_WORKERS)");
  for (const r of runs) {
    line(
      `  CPU per delivery, ${r.workers} worker${r.workers > 1 ? "s" : ""} (worker + PostgreSQL + receiver)`,
      `${fmt(r.cpu.total * 1e6)} µs`,
      `${fmt(r.cpu.worker * 1e6)} + ${fmt(r.cpu.postgres * 1e6)} + ${fmt(r.cpu.receiver * 1e6)} µs; CPU-bound ceiling ${fmt(cpus().length / r.cpu.total)}/s on ${cpus().length} idle cores`,
    );
  }
  line("  CPU per raw request (client + receiver)", `${fmt((raw.client + raw.receiver) * 1e6)} µs`, `${fmt(raw.client * 1e6)} + ${fmt(raw.receiver * 1e6)} µs`);
  for (const p of publish) line(`publish, ${p.how.split(" (")[0].split(",")[0]}, fan-out ${p.fanout}`, `${fmt(p.events)} ev/s`, `${fmt(p.facts)} facts/s`);
  const small = claims[0];
  const large = claims[claims.length - 1];
  const plainRatio = large.plainMedian / small.plainMedian;
  line(`claim 64, ${fmt(small.size)} vs ${fmt(large.size)} due rows (median)`, `${ms(small.plainMedian)} / ${ms(large.plainMedian)}`, `${plainRatio.toFixed(2)}x  goal <= 1.50x ${plainRatio <= 1.5 ? "ok" : "MISSED"}`);
  line(`  same, before the table was ever analyzed`, "", claims.map((c) => `${fmt(c.size)}: ${ms(c.freshMedian)}`).join(", "));
  const floodRatio = large.excludedMedian / small.excludedMedian;
  line(
    `claim with a ${fmt(small.size)} vs ${fmt(large.size)} flood excluded (median)`,
    `${ms(small.excludedMedian)} / ${ms(large.excludedMedian)}`,
    `${floodRatio.toFixed(1)}x  ${floodRatio <= 1.5 ? "flat" : `NOT flat (${fmt(large.explain.removed)} rows filtered at ${fmt(large.size)})`}`,
  );
}

// Last, so every module-level declaration above is initialized before either starts.
if (process.argv[2] === "receiver") runReceiver();
else await main();
