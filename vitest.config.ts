import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources (the `@medblocks/source` export
// condition), so a test run never depends on a stale dist/.
const conditions = ["@medblocks/source", "node", "import", "module", "default"];

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
