import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const TSX = new URL("node_modules/tsx/dist/loader.mjs", `file://${ROOT}`).href;

/**
 * Runs a TypeScript entry point of this repository as a real process, from source: tsx compiles
 * it and the `@medblocks/source` condition resolves workspace packages to their sources too.
 */
export function spawnSource(entry: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess & { output(): { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ["--conditions=@medblocks/source", "--import", TSX, `${ROOT}${entry}`, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

export function waitForExit(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  // A process ended by a signal has no exit code, only a signal code.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`process did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Waits until `predicate` holds for the child's output, or fails with what it printed. */
export async function waitForOutput(
  child: ChildProcess & { output(): { stdout: string; stderr: string } },
  predicate: (out: { stdout: string; stderr: string }) => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(child.output())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const { stdout, stderr } = child.output();
      throw new Error(`expected output did not appear (exit ${child.exitCode}).\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
