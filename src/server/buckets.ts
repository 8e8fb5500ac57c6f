/**
 * Per-client-address token buckets, refilled continuously: the one shape behind every per-address budget
 * (query cost, /feeds/* cost, unfurl fetches, subscription events). The map is bounded: past `maxKeys`
 * addresses the least recently charged are forgotten first (a forgotten address starts again with a full
 * bucket, which an address-spraying client gets anyway), so a client cannot grow it without bound.
 */
export interface Buckets {
  /** Takes `amount` from `key`'s bucket; returns 0 when taken, else the seconds until it could be (nothing taken). */
  take(key: string, amount?: number): number;
  /** How much `key` has left now. */
  left(key: string): number;
  readonly size: number;
}

export const MAX_BUCKET_KEYS = 100_000;

export function createBuckets(perMinute: number, options: { now?: () => number; maxKeys?: number } = {}): Buckets {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? MAX_BUCKET_KEYS;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  const refreshed = (key: string) => {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: perMinute, at: t };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs);
    bucket.at = t;
    // re-inserted: Map order is then least recently charged first
    buckets.delete(key);
    buckets.set(key, bucket);
    for (const oldest of buckets.keys()) {
      if (buckets.size <= maxKeys) break;
      buckets.delete(oldest);
    }
    return bucket;
  };
  return {
    take(key, amount = 1) {
      const bucket = refreshed(key);
      if (bucket.tokens < amount) return Math.max(1, Math.ceil((amount - bucket.tokens) / perMs / 1000));
      bucket.tokens -= amount;
      return 0;
    },
    left: (key) => refreshed(key).tokens,
    get size() {
      return buckets.size;
    },
  };
}

export function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}
