import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { spawnSource, waitForExit } from "../../../server/test/support/process.js";

/** Ways to run the real `medblocks` binary in tests, and what it printed. */

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ENTRY = "packages/cli/src/main.ts";
const TSX = new URL("node_modules/tsx/dist/loader.mjs", `file://${ROOT}`).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** Bytes for stdin; without them stdin is closed (not a terminal). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs the CLI from source (tsx, workspace packages from source too) to completion. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (options.input === undefined) {
    const child = spawnSource(ENTRY, args, { env: options.env });
    const code = await waitForExit(child, options.timeoutMs ?? 30_000);
    return { code, ...child.output() };
  }
  // spawnSource leaves stdin closed; sign and verify read the body from it, so pipe it here.
  return runProcess(process.execPath, ["--conditions=@medblocks/source", "--import", TSX, `${ROOT}${ENTRY}`, ...args], options);
}

/** Runs the built binary, `node packages/cli/bin/medblocks.js`, as `npx medblocks` does. */
export function runBin(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [`${ROOT}packages/cli/bin/medblocks.js`, ...args], options);
}

export function runProcess(command: string, args: string[], options: CliOptions & { cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? "");
  return waitForExit(child, options.timeoutMs ?? 30_000).then((code) => ({ code, stdout, stderr }));
}

/** A local port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const json = <T = any>(result: CliResult): T => {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
};

/** The error report is one line on stderr, without a stack trace. */
export function expectOneLineError(result: CliResult): string {
  const lines = result.stderr.trim().split("\n");
  if (result.code !== 1 || lines.length !== 1 || /\n\s+at /.test(result.stderr)) {
    throw new Error(`expected exit 1 and one line on stderr, got exit ${result.code}:\n${result.stderr}`);
  }
  return lines[0]!;
}
