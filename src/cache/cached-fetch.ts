import type Keyv from "keyv";
import type { Logger } from "../logger.js";

/**
 * One upstream answer per key, kept in keyv: the read-through cache every adapter that fetches on demand
 * uses (sources/url's unfurls, forum-discourse's JSON API). What it does, once for all of them:
 *
 * - **TTL**: `encode` says how long an answer's entry is kept (its fresh time plus any stale window).
 * - **Negative cache**: a failure or a 404 is an answer too; `encode` gives it its own (shorter) TTL, so a
 *   dead link or a missing topic is not fetched again on every request.
 * - **Stale-while-revalidate**: an entry `decode` calls stale is answered at once and refreshed in the
 *   background, one refresh per key at a time.
 * - **In-flight sharing**: concurrent callers of one key in this process share one cache read and one fetch.
 *   The entry is registered before the first await, so callers arriving in any order find it.
 *
 * Entries keep each adapter's own stored shape (encode/decode), so caches written before this helper existed
 * are still read.
 */
export interface CachedFetchOptions<T, E> {
  keyv: Keyv;
  logger: Logger;
  /** The entry stored for an answer, and for how long (ms). */
  encode(value: T): { entry: E; ttlMs: number };
  /** What a stored entry answers; `stale`: answer it now and refresh it in the background. */
  decode(entry: E): { value: T; stale: boolean };
  /** Each cache lookup's result (metrics). */
  onCache?: (result: "hit" | "stale" | "miss") => void;
  /** Logged when a background refresh fails (its caller has long been answered). */
  refreshFailed?: string;
}

export interface CachedFetch<T, E> {
  /**
   * The answer for `key`: from the cache, or from `load` (then stored). `fetched` is true when `load` ran for
   * this call. `encode` overrides the default for this call (a per-request TTL).
   */
  get(key: string, load: () => Promise<T>, encode?: (value: T) => { entry: E; ttlMs: number }): Promise<{ value: T; fetched: boolean }>;
  /** Waits for lookups and background refreshes under way (shutdown, tests). */
  settle(): Promise<void>;
}

export function createCachedFetch<T, E>(options: CachedFetchOptions<T, E>): CachedFetch<T, E> {
  const { keyv } = options;
  const inFlight = new Map<string, Promise<{ value: T; fetched: boolean }>>();
  const refreshing = new Map<string, Promise<unknown>>();

  async function fetchAndStore(key: string, load: () => Promise<T>, encode: CachedFetchOptions<T, E>["encode"]): Promise<T> {
    const value = await load();
    const { entry, ttlMs } = encode(value);
    await keyv.set(key, entry, ttlMs);
    return value;
  }

  function refreshInBackground(key: string, load: () => Promise<T>, encode: CachedFetchOptions<T, E>["encode"]): void {
    if (refreshing.has(key)) return;
    const task = fetchAndStore(key, load, encode)
      .catch((err: unknown) => options.logger.warn({ err, key }, options.refreshFailed ?? "background cache refresh failed"))
      .finally(() => refreshing.delete(key));
    refreshing.set(key, task);
  }

  async function lookup(key: string, load: () => Promise<T>, encode: CachedFetchOptions<T, E>["encode"]) {
    const cached = await keyv.get<E>(key);
    if (cached !== undefined && cached !== null) {
      const { value, stale } = options.decode(cached);
      options.onCache?.(stale ? "stale" : "hit");
      if (stale) refreshInBackground(key, load, encode);
      return { value, fetched: false };
    }
    options.onCache?.("miss");
    return { value: await fetchAndStore(key, load, encode), fetched: true };
  }

  return {
    get(key, load, encode = options.encode) {
      const existing = inFlight.get(key);
      if (existing) return existing;
      const task = lookup(key, load, encode).finally(() => inFlight.delete(key));
      inFlight.set(key, task);
      return task;
    },
    async settle() {
      await Promise.allSettled([...inFlight.values(), ...refreshing.values()]);
    },
  };
}
