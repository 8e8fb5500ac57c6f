import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, chownSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * Real Redis and PostgreSQL servers for the tests that need them, each started from Debian's binaries on a
 * free loopback port and owned by the test (so a test may stop, restart or kill it without touching the
 * machine's own servers on 6379/5432).
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

/** Sends one inline command and resolves with the first reply line. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(1000, () => socket.destroy(new Error("timeout")));
    socket.once("error", reject);
    socket.once("data", (data) => {
      resolve(data.toString("utf8").split("\r\n")[0]!);
      socket.end();
    });
    socket.write(`${command}\r\n`);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", () => r()));
}

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, data kept in memory is lost: it saves nothing). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Sends one command (inline protocol) and returns the first reply line, e.g. `command("DBSIZE")` → ":12". */
  command(text: string): Promise<string>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const redis: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
        stdio: "ignore",
      });
      await waitFor(async () => (await redisCommand(port, "PING")) === "+PONG", `redis-server on ${port}`);
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = null;
      c.kill("SIGTERM");
      await exited(c);
    },
    command: (text) => redisCommand(port, text),
  };
  await redis.start();
  return redis;
}

const PG_BIN = (() => {
  try {
    const versions = execFileSync("ls", ["/usr/lib/postgresql"], { encoding: "utf8" }).trim().split("\n").sort((a, b) => Number(b) - Number(a));
    return `/usr/lib/postgresql/${versions[0]}/bin`;
  } catch {
    return "/usr/lib/postgresql/15/bin";
  }
})();

export interface TestPostgres {
  readonly port: number;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A throwaway cluster (initdb, trust auth) in a temporary directory. PostgreSQL refuses to run as root, so
 * when the tests run as root the server runs as the `postgres` user Debian's package creates.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "crosswire-pg-"));
  const dataDir = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })) } : {};
  if (asRoot) chownSync(dir, ids.uid!, ids.gid!);
  execFileSync(`${PG_BIN}/initdb`, ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], { stdio: "ignore", cwd: dir, ...ids });
  let child: ChildProcess | null = null;
  const pg: TestPostgres = {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      child = spawn(
        `${PG_BIN}/postgres`,
        ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        { stdio: "ignore", cwd: dir, ...ids },
      );
      await waitFor(
        () =>
          new Promise<boolean>((resolve) => {
            try {
              execFileSync(`${PG_BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port), "-q"], { stdio: "ignore" });
              resolve(true);
            } catch {
              resolve(false);
            }
          }),
        `postgres on ${port}`,
      );
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = null;
      c.kill("SIGINT"); // fast shutdown
      await exited(c);
    },
    async destroy() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}
