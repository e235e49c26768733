// constructEvent throughput of the built SDK against stripe's constructEvent, standardwebhooks'
// verify and the floor (one createHmac over the body + JSON.parse), on 1 KB and 20 KB bodies.
// Every figure comes from this run: candidates are interleaved round by round and the median round
// is reported, so machine noise hits all of them alike. Goals: >= stripe, within 1.5x of the floor.
import { createHmac } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import * as sdk from "@medblocks/connect";
import * as webSdk from "../packages/connect/dist/index.web.js";

const ROUNDS = 15;
const ROUND_MS = 60;
const SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const stripe = new Stripe("sk_test_bench_only");
const standard = new StandardWebhook(SECRET);
let sink = 0;

/** A realistic patient_flow.completed body padded (in metadata) to about `bytes` bytes. */
function bodyOf(bytes) {
  const event = sdk.fixtures.patientFlowCompleted({ metadata: {} });
  const base = JSON.stringify(event).length;
  const notes = [];
  for (let i = 0; base + JSON.stringify(notes).length + 20 < bytes; i++) notes.push(`clinical note ${i}: stable, follow up in 2 weeks`);
  event.data.object.metadata = { notes };
  return JSON.stringify(event);
}

/** Ops in one round of about ROUND_MS, from a short calibration run (bounded). */
async function calibrate(fn, isAsync) {
  let ops = 0;
  const started = performance.now();
  while (ops < 1_000_000 && performance.now() - started < 50) {
    if (isAsync) await fn();
    else fn();
    ops++;
  }
  const perOp = (performance.now() - started) / ops;
  return Math.max(10, Math.round(ROUND_MS / perOp));
}

