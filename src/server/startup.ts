import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import type { Config } from "../config/index.js";

/**
 * Why `crosswire serve` cannot start, in words an operator acts on: the CLI prints the message alone, without
 * a stack trace (a port in use, a data dir another gateway holds).
 */
export class StartupError extends Error {
  override name = "StartupError";
}

/** A listen() failure as a StartupError when it is the operator's to fix; anything else unchanged. */
export function explainListenError(err: unknown, config: Config): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const where = config.host ? `${config.host}:${config.port}` : `port ${config.port}`;
  if (code === "EADDRINUSE") {
    return new StartupError(`port ${config.port} is in use; set PORT (or "port" in the config file) to a free one, or stop what listens on ${where}`);
  }
  if (code === "EACCES") return new StartupError(`${where} needs privileges this user lacks; set PORT to 1024 or above`);
  if (code === "EADDRNOTAVAIL") return new StartupError(`host "${config.host}" is not an address of this machine; set "host" to one that is, or leave it unset`);
  return err;
}

export const LOCK_FILE = "gateway.lock";

interface LockHolder {
  pid: number;
  hostname: string;
  port: number;
  startedAt: string;
}

export interface DataDirLock {
  /** Removes the lock file if it is still this process's. */
  release(): void;
}

/**
 * One gateway per data dir, unless the gateways share their stores on purpose. Two processes on one SQLite
 * data dir both poll every feed (the poll leases live in the cache, and a SQLite cache is per process) and
 * race on the same files; with `cache.store: "redis"` the leases, pub/sub and cache are shared, and several
 * gateways on one machine may point at one dir. The lock is a file holding the holder's pid, host and port:
 * a file left by a process that is gone (a crash, a kill -9) is taken over, so a stale lock never blocks.
 */
export function lockDataDir(config: Config): DataDirLock {
  if (config.cache.store === "redis") return { release() {} };
  const dir = path.resolve(config.dataDir);
  const file = path.join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  const me: LockHolder = { pid: process.pid, hostname: hostname(), port: config.port, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: "wx" });
      return {
        release() {
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = readHolder(file);
    if (holder && holder.pid !== process.pid && (holder.hostname !== me.hostname || isAlive(holder.pid))) {
      const elsewhere = holder.hostname !== me.hostname ? ` on ${holder.hostname} (delete ${file} if that gateway is gone)` : "";
      throw new StartupError(
        `data dir ${dir} is in use by another crosswire gateway (pid ${holder.pid}, port ${holder.port}, started ${holder.startedAt})${elsewhere}; ` +
          `stop it, give this one its own CROSSWIRE_DATA_DIR, or share the stores on purpose (cache.store "redis", forum.store "postgres")`,
      );
    }
    rmSync(file, { force: true }); // stale: its process is gone, or the file is unreadable
  }
  throw new StartupError(`data dir ${dir}: another gateway took the lock (${file}) while this one was starting`);
}

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<LockHolder>;
    return typeof parsed.pid === "number" && typeof parsed.hostname === "string"
      ? { pid: parsed.pid, hostname: parsed.hostname, port: Number(parsed.port), startedAt: String(parsed.startedAt) }
      : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by another user
  }
}
