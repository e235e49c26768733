import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources (the `@medblocks/source` export
// condition), so a test run never depends on a stale dist/.
// No "import" here: Vite adds import/require by itself, while Vitest hands this list to Node for
// external packages, where "import" would also apply inside require() and load the ESM build of a
// dual package into CommonJS (pg's `require("pg-pool")` then gets a module namespace, not a class).
const conditions = ["@medblocks/source", "node", "module", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
