import { EventEmitter } from "node:events";
import KeyvRedis, { createClient, type RedisClientType } from "@keyv/redis";
import type { KeyvStoreAdapter, StoredData } from "keyv";
import type { Logger } from "../logger.js";
import { withStoreTimeout } from "./timeout.js";

export const REDIS_STORE_NAME = "cache store (Redis)";

export interface RedisOptions {
  url: string;
  /** Prepended to every key (cache.keyPrefix). */
  keyPrefix: string;
  /** Every call fails with ServiceUnavailableError after this long (cache.timeoutMs). */
  timeoutMs: number;
}

/**
 * The Redis client behind the cache and the leases. Configured so a lost Redis fails fast instead of hanging
 * (stack-notes §5: with the defaults, `get()` waited while the client retried): no offline queue (commands
 * while disconnected reject at once), a connect timeout, and reconnection with capped exponential backoff
 * forever, so the process recovers by itself when Redis returns.
 */
export function createRedisClient(options: RedisOptions, logger: Logger): RedisClientType {
  const client = createClient(failFastRedisOptions(options.url, options.timeoutMs)) as RedisClientType;
  logRedisTransitions(client, logger.child({ redis: redactUrl(options.url) }), "Redis connection");
  // connect() keeps retrying (reconnectStrategy) until Redis answers; the client counts as open meanwhile.
  client.connect().catch((err: unknown) => logger.error({ err }, "Redis client gave up connecting"));
  return client;
}

/** The client options behind createRedisClient, for the other Redis clients of the process (live pub/sub). */
export function failFastRedisOptions(url: string, connectTimeoutMs: number) {
  return {
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 10), 5_000) + Math.floor(Math.random() * 100),
    },
  };
}

/**
 * Logs a client's transitions (lost, restored), not every failed reconnect attempt: while Redis is down the
 * client reports one error per backoff step, several a second at first.
 */
export function logRedisTransitions(client: Pick<EventEmitter, "on">, logger: Logger, what: string): void {
  let lost = false;
  client.on("error", (err: Error) => {
    if (lost) return;
    lost = true;
    logger.warn({ err: err.message }, `${what} lost; reconnecting in the background`);
  });
  client.on("ready", () => {
    if (lost) logger.info(`${what} restored`);
    lost = false;
  });
}

/** Resolves once the client is connected, logging every few seconds while it waits (start-up). */
export async function whenRedisReady(client: RedisClientType, logger: Logger): Promise<void> {
  if (client.isReady) return;
  await new Promise<void>((resolve) => {
    const waiting = setInterval(() => logger.warn("waiting for Redis before starting (cache.redisUrl)"), 5_000);
    client.once("ready", () => {
      clearInterval(waiting);
      resolve();
    });
  });
}

/**
 * keyv store adapter: `@keyv/redis` (which does the work, including MGET for getMany and MULTI for setMany)
 * with every call bounded by `timeoutMs` and every failure turned into ServiceUnavailableError.
 */
export class TimedRedisStore extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown>;
  namespace?: string;
  private readonly inner: KeyvRedis<string>;

  constructor(client: RedisClientType, private readonly options: RedisOptions) {
    super();
    this.inner = new KeyvRedis<string>(client, { throwOnErrors: true, throwOnConnectError: true });
    // The key prefix is the adapter's namespace, joined without a separator: "crosswire:" + "a:<key>".
    this.inner.namespace = options.keyPrefix;
    this.inner.keyPrefixSeparator = "";
    this.inner.on("error", () => {}); // failures are thrown to the caller; the client logs connection state
    this.opts = { dialect: "redis", url: redactUrl(options.url) };
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return withStoreTimeout(REDIS_STORE_NAME, this.options.timeoutMs, fn);
  }

  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.call(() => this.inner.get(key) as Promise<StoredData<Value> | undefined>);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.call(() => this.inner.set(key, value as string, ttl));
    return true;
  }

  getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return this.call(() => this.inner.getMany(keys) as Promise<Array<StoredData<Value | undefined>>>);
  }

  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    if (values.length === 0) return;
    await this.call(() => this.inner.setMany(values.map((v) => ({ key: v.key, value: v.value as string, ttl: v.ttl }))));
  }

  delete(key: string): Promise<boolean> {
    return this.call(() => this.inner.delete(key));
  }

  deleteMany(keys: string[]): Promise<boolean> {
    return this.call(() => this.inner.deleteMany(keys));
  }

  has(key: string): Promise<boolean> {
    return this.call(() => this.inner.has(key));
  }

  /** Deletes this deployment's keys only (those under cache.keyPrefix). */
  clear(): Promise<void> {
    return this.call(() => this.inner.clear());
  }

  async disconnect(): Promise<void> {
    await this.inner.disconnect();
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
