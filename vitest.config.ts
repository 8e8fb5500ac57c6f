import { createRequire } from "node:module";
import path from "node:path";
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
  // Deep imports (`graphql/execution/values`, used by graphql-query-complexity) get the same treatment:
  // Vite would pick the .mjs file next to the .js one.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: require.resolve("graphql") },
      { find: /^graphql\/(.*?)(\.m?js)?$/, replacement: `${path.dirname(require.resolve("graphql"))}/$1.js` },
    ],
  },
});
