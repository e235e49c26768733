import pg from "pg";
import type { StoreLogger } from "../shared/store-logger.js";

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/**
 * Listens on `channel` over one dedicated connection (LISTEN needs a session of its own, outside
 * the pool) and calls `onNotification` with every notification's payload. When the connection
 * drops it reconnects with backoff and calls `onReconnected`, since notifications sent meanwhile
 * are lost (the workers' poll covers lost wake-ups too).
 */
export async function listenForWakeups(
  connection: pg.ClientConfig,
  channel: string,
  onNotification: (payload: string) => void,
  onReconnected: () => void,
  logger?: StoreLogger,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let backoff = MIN_BACKOFF_MS;
  let retry: NodeJS.Timeout | null = null;

  async function connect(): Promise<void> {
    const next = new pg.Client({ ...connection, application_name: "medblocks-webhooks-listener" });
    next.on("notification", (message) => {
      if (message.channel === channel) onNotification(message.payload ?? "");
    });
    const reconnect = (error?: Error) => {
      if (stopped || client !== next) return;
      client = null;
      logger?.warn({ err: error }, "PostgreSQL wake-up connection lost; reconnecting");
      next.end().catch(() => {});
      schedule();
    };
    next.on("error", reconnect);
    next.on("end", () => reconnect());
    client = next;
    await next.connect();
    await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    backoff = MIN_BACKOFF_MS;
  }

  function schedule(): void {
    retry = setTimeout(() => {
      retry = null;
      connect()
        .then(() => onReconnected())
        .catch((error: unknown) => {
          client = null;
          logger?.warn({ err: error }, "PostgreSQL wake-up connection failed; retrying");
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          if (!stopped) schedule();
        });
    }, backoff);
    retry.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end().catch(() => {});
  };
}
