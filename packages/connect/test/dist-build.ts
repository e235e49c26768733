import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
export const repoRoot = resolve(packageDir, "../..");
export const distDir = join(packageDir, "dist");

const OUTPUTS = ["index.node.js", "index.node.cjs", "index.web.js", "index.web.cjs", "index.node.d.ts", "index.web.d.cts"];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function oldestOutput(): number {
  try {
    return Math.min(...OUTPUTS.map((name) => statSync(join(distDir, name)).mtimeMs));
  } catch {
    return -1;
  }
}

/**
 * Builds the package when dist/ is missing or older than its sources, so these tests never check a
 * stale build (`npm test` builds first; a bare `vitest run` may not have).
 */
export function ensureFreshBuild(): void {
  const inputs = Math.max(
    newestMtime(join(packageDir, "src")),
    newestMtime(join(packageDir, "package.json")),
    newestMtime(join(packageDir, "tsup.config.ts")),
  );
  if (oldestOutput() >= inputs) return;
  execFileSync(join(repoRoot, "node_modules/.bin/tsup"), [], { cwd: packageDir, stdio: "pipe", timeout: 120_000 });
}

/** Runs a snippet in a fresh `node` with the given export conditions, from the repo root. */
export function runNode(args: readonly string[], code: string): string {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return execFileSync(process.execPath, [...args, "-e", code], { cwd: repoRoot, env, encoding: "utf8", timeout: 30_000 }).trim();
}
