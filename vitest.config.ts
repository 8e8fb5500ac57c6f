import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { missingMessage, SYSTEM_NEEDS } from "./test/helpers/requirements.js";

const require = createRequire(import.meta.url);

// System tests start redis-server, PostgreSQL or Chromium. Where one is missing its files are left out with
// one line naming it (CI installs all three in .ci/run, so there every file runs).
const systemSkipped = Object.entries(SYSTEM_NEEDS).flatMap(([file, needs]) => {
  const missing = missingMessage(needs);
  return missing ? [{ file, missing }] : [];
});
// Vitest reads this file once per project; say it once.
if (process.env.CROSSWIRE_SYSTEM_SKIP_SAID !== "1") {
  process.env.CROSSWIRE_SYSTEM_SKIP_SAID = "1";
  for (const { file, missing } of systemSkipped) console.warn(`system: skipping ${file}: ${missing}`);
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // `npm run test:system` on a machine with none of the three: every file left out, said above, not a failure.
    passWithNoTests: true,
    hookTimeout: 60_000,
    projects: [
      // Pure functions: no sockets, no child processes, no build needed.
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      // Real HTTP on 127.0.0.1, whole gateways, SQLite files, the parse worker.
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      // Debian's redis-server / PostgreSQL / Chromium, started by the tests on free ports.
      {
        extends: true,
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          exclude: systemSkipped.map((s) => s.file),
        },
      },
    ],
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
