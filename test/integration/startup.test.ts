import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnServe } from "../helpers/gateway.js";

/** `crosswire serve` refusing to start, with one sentence and no stack trace. */

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-startup-"));
  dirs.push(dir);
  return dir;
};
/** Quiet, offline and quick to start: no default sources, no demo feeds. */
const offline = (dataDir: string, extra: Record<string, string> = {}) => {
  const file = path.join(dataDir, "..", `${path.basename(dataDir)}.json`);
  writeFileSync(file, JSON.stringify({ host: "127.0.0.1", logLevel: "info", dataDir, sources: [], news: { demoFeeds: false }, unfurl: { enabled: false } }));
  return { CROSSWIRE_CONFIG: file, ...extra };
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("crosswire serve at start", () => {
  it('says "port N is in use; set PORT" when the port is taken, without a stack trace, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const serve = spawnServe(offline(freshDir(), { PORT: String(port) }));
      serve.listening.catch(() => {});
      expect(await serve.exited).toBe(1);
      const output = serve.output();
      expect(output).toContain(`crosswire: port ${port} is in use; set PORT`);
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("refuses a second gateway on the same data dir, naming the first one's pid and port, and exits 1", async () => {
    const dataDir = freshDir();
    const first = spawnServe(offline(dataDir, { PORT: "0" }));
    try {
      await first.listening;
      const lock = JSON.parse(readFileSync(path.join(dataDir, "gateway.lock"), "utf8"));
      expect(lock.pid).toBe(first.child.pid);
      const second = spawnServe(offline(dataDir, { PORT: "0" }));
      second.listening.catch(() => {});
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(new RegExp(`crosswire: data dir .* is in use by another crosswire gateway \\(pid ${first.child.pid}, port 0,`));
      expect(second.output()).toContain('share the stores on purpose (cache.store "redis"');
      expect(second.output()).not.toMatch(/^\s+at /m);
      expect(second.output()).not.toContain("listening");
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
    // A clean stop removes the lock: the next gateway starts.
    expect(() => readFileSync(path.join(dataDir, "gateway.lock"))).toThrow();
  });

  it("takes over a lock left by a process that is gone (killed with SIGKILL)", async () => {
    const dataDir = freshDir();
    const crashed = spawnServe(offline(dataDir, { PORT: "0" }));
    await crashed.listening;
    crashed.child.kill("SIGKILL");
    await crashed.exited;
    expect(JSON.parse(readFileSync(path.join(dataDir, "gateway.lock"), "utf8")).pid).toBe(crashed.child.pid);
    const next = spawnServe(offline(dataDir, { PORT: "0" }));
    try {
      await next.listening;
      expect(JSON.parse(readFileSync(path.join(dataDir, "gateway.lock"), "utf8")).pid).toBe(next.child.pid);
    } finally {
      next.child.kill("SIGTERM");
      await next.exited;
    }
  });
});
