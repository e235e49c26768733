import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.node.ts", "src/index.web.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  external: ["node:crypto"],
});
