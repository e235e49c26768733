import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EdgeVM } from "@edge-runtime/vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distDir, ensureFreshBuild, packageDir, repoRoot, runNode } from "./dist-build.js";
import { createTestDatabase, startTestService, type TestDatabase, type TestService } from "./support/server.js";

// The built package, as users get it: which file each export condition picks, what the web build
// may import, and the web build actually running in an edge runtime.

beforeAll(() => {
  ensureFreshBuild();
}, 120_000);

const SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";

// Verifies a freshly signed delivery with the loaded module `m`, prints a JSON summary.
const PROBE = `
  const body = JSON.stringify(m.fixtures.recordsSyncCompleted({ total: 7 }));
  const header = await m.generateTestHeader({ payload: body, secret: ${JSON.stringify(SECRET)} });
  const event = await m.Medblocks.webhooks.constructEvent(new TextEncoder().encode(body), header, ${JSON.stringify(SECRET)});
  console.log(JSON.stringify({ total: event.data.object.total, exports: Object.keys(m).sort() }));
`;
const esmProbe = `const m = await import("@medblocks/connect"); ${PROBE}`;
const cjsProbe = `(async () => { const m = require("@medblocks/connect"); ${PROBE} })().catch((e) => { console.error(e); process.exit(1); });`;

describe("package exports", () => {
  const cases: [string, string[], "import" | "require", string][] = [
    ["node import", [], "import", "index.node.js"],
    ["node require", [], "require", "index.node.cjs"],
    ...["worker", "workerd", "edge-light", "browser", "deno"].flatMap(
      (condition): [string, string[], "import" | "require", string][] => [
        [`${condition} import`, [`--conditions=${condition}`], "import", "index.web.js"],
        [`${condition} require`, [`--conditions=${condition}`], "require", "index.web.cjs"],
      ],
    ),
  ];

  it.each(cases)("%s resolves to dist/%s", (_name, args, kind, file) => {
    const resolved =
      kind === "import"
        ? runNode([...args, "--input-type=module"], `console.log(import.meta.resolve("@medblocks/connect"))`)
        : runNode(args, `console.log(require.resolve("@medblocks/connect"))`);
    expect(resolved.replace(/^file:\/\//, "")).toBe(join(distDir, file));
  });

  it("every build loads, verifies a delivery and exports the same names", () => {
    const runs = [
      runNode(["--input-type=module"], esmProbe),
      runNode([], cjsProbe),
      runNode(["--conditions=worker", "--input-type=module"], esmProbe),
      runNode(["--conditions=worker"], cjsProbe),
    ].map((out) => JSON.parse(out) as { total: number; exports: string[] });
    for (const run of runs) {
      expect(run.total).toBe(7);
      expect(run.exports).toEqual(runs[0]!.exports);
    }
    expect(runs[0]!.exports).toEqual(
      expect.arrayContaining([
        "Medblocks",
        "ListPromise",
        "MedblocksConnectionError",
        "VERSION",
        "MedblocksSignatureError",
        "MedblocksError",
        "constructEvent",
        "signMedblocksSignature",
        "signStandardWebhooks",
        "signDeliveryHeaders",
        "WEBHOOK_EVENT_TYPES",
        "API_VERSION",
        "fixtures",
      ]),
    );
  });

  it("declares types for every condition, and those files exist", () => {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    const targets: string[] = [];
    const walk = (node: unknown): void => {
      if (typeof node === "string") targets.push(node);
      else if (node && typeof node === "object") Object.values(node).forEach(walk);
    };
    walk(pkg.exports["."]);
    const distTargets = targets.filter((t) => t.startsWith("./dist/"));
    expect(distTargets.filter((t) => t.endsWith(".d.ts") || t.endsWith(".d.cts")).length).toBeGreaterThanOrEqual(12);
    for (const target of distTargets) expect(() => readFileSync(join(packageDir, target))).not.toThrow();
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it("its types compile for ESM and CJS consumers with neither DOM nor Node types", () => {
    const dir = mkdtempSync(join(tmpdir(), "medblocks-consumer-"));
    try {
      mkdirSync(join(dir, "node_modules/@medblocks"), { recursive: true });
      symlinkSync(packageDir, join(dir, "node_modules/@medblocks/connect"), "dir");
      const compilerOptions = { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", lib: ["ES2022"], types: [], noEmit: true };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["esm.mts", "cjs.cts", "client.mts"] }));
      writeFileSync(
        join(dir, "esm.mts"),
        `import { Medblocks, MedblocksSignatureError, constructEvent, signDeliveryHeaders, type WebhookEvent } from "@medblocks/connect";
export async function receive(body: string, header: string | null): Promise<string> {
  try {
    const event: WebhookEvent = await Medblocks.webhooks.constructEvent(body, header, "whsec_x", { tolerance: 300 });
    const again = await constructEvent(new Uint8Array(0), header, "whsec_x");
    const headers: Record<string, string> = await signDeliveryHeaders({ id: again.id, payload: body, secrets: ["whsec_eA=="], timestamp: 1 });
    if (event.type === "records.sync.failed") return event.data.object.error_message + headers["webhook-id"];
    return event.type;
  } catch (error) {
    if (error instanceof MedblocksSignatureError) return error.reason;
    throw error;
  }
}
`,
      );
      writeFileSync(
        join(dir, "cjs.cts"),
        `import { Medblocks, fixtures, errorFromResponse, MedblocksRateLimitError } from "@medblocks/connect";
export const patient: string = fixtures.patientFlowCompleted({ patient_id: "p" }).data.object.patient_id;
export const header: Promise<string> = Medblocks.webhooks.generateTestHeader({ payload: patient, secret: "whsec_x" });
const error = errorFromResponse(429, "{}", { "retry-after": "1" });
export const retry: number | null = error instanceof MedblocksRateLimitError ? error.retryAfter : null;
`,
      );
      writeFileSync(
        join(dir, "client.mts"),
        `import { Medblocks, MedblocksConflictError, MedblocksRateLimitError, type WebhookEndpoint, type WebhookEventRecord } from "@medblocks/connect";
const mb = new Medblocks("mb_sk_sbx_x", {
  baseUrl: "http://127.0.0.1:8700",
  maxNetworkRetries: 0,
  timeout: 5_000,
  fetch: async (url, init) => ({ status: 200, headers: { get: () => null, forEach: () => {} }, text: async () => init.method + url }),
});
export async function manage(): Promise<string> {
  const endpoint = await mb.webhooks.create({ url: "https://example.com/hook", events: ["patient_flow.completed"] }, { timeout: 1_000 });
  const disabled: WebhookEndpoint[] = [];
  for await (const ep of mb.webhooks.list({ status: "disabled" }).autoPagingIterator()) disabled.push(ep);
  const page = await mb.webhooks.listEvents(endpoint.id, { delivered: false, limit: 100 });
  const next: string | null = page.next_cursor;
  try {
    const record: WebhookEventRecord = await mb.events.redeliver("evt_1");
    if (record.type === "records.sync.failed") return record.data.object.error_message;
    await mb.webhooks.recover(endpoint.id, { since: new Date(0), until: "2026-01-01T00:00:00.000Z" });
    await mb.events.publish({ type: "records.sync.failed", data: { object: { resource_type: "records_sync", patient_id: "p", connection_id: "c", error_message: "e" } } }, { idempotencyKey: "k" });
  } catch (error) {
    if (error instanceof MedblocksRateLimitError) return String(error.retryAfter);
    if (error instanceof MedblocksConflictError) return error.code;
  }
  return endpoint.secret + disabled.length + next;
}
`,
      );
      execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", dir], { encoding: "utf8", timeout: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    const out = runNode(["--input-type=module"], `const m = await import("@medblocks/connect"); console.log(m.VERSION)`);
    expect(out).toBe(pkg.version);
  });
});

describe("web build", () => {
  it.each(["index.web.js", "index.web.cjs"])("%s imports nothing, node:* least of all", (file) => {
    const code = readFileSync(join(distDir, file), "utf8");
    expect(code).not.toMatch(/node:/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/\bprocess\.|\bBuffer\./);
  });

  it("the node build imports node:crypto and nothing else", () => {
    const code = readFileSync(join(distDir, "index.node.js"), "utf8");
    expect(code.match(/^import .* from "([^"]+)";$/gm)).toEqual([
      'import { createHmac, timingSafeEqual } from "node:crypto";',
    ]);
  });
});

describe("edge runtime (@edge-runtime/vm)", () => {
  let vm: EdgeVM;
  beforeAll(() => {
    vm = new EdgeVM();
    const code = readFileSync(join(distDir, "index.web.cjs"), "utf8");
    vm.evaluate(`(function () { var module = { exports: {} }; var exports = module.exports;\n${code}\n;globalThis.sdk = module.exports; })();`);
  });

  const inEdge = async <T>(body: string): Promise<T> =>
    JSON.parse(await vm.evaluate<Promise<string>>(`(async () => JSON.stringify(await (async () => { ${body} })()))()`));

  it("is a runtime without Node globals", () => {
    expect(vm.evaluate("[typeof process, typeof require, typeof Buffer, typeof crypto.subtle]")).toEqual([
      "undefined",
      "undefined",
      "undefined",
      "object",
    ]);
  });

  it("verifies a delivery signed by the Node build, and signs what Node verifies", async () => {
    const node = await import("@medblocks/connect");
    const body = JSON.stringify(node.fixtures.patientFlowCompleted({ patient_id: "user_edge" }));
    const header = await node.signMedblocksSignature({ payload: body, secrets: [SECRET], timestamp: Math.floor(Date.now() / 1000) });
    const result = await inEdge<{ patient: string; signed: string }>(`
      const { Medblocks } = globalThis.sdk;
      const body = ${JSON.stringify(body)};
      const event = await Medblocks.webhooks.constructEvent(new TextEncoder().encode(body).buffer, ${JSON.stringify(header)}, ${JSON.stringify(SECRET)});
      const signed = await Medblocks.webhooks.signMedblocksSignature({ payload: body, secrets: [${JSON.stringify(SECRET)}], timestamp: 1714052100 });
      return { patient: event.data.object.patient_id, signed };
    `);
    expect(result.patient).toBe("user_edge");
    expect(result.signed).toBe(await node.signMedblocksSignature({ payload: body, secrets: [SECRET], timestamp: 1714052100 }));
  });

  it("rejects with MedblocksSignatureError reasons inside the edge runtime", async () => {
    const result = await inEdge<string[]>(`
      const { Medblocks, MedblocksSignatureError } = globalThis.sdk;
      const body = JSON.stringify(globalThis.sdk.fixtures.recordsSyncFailed());
      const header = await Medblocks.webhooks.generateTestHeader({ payload: body, secret: ${JSON.stringify(SECRET)} });
      const attempts = [
        () => Medblocks.webhooks.constructEvent(body, header, "whsec_wrong"),
        () => Medblocks.webhooks.constructEvent(JSON.parse(body), header, ${JSON.stringify(SECRET)}),
        () => Medblocks.webhooks.constructEvent(body, null, ${JSON.stringify(SECRET)}),
      ];
      const reasons = [];
      for (const attempt of attempts) {
        try { await attempt(); reasons.push("passed"); }
        catch (e) { reasons.push(e instanceof MedblocksSignatureError ? e.reason : String(e)); }
      }
      return reasons;
    `);
    expect(result).toEqual(["no_matching_signature", "invalid_body", "missing_header"]);
  });

  it("without a key and without process.env, the client says where a key comes from", async () => {
    const message = await inEdge<string>(`
      try { new globalThis.sdk.Medblocks(); return "constructed"; }
      catch (e) { return e.constructor.name + ": " + e.message; }
    `);
    expect(message).toMatch(/^TypeError: No Medblocks API key: .*MEDBLOCKS_API_KEY/);
  });

  describe("API client with an injected fetch, against the real service", () => {
    let db: TestDatabase;
    let api: TestService;
    beforeAll(async () => {
      db = await createTestDatabase("sqlite");
      api = await startTestService(db);
    });
    afterAll(async () => {
      await api?.close();
      await db?.dispose();
    });

    it("creates an endpoint and pages through the list", async () => {
      const key = await api.mintKey("edge");
      const result = await inEdge<{ created: Record<string, unknown>; listed: string[]; calls: [string, string, string][] }>(`
        const calls = [];
        const tracingFetch = (url, init) => {
          calls.push([init.method, url, init.headers.Authorization]);
          return fetch(url, init);
        };
        const mb = new globalThis.sdk.Medblocks(${JSON.stringify(key)}, { baseUrl: ${JSON.stringify(api.url)}, fetch: tracingFetch });
        const created = await mb.webhooks.create({ url: "https://hooks.example.com/edge", events: ["records.sync.failed"] });
        const listed = [];
        for await (const endpoint of mb.webhooks.list({ limit: 1 })) listed.push(endpoint.id);
        return { created, listed, calls };
      `);
      expect(result.created).toMatchObject({ resource_type: "webhook_endpoint", url: "https://hooks.example.com/edge", status: "active" });
      expect(result.created.secret).toMatch(/^whsec_/);
      expect(result.listed).toEqual([result.created.id]);
      expect(result.calls).toEqual([
        ["POST", `${api.url}/webhooks`, `Bearer ${key}`],
        ["GET", `${api.url}/webhooks?limit=1`, `Bearer ${key}`],
      ]);
    });
  });

  it("produces Standard Webhooks headers identical to the Node build's", async () => {
    const node = await import("@medblocks/connect");
    const input = { id: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", payload: '{"a":1}', secrets: [SECRET], timestamp: 1714052100 };
    const edge = await inEdge<Record<string, string>>(
      `return globalThis.sdk.signDeliveryHeaders(${JSON.stringify(input)});`,
    );
    expect(edge).toEqual(await node.signDeliveryHeaders(input));
  });
});
