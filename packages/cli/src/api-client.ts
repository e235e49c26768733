import type { Command } from "commander";
import { Medblocks, MedblocksConnectionError } from "@medblocks/connect";
import { CliError, type OutputOptions } from "./output.js";

/**
 * How API commands reach the service: `--api-key`/`MEDBLOCKS_API_KEY` and `--base-url`/
 * `MEDBLOCKS_BASE_URL`. The CLI defaults to a local service, unlike the SDK (which defaults to
 * https://app.medblocks.com), so the default is always passed explicitly.
 */

export const DEFAULT_BASE_URL = "http://127.0.0.1:8700";

export interface ApiFlags extends OutputOptions {
  apiKey?: string;
  baseUrl?: string;
}

export interface ApiSettings {
  apiKey: string;
  baseUrl: string;
}

/** Adds `--api-key`, `--base-url` and `--json` to an API command. */
export function apiCommand(command: Command): Command {
  return command
    .option("--api-key <key>", "API key (default MEDBLOCKS_API_KEY)")
    .option("--base-url <url>", `the service's URL (default MEDBLOCKS_BASE_URL, else ${DEFAULT_BASE_URL})`)
    .option("--json", "machine-readable output");
}

export function apiSettings(flags: ApiFlags): ApiSettings {
  const apiKey = (flags.apiKey ?? process.env.MEDBLOCKS_API_KEY ?? "").trim();
  if (!apiKey) {
    throw new CliError(
      "no API key: set MEDBLOCKS_API_KEY or pass --api-key (mint one with `medblocks keys create --org <name>`, or use the key `medblocks serve` printed on its first start)",
    );
  }
  const raw = (flags.baseUrl ?? process.env.MEDBLOCKS_BASE_URL ?? "").trim() || DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--base-url / MEDBLOCKS_BASE_URL must be an absolute http(s) URL such as ${DEFAULT_BASE_URL}, got '${raw}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--base-url / MEDBLOCKS_BASE_URL must be http:// or https://, got '${raw}'`);
  }
  return { apiKey, baseUrl: url.href.replace(/\/+$/, "") };
}

/** The error to show when the service cannot be reached at all. */
export function unreachable(baseUrl: string, cause: unknown): CliError {
  return new CliError(
    `cannot reach the Medblocks service at ${baseUrl} (${describeNetworkError(cause)}). ` +
      "Is it running? Start one with `medblocks serve`, or point --base-url / MEDBLOCKS_BASE_URL at yours.",
    1,
    "connection_failed",
  );
}

/** `ECONNREFUSED`, `ENOTFOUND`…: the socket error that fetch hides in a chain of causes. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof MedblocksConnectionError && error.code === "timeout") return "no response in time";
  let deepest: unknown = error;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    deepest = current;
  }
  return deepest instanceof Error ? deepest.message : String(deepest);
}

/**
 * Runs `call` with an SDK client. API errors pass through (the error reporter prints their code,
 * message and param); a network failure becomes one line naming the URL.
 */
export async function withClient<T>(flags: ApiFlags, call: (mb: Medblocks) => Promise<T>): Promise<T> {
  const settings = apiSettings(flags);
  let mb: Medblocks;
  try {
    // One retry, not the SDK's three: someone is waiting at the prompt, and a service that is
    // down should say so in well under a second.
    mb = new Medblocks(settings.apiKey, { baseUrl: settings.baseUrl, maxNetworkRetries: 1 });
  } catch (error) {
    // The SDK checks the key and URL at construction (whitespace in the key, say).
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  try {
    return await call(mb);
  } catch (error) {
    if (error instanceof MedblocksConnectionError) throw unreachable(settings.baseUrl, error);
    throw error;
  }
}
