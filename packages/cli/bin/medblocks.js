#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm install` at the repo root).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("medblocks: the CLI is not built yet. Run `npm run build` at the repository root.");
  process.exit(1);
}
await import(entry.href);
