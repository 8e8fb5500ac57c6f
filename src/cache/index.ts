import path from "node:path";
import Keyv, { type KeyvOptions } from "keyv";
import type { Config } from "../config/index.js";
import type { Logger } from "../logger.js";
import { createRedisLease } from "../cluster/lease.js";
import { leaseExclusive, localExclusive, type Exclusive } from "../cluster/lock.js";
import type { Lease } from "../cluster/types.js";
import { sqliteProbe, type ReadinessProbe } from "../server/readiness.js";
import { createRedisClient, REDIS_STORE_NAME, TimedRedisStore, whenRedisReady } from "./redis-store.js";
import { SqliteKeyvStore } from "./sqlite-store.js";

export { SqliteKeyvStore };

// Plain JSON: keyv's default serializer walks every value with a reviver to restore Buffers, which we
// never store; it was about 5 % of CPU on a warm thread page (bench/README.md).
const JSON_CODEC: Pick<KeyvOptions, "serialize" | "deserialize"> = {
  serialize: JSON.stringify,
  deserialize: (text) => JSON.parse(text as string),
};

/** The process-wide cache: keyv on an embedded SQLite file in the data directory. */
export function createCache(dataDir: string, namespace = "crosswire"): { keyv: Keyv; store: SqliteKeyvStore } {
  const store = new SqliteKeyvStore(path.join(dataDir, "cache.db"));
  store.purgeExpired();
  // throwOnErrors: a store failure reaches the caller (keyv would otherwise answer "not found").
  const keyv = new Keyv({ store, namespace, ...JSON_CODEC, throwOnErrors: true });
  return { keyv, store };
}

/**
 * The keyv cache the config names (cache.store) and what comes with it. Both stores go through the same
 * Keyv API, so ArticleStore, the unfurl cache, APQ and source health have one code path.
 */
export interface Cache {
  keyv: Keyv;
  /** True when other processes share the store (Redis): polls are then coordinated by `cluster`. */
  shared: boolean;
  /** The SQLite store (tests count its statements); null with Redis. */
  sqlite: SqliteKeyvStore | null;
  /** Serializes article writes (read-modify-write of the article indexes): in-process, or a Redis lease. */
  exclusive: Exclusive;
  /** Redis only: feed-poll leases for the poller. */
  cluster: { lease: Lease; leaseTtlMs: number } | null;
  /** The /readyz check of this store. */
  probe: ReadinessProbe;
  close(): Promise<void>;
}

export async function openCache(config: Config, logger: Logger): Promise<Cache> {
  if (config.cache.store === "sqlite") {
    const { keyv, store } = createCache(config.dataDir);
    return {
      keyv, shared: false, sqlite: store, exclusive: localExclusive(), cluster: null,
      probe: sqliteProbe("cache store", store.database),
      close: () => keyv.disconnect(),
    };
  }
  const { redisUrl, keyPrefix, timeoutMs, leaseTtlMs } = config.cache;
  const options = { url: redisUrl!, keyPrefix, timeoutMs };
  const client = createRedisClient(options, logger);
  await whenRedisReady(client, logger);
  const keyv = new Keyv({ store: new TimedRedisStore(client, options), ...JSON_CODEC, useKeyPrefix: false, throwOnErrors: true });
  const lease = createRedisLease(client, { keyPrefix, ttlMs: leaseTtlMs, timeoutMs }, logger);
  return {
    keyv, shared: true, sqlite: null,
    exclusive: leaseExclusive(lease, "articles", leaseTtlMs + timeoutMs),
    cluster: { lease, leaseTtlMs },
    probe: { name: REDIS_STORE_NAME, check: async () => void (await client.ping()) },
    close: () => keyv.disconnect(),
  };
}
