// Runs every bench/*.bench.mjs in its own `node` process, one after another, so no benchmark warms
// up or pollutes another's heap. `node bench/run.mjs [filter…]` runs only files whose name contains
// one of the filters. Expects built packages (`npm run bench` builds first).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.mjs"))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`No benchmark matches ${filters.length ? filters.join(", ") : "bench/*.bench.mjs"}.`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: "inherit", cwd: join(here, "..") });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed++;
    console.log(`--- ${file} failed (exit ${result.status ?? result.signal}) after ${seconds} s`);
  } else {
    console.log(`--- ${file} done in ${seconds} s`);
  }
}
process.exit(failed === 0 ? 0 : 1);
