import { randomUUID } from "node:crypto";
import os from "node:os";
import type { RedisClientType } from "@keyv/redis";
import { withStoreTimeout } from "../cache/timeout.js";
import { REDIS_STORE_NAME } from "../cache/redis-store.js";
import type { Logger } from "../logger.js";
import type { Lease, LeaseHandle } from "./types.js";

// Compare-and-delete / compare-and-extend: only the holder (same token) may release or renew its lease.
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export interface RedisLeaseOptions {
  /** Keys are `<keyPrefix>lease:<name>`. */
  keyPrefix: string;
  /** A holder that stops renewing (killed, partitioned) loses the lease after this long (cache.leaseTtlMs). */
  ttlMs: number;
  timeoutMs: number;
}

/**
 * Leases in Redis: `SET key token NX PX ttl` to take, a Lua compare-and-delete to release, and a
 * compare-and-pexpire every ttl/3 while held, so a long poll keeps its lease but a process that dies
 * (SIGKILL) loses it within one TTL. The token names the holder (`host:pid:uuid`) for operators.
 */
export function createRedisLease(client: RedisClientType, options: RedisLeaseOptions, logger: Logger): Lease {
  const call = <T>(fn: () => Promise<T>) => withStoreTimeout(REDIS_STORE_NAME, options.timeoutMs, fn);
  return {
    async acquire(name) {
      const key = `${options.keyPrefix}lease:${name}`;
      const token = `${os.hostname()}:${process.pid}:${randomUUID()}`;
      const taken = await call(() => client.set(key, token, { condition: "NX", expiration: { type: "PX", value: options.ttlMs } }));
      if (taken !== "OK") return null;
      const renew = setInterval(() => {
        call(() => client.eval(RENEW, { keys: [key], arguments: [token, String(options.ttlMs)] })).then(
          (kept) => kept === 0 && logger.warn({ lease: name }, "lease expired while held (Redis unreachable for longer than cache.leaseTtlMs?)"),
          (err: unknown) => logger.warn({ err, lease: name }, "could not renew a lease"),
        );
      }, Math.max(50, Math.floor(options.ttlMs / 3)));
      renew.unref();
      const handle: LeaseHandle = {
        async release() {
          clearInterval(renew);
          // Not released (Redis down): it expires by itself after ttlMs.
          await call(() => client.eval(RELEASE, { keys: [key], arguments: [token] })).catch((err: unknown) =>
            logger.warn({ err, lease: name }, "could not release a lease; it expires by itself"),
          );
        },
      };
      return handle;
    },
  };
}
