import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * What the system tests (test/system/) need from the machine, and whether it is there. Read by
 * vitest.config.ts: a system test file whose server or browser is missing is left out of the run with one
 * line naming what is missing and how to install it (CI installs all three in .ci/run, so there they run).
 * No npm package brings these: they are Debian's binaries, started by test/helpers/servers.ts on free ports.
 */
export type Requirement = "redis-server" | "postgresql" | "chromium";

const INSTALL: Record<Requirement, string> = {
  "redis-server": "apt-get install -y redis-server",
  postgresql: "apt-get install -y postgresql",
  chromium: "apt-get install -y chromium",
};

/** Each system test file and what it starts. A file not listed here always runs. */
export const SYSTEM_NEEDS: Record<string, Requirement[]> = {
  "test/system/cache-stores.test.ts": ["redis-server"],
  "test/system/forum-store.test.ts": ["postgresql"],
  "test/system/forums-cluster.test.ts": ["redis-server"],
  "test/system/scale-out.test.ts": ["redis-server", "postgresql"],
  "test/system/writes-cluster.test.ts": ["redis-server", "postgresql"],
  "test/system/sources-cluster.test.ts": ["redis-server", "postgresql"],
  "test/system/response-cache-cluster.test.ts": ["redis-server", "postgresql"],
  "test/system/read-cache-cluster.test.ts": ["postgresql"],
  "test/system/search-postgres.test.ts": ["postgresql"],
  "test/system/search-postgres-index.test.ts": ["postgresql"],
  "test/system/playground.browser.test.ts": ["chromium"],
};

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && existsSync(path.join(dir, binary)));
}

function postgresInstalled(): boolean {
  // servers.ts runs initdb/postgres from Debian's /usr/lib/postgresql/<version>/bin (not on PATH).
  try {
    return readdirSync("/usr/lib/postgresql").some((v) => existsSync(path.join("/usr/lib/postgresql", v, "bin", "postgres")));
  } catch {
    return false;
  }
}

export function isAvailable(what: Requirement): boolean {
  switch (what) {
    case "redis-server":
      return onPath("redis-server");
    case "postgresql":
      return postgresInstalled();
    case "chromium":
      return existsSync("/usr/bin/chromium"); // the path playground.browser.test.ts launches
  }
}

/** Null when everything `needs` lists is present; else one sentence naming what is missing. */
export function missingMessage(needs: readonly Requirement[]): string | null {
  const missing = needs.filter((n) => !isAvailable(n));
  if (missing.length === 0) return null;
  return `${missing.join(" and ")} not found (install: ${missing.map((m) => INSTALL[m]).join("; ")})`;
}
