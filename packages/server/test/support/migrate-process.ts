/**
 * `node --import tsx migrate-process.ts <DATABASE_URL> [<start at, epoch ms>]`: opens that store and
 * migrates it, as a freshly started service would. Tests start several with one start time so the
 * migrations really overlap instead of being spread out by process start-up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createStore } from "../../src/store/create-store.js";

const [url, startAt] = process.argv.slice(2);
if (!url) throw new Error("usage: migrate-process.ts <DATABASE_URL> [<start at, epoch ms>]");
const store = await createStore(url);
try {
  if (startAt) await sleep(Math.max(0, Number(startAt) - Date.now()));
  await store.migrate();
  process.stdout.write("migrated\n");
} finally {
  await store.close();
}
