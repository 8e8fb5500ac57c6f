// Seconds from `npm start` to the gateway answering GET /ready, twice on one data dir (the second start is the
// everyday one: demo data already seeded). Usage: node bench/start-time.mjs [port]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const port = Number(process.argv[2] ?? 4123);
const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-start-"));

async function startOnce() {
  const began = performance.now();
  const child = spawn("npm", ["start"], { env: { ...process.env, PORT: String(port), CROSSWIRE_DATA_DIR: dataDir, CROSSWIRE_LOG_LEVEL: "warn" }, stdio: "ignore", detached: true });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/graphql?query=%7B__typename%7D`, { headers: { "apollo-require-preflight": "1" } }).then((r) => r.ok, () => false);
      if (ok) return (performance.now() - began) / 1000;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.kill(-child.pid, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

try {
  const first = await startOnce();
  const second = await startOnce();
  console.log(`first start (seeds the demo data): ${first.toFixed(2)} s; second start: ${second.toFixed(2)} s`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
