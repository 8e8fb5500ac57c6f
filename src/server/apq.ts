import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import type Keyv from "keyv";

/**
 * Apollo's automatic persisted queries keep query text by hash; this puts that cache in our keyv store, so
 * the hashes survive restarts and, on Redis, are shared by every gateway process.
 *
 * Anyone can register any query text, so registrations are bounded (issue 18: 20 registrations of ~900 KB,
 * padding in a comment that costs no tokens, stayed 7 days, +17.5 MB):
 * - a text longer than `maxQueryBytes` is not kept (the request still runs; the client sends the text again);
 * - each process remembers the hashes it registered, oldest first, and past `maxStored` deletes the oldest
 *   from the store, so one process adds at most maxStored × maxQueryBytes (2,000 × 16 KB = 32 MB by default);
 * - registrations expire after the TTL Apollo is given (persistedQueries.ttlSeconds).
 * Entries set without a TTL are the operator's safelist (preloadSafelist): never counted, never evicted.
 */
export interface ApqBounds {
  maxQueryBytes: number;
  maxStored: number;
}

export interface ApqCache extends KeyValueCache<string> {
  /** Hashes this process registered and still counts (tests, docs). */
  readonly registered: number;
}

export function apqCache(keyv: Keyv, bounds: ApqBounds = { maxQueryBytes: Infinity, maxStored: Infinity }): ApqCache {
  const registered = new Set<string>();
  return {
    async get(key) {
      return (await keyv.get<string>(`apq:${key}`)) ?? undefined;
    },
    async set(key, value, options) {
      if (!options?.ttl) {
        await keyv.set(`apq:${key}`, value);
        return;
      }
      if (Buffer.byteLength(value) > bounds.maxQueryBytes) return;
      registered.delete(key);
      registered.add(key);
      await keyv.set(`apq:${key}`, value, options.ttl * 1000);
      for (const oldest of registered) {
        if (registered.size <= bounds.maxStored) break;
        registered.delete(oldest);
        await keyv.delete(`apq:${oldest}`);
      }
    },
    async delete(key) {
      registered.delete(key);
      return keyv.delete(`apq:${key}`);
    },
    get registered() {
      return registered.size;
    },
  };
}
