/**
 * The service's configuration, read once from the environment (SPEC §8). Every invalid value stops
 * the start with a message naming the variable and what it accepts.
 */

export type Role = "api" | "worker" | "all";

export interface Config {
  /** Where HTTP is served; null for a worker without PORT (workers need no port). */
  port: number | null;
  host: string;
  databaseUrl: string;
  role: Role;
  bootstrapApiKey: string | undefined;
  /** Delay before each attempt, counted from the previous failure; its length is the attempt count. */
  retryScheduleMs: number[];
  deliveryTimeoutMs: number;
  /** Raw `MEDBLOCKS_ENCRYPTION_KEY`, if set. */
  encryptionKey: string | undefined;
  allowPrivateNetworks: boolean;
  livePublish: boolean;
  retentionDays: number;
  logLevel: string;
  /** Attempts in flight at once in one worker process. */
  deliveryConcurrency: number;
  /** Attempts in flight at once for one endpoint in one worker process. */
  endpointConcurrency: number;
  /** How long a worker's claim on an event lasts; a crashed worker's events come back after it. */
  deliveryLeaseMs: number;
  /** Longest pause between two claims when nothing wakes the dispatcher. */
  pollIntervalMs: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEFAULT_RETRY_SCHEDULE = "0,1m,5m,30m,2h,12h,24h,24h,24h";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `5m`, `2h`, `1d`; a bare `0` is zero. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  if (!match[2]) return value === 0 ? 0 : null;
  return Math.round(value * UNIT_MS[match[2]]!);
}

export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(",");
  const delays = parts.map(parseDuration);
  const bad = parts.find((_, i) => delays[i] === null);
  if (bad !== undefined || delays.length === 0) {
    throw new ConfigError(
      `MEDBLOCKS_RETRY_SCHEDULE: '${bad?.trim() ?? text}' is not a delay. Use comma-separated delays with a unit ` +
        `(ms, s, m, h), e.g. ${DEFAULT_RETRY_SCHEDULE}`,
    );
  }
  if (delays.length > 50) throw new ConfigError("MEDBLOCKS_RETRY_SCHEDULE: at most 50 attempts");
  return delays as number[];
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new ConfigError(`${name} must be 'true' or 'false', got '${env[name]}'`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const role = env.MEDBLOCKS_ROLE?.trim() || "all";
  if (role !== "api" && role !== "worker" && role !== "all") {
    throw new ConfigError(`MEDBLOCKS_ROLE must be 'api', 'worker' or 'all', got '${role}'`);
  }
  const config: Config = {
    // A worker serves /health and /metrics only when given a port.
    port: role === "worker" && !env.PORT ? null : integer(env, "PORT", 8700, 0, 65535),
    host: env.HOST?.trim() || "127.0.0.1",
    databaseUrl: env.DATABASE_URL?.trim() || "sqlite:./data/medblocks.db",
    role,
    bootstrapApiKey: env.MEDBLOCKS_BOOTSTRAP_API_KEY?.trim() || undefined,
    retryScheduleMs: parseRetrySchedule(env.MEDBLOCKS_RETRY_SCHEDULE?.trim() || DEFAULT_RETRY_SCHEDULE),
    deliveryTimeoutMs: integer(env, "MEDBLOCKS_DELIVERY_TIMEOUT_MS", 5_000, 100, 60_000),
    encryptionKey: env.MEDBLOCKS_ENCRYPTION_KEY?.trim() || undefined,
    allowPrivateNetworks: flag(env, "MEDBLOCKS_ALLOW_PRIVATE_NETWORKS"),
    livePublish: flag(env, "MEDBLOCKS_LIVE_PUBLISH"),
    retentionDays: integer(env, "MEDBLOCKS_RETENTION_DAYS", 30, 1, 3650),
    logLevel: env.LOG_LEVEL?.trim() || "info",
    deliveryConcurrency: integer(env, "MEDBLOCKS_DELIVERY_CONCURRENCY", 64, 1, 4096),
    endpointConcurrency: integer(env, "MEDBLOCKS_ENDPOINT_CONCURRENCY", 8, 1, 1024),
    deliveryLeaseMs: 0,
    pollIntervalMs: integer(env, "MEDBLOCKS_POLL_INTERVAL_MS", 1_000, 10, 60_000),
  };
  // The lease must outlast an attempt (the timeout) with room for the wait behind an endpoint's cap.
  const minLease = config.deliveryTimeoutMs * 2;
  config.deliveryLeaseMs = integer(env, "MEDBLOCKS_DELIVERY_LEASE_MS", Math.max(60_000, minLease), minLease, 3_600_000);
  return config;
}
