import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
  // graphql@16 has no "exports" map: Vite would load index.mjs for test files while type-graphql
  // (externalized, run by Node) loads index.js, and graphql refuses schemas from "another realm".
  // Pinning the one CommonJS entry gives every importer the same copy.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }] },
});