async function round(fn, isAsync, ops) {
  const started = performance.now();
  if (isAsync) for (let i = 0; i < ops; i++) await fn();
  else for (let i = 0; i < ops; i++) fn();
  return ops / ((performance.now() - started) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(candidates) {
  for (const c of candidates) {
    c.ops = await calibrate(c.fn, c.async);
    await round(c.fn, c.async, c.ops); // warm-up round
    c.samples = [];
  }
  for (let r = 0; r < ROUNDS; r++) for (const c of candidates) c.samples.push(await round(c.fn, c.async, c.ops));
  for (const c of candidates) c.opsPerSec = median(c.samples);
  return Object.fromEntries(candidates.map((c) => [c.key, c]));
}

const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(11);
const ratio = (n) => `${n.toFixed(2)}x`;

async function verifyCase(label, bytes, asBuffer) {
  const text = bodyOf(bytes);
  const body = asBuffer ? Buffer.from(text) : text;
  const t = Math.floor(Date.now() / 1000);
  const header = await sdk.signMedblocksSignature({ payload: body, secrets: [SECRET], timestamp: t });
  const swHeaders = await sdk.signStandardWebhooks({ id: "evt_bench", payload: body, secrets: [SECRET], timestamp: t });
  const prefix = `${t}.`;
  const candidates = [
    { key: "ours", name: "@medblocks/connect constructEvent", async: true, fn: async () => { sink += (await sdk.constructEvent(body, header, SECRET)).id.length; } },
    { key: "stripe", name: "stripe constructEvent (sync)", async: false, fn: () => { sink += stripe.webhooks.constructEvent(body, header, SECRET).id.length; } },
    { key: "stripeAsync", name: "stripe constructEventAsync", async: true, fn: async () => { sink += (await stripe.webhooks.constructEventAsync(body, header, SECRET)).id.length; } },
    { key: "standard", name: "standardwebhooks verify", async: false, fn: () => { sink += standard.verify(body, swHeaders).id.length; } },
    { key: "web", name: "@medblocks/connect web build (Web Crypto)", async: true, fn: async () => { sink += (await webSdk.constructEvent(body, header, SECRET)).id.length; } },
    {
      key: "floor",
      name: "floor: createHmac + JSON.parse",
      async: false,
      fn: () => {
        sink += createHmac("sha256", SECRET).update(prefix).update(body).digest()[0];
        sink += JSON.parse(asBuffer ? body.toString() : body).id.length;
      },
    },
  ];
  return { candidates, report: (r) => reportVerify(label, text.length, asBuffer, candidates, r) };
}

function reportVerify(label, length, asBuffer, candidates, r) {
  console.log(`\n${label}: ${length.toLocaleString("en-US")} bytes as ${asBuffer ? "Buffer" : "string"} (ops/s, median of ${ROUNDS} rounds)`);
  for (const c of candidates) console.log(`  ${c.name.padEnd(44)}${fmt(c.opsPerSec)}`);
  const vsStripe = r.ours.opsPerSec / r.stripe.opsPerSec;
  const vsFloor = r.floor.opsPerSec / r.ours.opsPerSec;
  console.log(
    `  ratios: ours/stripe ${ratio(vsStripe)} (goal >= 1.00) ${vsStripe >= 1 ? "ok" : "MISSED"}` +
      ` | floor/ours ${ratio(vsFloor)} (goal <= 1.50) ${vsFloor <= 1.5 ? "ok" : "MISSED"}` +
      ` | ours/standardwebhooks ${ratio(r.ours.opsPerSec / r.standard.opsPerSec)}` +
      ` | node/web build ${ratio(r.ours.opsPerSec / r.web.opsPerSec)}`,
  );
  return { vsStripe, vsFloor };
}

async function signCase(bytes) {
  const body = Buffer.from(bodyOf(bytes));
  const key = Buffer.from(SECRET.slice(6), "base64");
  const t = Math.floor(Date.now() / 1000);
  const candidates = [
    { key: "ours", name: "signDeliveryHeaders (1 secret)", async: true, fn: async () => { sink += (await sdk.signDeliveryHeaders({ id: "evt_bench", payload: body, secrets: [SECRET], timestamp: t }))["webhook-id"].length; } },
    {
      key: "floor",
      name: "floor: 2 x createHmac + hex + base64",
      async: false,
      fn: () => {
        sink += createHmac("sha256", SECRET).update(`${t}.`).update(body).digest("hex").length;
        sink += createHmac("sha256", key).update(`evt_bench.${t}.`).update(body).digest("base64").length;
      },
    },
  ];
  return { candidates, report: (r) => reportSign(body.length, candidates, r) };
}

function reportSign(length, candidates, r) {
  console.log(`\nsigning a delivery: ${length.toLocaleString("en-US")} bytes (ops/s, median of ${ROUNDS} rounds)`);
  for (const c of candidates) console.log(`  ${c.name.padEnd(44)}${fmt(c.opsPerSec)}`);
  console.log(`  ratio: floor/ours ${ratio(r.floor.opsPerSec / r.ours.opsPerSec)}`);
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
const verifyCases = [];
for (const [label, bytes] of [["1 KB", 1024], ["20 KB", 20 * 1024]]) {
  verifyCases.push(await verifyCase(label, bytes, true), await verifyCase(label, bytes, false));
}
const cases = [...verifyCases, await signCase(1024)];
// Warm every code path first, so the first case measured is not also the one that pays for JIT.
for (const { candidates } of cases) for (const c of candidates) await calibrate(c.fn, c.async);
const results = [];
for (const { candidates, report } of cases) {
  const result = report(await measure(candidates));
  if (result) results.push(result);
}

const worstStripe = Math.min(...results.map((r) => r.vsStripe));
const worstFloor = Math.max(...results.map((r) => r.vsFloor));
console.log(
  `\nsummary: ours/stripe >= ${ratio(worstStripe)} across cases (goal >= 1.00); floor/ours <= ${ratio(worstFloor)} (goal <= 1.50)`,
);
if (sink === 42) console.log(""); // keeps results observable
