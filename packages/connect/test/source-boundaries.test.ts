import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageDir } from "./dist-build.js";

// Runtime-specific code lives only in the Node crypto provider and the Node entry; everything else
// must run on web standards alone (contract: works where only Web Crypto exists).
const NODE_ONLY = new Set(["src/webhooks/crypto/node.ts", "src/index.node.ts"]);
const FORBIDDEN = [
  [/from\s+["']node:|import\(\s*["']node:/, "imports node:*"],
  [/\brequire\(/, "calls require()"],
  [/\bprocess\s*\./, "reads process"],
  [/\bBuffer\s*\./, "uses Buffer"],
  [/\bglobalThis\.(process|Buffer)\b/, "sniffs the runtime"],
] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("source boundaries", () => {
  const files = sourceFiles(join(packageDir, "src")).map((path) => relative(packageDir, path));

  it("finds the sources", () => {
    expect(files).toContain("src/webhooks/verify-signature.ts");
    expect(files).toContain("src/webhooks/crypto/web.ts");
  });

  it.each(files.filter((file) => !NODE_ONLY.has(file)))("%s uses web standards only", (file) => {
    const code = readFileSync(join(packageDir, file), "utf8");
    for (const [pattern, what] of FORBIDDEN) expect(code, `${file} ${what}`).not.toMatch(pattern);
  });

  // Reading MEDBLOCKS_API_KEY / MEDBLOCKS_BASE_URL is the one runtime question shared code asks, and
  // it asks it in one file, by feature detection on globalThis (never a bare `process`, which
  // throws a ReferenceError where it does not exist).
  const ENVIRONMENT_READER = "src/client/environment.ts";
  const RUNTIME_GLOBALS = /(?<![\w.])(process|Deno)\s*\??\./;

  it.each(files.filter((file) => !NODE_ONLY.has(file) && file !== ENVIRONMENT_READER))("%s does not read the runtime environment", (file) => {
    expect(readFileSync(join(packageDir, file), "utf8"), file).not.toMatch(RUNTIME_GLOBALS);
  });

  it("the environment reader reaches runtime globals only through globalThis", () => {
    const code = readFileSync(join(packageDir, ENVIRONMENT_READER), "utf8");
    expect(code).toMatch(/= globalThis as RuntimeGlobals;/);
    expect(code.replace(/^\s*(\/\/|\/?\*).*$/gm, "")).not.toMatch(RUNTIME_GLOBALS);
  });

  it("the web entry never reaches the Node provider", () => {
    const web = readFileSync(join(packageDir, "src/index.web.ts"), "utf8");
    expect(web).not.toMatch(/crypto\/node/);
    expect(web).toMatch(/crypto\/web\.js/);
  });

  it("files stay small (about 300 lines at most)", () => {
    for (const file of files) {
      const lines = readFileSync(join(packageDir, file), "utf8").split("\n").length;
      expect(lines, file).toBeLessThanOrEqual(320);
    }
  });
});
