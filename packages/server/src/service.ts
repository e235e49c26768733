import { Registry, collectDefaultMetrics } from "prom-client";
import pino, { type Logger } from "pino";
import { buildApp, LOG_REDACT, type App } from "./api/app.js";
import { bootstrapApiKey, type MintedKey } from "./bootstrap.js";
import type { Config } from "./config.js";
import type { DomainContext } from "./domain/context.js";
import { resolveHostWithDns, type ResolveHost } from "./domain/endpoint-url.js";
import { publishFact, type Fact, type PublishOptions } from "./domain/publishing.js";
import { createSecretBox } from "./domain/secret-box.js";
import { resolveEncryptionKey } from "./encryption-key.js";
import { createDeliveryMetrics } from "./delivery/delivery-metrics.js";
import { createDispatcher, type Dispatcher } from "./delivery/dispatcher.js";
import { createListenHub } from "./delivery/listen-sessions.js";
import { createRetentionSweeper, type RetentionSweeper } from "./delivery/retention-sweeper.js";
import { createThreadedSender } from "./delivery/threaded-sender.js";
import { createStore } from "./store/create-store.js";
import type { Store, Workspace } from "./store/store.js";

/**
 * Rounds of attempts the dispatcher may hand the delivery thread for each one the thread keeps on
 * the wire (per process and per endpoint): with a second round waiting there, the wire stays busy
 * while the main thread writes to the store. In alternating drains (delivery alone on SQLite,
 * 2 cores) two rounds delivered 10–16% more a second than one, with less CPU per delivery.
 */
const HANDED_ROUNDS = 2;

export interface ServiceOptions {
  logger?: Logger;
  /** DNS for endpoint URL checks; tests inject a fixed table. */
  resolveHost?: ResolveHost;
  clock?: () => number;
  /** Called with a freshly minted bootstrap key (first start); the default prints it to stdout. */
  onBootstrapKey?: (minted: MintedKey) => void;
  /** Names the delivery engine's connect-time guard resolves without DNS (hostname → address); for tests. */
  deliveryHosts?: Readonly<Record<string, string>>;
}

export interface Service {
  config: Config;
  store: Store;
  ctx: DomainContext;
  /** The HTTP API, when this process serves it (roles `api` and `all`). */
  app: App | null;
  /** The address the API listens on, e.g. `http://127.0.0.1:8700`. */
  url: string | null;
  /** The delivery loop, when this process delivers (roles `worker` and `all`). */
  dispatcher: Dispatcher | null;
  /** The retention purge, run where the dispatcher runs. */
  retention: RetentionSweeper | null;
  /** In-process publishing for the platform (SPEC §6): no API key, no live-mode restriction. */
  publish(workspace: Workspace, fact: Fact, options?: PublishOptions): ReturnType<typeof publishFact>;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({ level, redact: LOG_REDACT, base: { service: "medblocks-webhooks" } });
}

function printBootstrapKey(minted: MintedKey): void {
  process.stdout.write(
    [
      "",
      `Created organization "${minted.organizationName}" with a sandbox API key. It is shown only this once:`,
      "",
      `    MEDBLOCKS_API_KEY=${minted.key}`,
      "",
      "Only its hash is stored. Mint more with: npx medblocks keys create --org default",
      "",
    ].join("\n") + "\n",
  );
}

