import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.node.ts", "src/index.web.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // Each entry is one self-contained file: the web build must never share a chunk with node code.
  splitting: false,
  target: "es2022",
  platform: "neutral",
  external: ["node:crypto"],
  // Keep `node:crypto` as written: Deno and edge bundlers with Node compat only know the prefixed name.
  removeNodeProtocol: false,
});
