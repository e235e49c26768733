import { Writable } from "node:stream";
import pino from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import { mintApiKey } from "../../src/bootstrap.js";
import type { ResolveHost } from "../../src/domain/endpoint-url.js";
import { LOG_REDACT } from "../../src/api/app.js";
import { startService, type Service } from "../../src/service.js";
import type { Mode } from "../../src/store/store.js";
import type { TestDatabase } from "./databases.js";

/** A fixed key so a test service and a test store in the same run open the same secrets. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

/**
 * DNS for tests: names the suite uses, answered without touching the network. A name not listed
 * does not resolve (the service then accepts it and relies on the connect-time check).
 */
export const TEST_DNS: Record<string, string[]> = {
  "hooks.example.com": ["93.184.216.34"],
  "dual.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "internal.example.com": ["10.0.0.7"],
  "metadata.example.com": ["169.254.169.254"],
  "rebind.example.com": ["127.0.0.1"],
  "rebind-loopback.example.com": ["93.184.216.34"],
  "rebind-private.example.com": ["93.184.216.35"],
};

/**
 * DNS as the delivery engine sees it at connect time. It differs from TEST_DNS on purpose for
 * `rebind.example.com`… names: they looked public at registration and point inside at delivery.
 */
export const TEST_DELIVERY_DNS: Record<string, string> = {
  "rebind-loopback.example.com": "127.0.0.1",
  "rebind-private.example.com": "10.0.0.7",
};

export const testResolveHost: ResolveHost = async (hostname) => {
  const answer = TEST_DNS[hostname];
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return answer;
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestService {
  service: Service;
  url: string;
  /** Everything the service logged, one JSON line each. */
  logs: string[];
  request<T = any>(method: string, path: string, init?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  mintKey(organization: string, mode?: Mode): Promise<string>;
  close(): Promise<void>;
}

export async function startTestService(db: TestDatabase, env: Record<string, string> = {}): Promise<TestService> {
  const config: Config = loadConfig({
    DATABASE_URL: db.url,
    PORT: "0",
    MEDBLOCKS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    MEDBLOCKS_BOOTSTRAP_API_KEY: "",
    LOG_LEVEL: "info",
    MEDBLOCKS_POLL_INTERVAL_MS: "50",
    // API tests run without the delivery engine, so records stay as published; delivery tests ask for "all".
    MEDBLOCKS_ROLE: "api",
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: "info", redact: LOG_REDACT }, sink);
  const service = await startService(config, {
    logger,
    resolveHost: testResolveHost,
    deliveryHosts: TEST_DELIVERY_DNS,
    onBootstrapKey: () => {},
  });
  const url = service.url!;
  let defaultKey: string | undefined;
  const mintKey = async (organization: string, mode: Mode = "sandbox") => (await mintApiKey(db.store, organization, mode)).key;

  return {
    service,
    url,
    logs,
    async request(method, path, init = {}) {
      const key = init.key === undefined ? (defaultKey ??= await mintKey("acme")) : init.key;
      const headers: Record<string, string> = { ...init.headers };
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) body = JSON.stringify(init.body);
      if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
      const response = await fetch(url + path, { method, headers, ...(body !== undefined && { body }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics); keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed as any, text };
    },
    mintKey,
    close: () => service.close(),
  };
}