/** Opens storage, applies migrations and bootstrap, and starts what `config.role` asks for. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await createStore(config.databaseUrl, { logger });
  // What has been started, closed in reverse order by `close()`, or at once if the start fails.
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    await store.migrate();
    const { key, source } = resolveEncryptionKey(config.encryptionKey, store);
    if (source === "generated-file") logger.info({ directory: store.dataDirectory }, "generated an encryption key for endpoint secrets");
    if (source === "ephemeral") logger.warn("in-memory database: endpoint secrets are sealed with a key that dies with this process");

    const minted = await bootstrapApiKey(store, config.bootstrapApiKey);
    if (minted) (options.onBootstrapKey ?? printBootstrapKey)(minted);

    const clock = options.clock ?? Date.now;
    // Attempts are signed and sent on a thread of their own, beside the queue's database work; it
    // keeps the configured numbers on the wire, and the dispatcher hands it HANDED_ROUNDS of them.
    const sender = createThreadedSender({
      timeoutMs: config.deliveryTimeoutMs,
      allowPrivateNetworks: config.allowPrivateNetworks,
      clock,
      wire: { concurrency: config.deliveryConcurrency, perEndpoint: config.endpointConcurrency },
      ...(options.deliveryHosts && { hosts: options.deliveryHosts }),
    });
    closers.push(() => sender.close());
    // A delivery thread that cannot start is a broken install: refuse to start rather than claim
    // events that could never be sent.
    await sender.ready();
    const secrets = createSecretBox(key);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: "medblocks_" });

    // Workers in other processes hold claims too (PostgreSQL); this process hears it again, which costs a claim.
    const announceEndpointChanged = (endpointId: string) => {
      store.announceEndpointChanged(endpointId).catch((error: unknown) => {
        logger.warn({ err: error, endpoint_id: endpointId }, "could not tell other processes that an endpoint changed");
      });
    };
    const delivers = config.role !== "api";
    const dispatcher: Dispatcher | null = delivers
      ? createDispatcher({
          store,
          sender,
          secrets,
          schedule: config.retryScheduleMs,
          logger,
          clock,
          concurrency: HANDED_ROUNDS * config.deliveryConcurrency,
          perEndpointConcurrency: HANDED_ROUNDS * config.endpointConcurrency,
          leaseMs: config.deliveryLeaseMs,
          timeoutMs: config.deliveryTimeoutMs,
          pollIntervalMs: config.pollIntervalMs,
          announceEndpointChanged,
          metrics: createDeliveryMetrics(metrics, store, () => dispatcher?.inFlight ?? 0, clock),
        })
      : null;
    const retention = delivers ? createRetentionSweeper({ store, retentionDays: config.retentionDays, logger, clock }) : null;
    const ctx: DomainContext = {
      store,
      secrets,
      sender,
      resolveHost: options.resolveHost ?? resolveHostWithDns,
      clock,
      allowPrivateNetworks: config.allowPrivateNetworks,
      livePublish: config.livePublish,
      wakeDelivery: () => {
        dispatcher?.wake();
        listen.wake();
      },
      endpointChanged: (endpointId) => {
        dispatcher?.endpointChanged(endpointId);
        announceEndpointChanged(endpointId);
      },
    };
    const listen = createListenHub(ctx);
    // Other processes' publishes, resumes and recoveries (PostgreSQL NOTIFY) wake this one too, and
    // their changes to endpoints reach its dispatcher.
    closers.push(
      await store.onAnnouncements({
        due: () => ctx.wakeDelivery?.(),
        endpointChanged: (endpointId) => dispatcher?.endpointChanged(endpointId),
      }),
    );
    // Closed after the API (below): stop claiming, let attempts in flight finish and be recorded.
    if (retention) closers.push(() => retention.stop());
    if (dispatcher) closers.push(() => dispatcher.stop());

    // The API for roles `api` and `all`; a worker serves only /health and /metrics, and only when
    // it is given a port.
    let app: App | null = null;
    let url: string | null = null;
    if (config.port !== null) {
      const serving = await buildApp({ ctx, listen, metrics, logger, systemOnly: config.role === "worker" });
      app = serving;
      // Closed first: stop taking requests and end listen streams.
      closers.push(() => serving.close());
      await serving.listen({ port: config.port, host: config.host });
      const address = serving.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
      logger.info({ url, role: config.role, database: store.dialect }, "Medblocks webhook service listening");
    }
    dispatcher?.start();
    retention?.start();
    if (!app) logger.info({ role: config.role, database: store.dialect }, "Medblocks webhook worker started");

    let closing: Promise<void> | undefined;
    return {
      config,
      store,
      ctx,
      app,
      url,
      dispatcher,
      retention,
      publish: (workspace, fact, publishOptions) => publishFact(ctx, workspace, fact, publishOptions),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
