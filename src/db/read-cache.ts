/**
 * Decoded reads kept across requests for as long as the database they came from has not changed.
 *
 * A warm thread page reads the same rows on every request (its posts page, their authors, the cited articles):
 * issue 22 measured SQL and decoding (JSON.parse of article records) as a quarter of the page's CPU. The cache keys
 * decoded values by what was asked, and it is valid for one value of the database's change clock
 * (SqlDatabase.changeClock: on SQLite, `data_version` — bumped by other connections' commits, other processes'
 * included — with the connection's own `total_changes()`). Any write, anywhere in the database, empties it: the
 * cache is never stale, only sometimes empty. A clock of null (inside a transaction, or a driver without one, such
 * as PostgreSQL's today) means nothing is kept or served.
 *
 * Values are frozen deeply when kept, so code sharing them across requests cannot change them (in strict mode
 * a write throws). Bounded by entries (least recently used first out); anonymous callers can make it churn, not grow.
 */

export interface ReadCacheStats {
  hits: number;
  misses: number;
  /** Times a change of the clock emptied the cache. */
  resets: number;
  entries: number;
}

/** Present in the result map with `undefined`: the key was asked and has no row (kept too, as absence). */
export type Found<T> = Map<string, T | undefined>;

export class ReadCache {
  private readonly entries = new Map<string, unknown>();
  private version: string | null = null;
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, resets: 0, entries: 0 };

  constructor(
    private readonly clock: () => string | null,
    private readonly maxEntries: number,
  ) {}

  /**
   * The values of `keys` in `namespace`: kept ones as they are, the others from `load` (asked once, with the keys
   * it lacks; it answers a map, a key it leaves out has no row). Kept only when the clock did not move during the load;
   * an `Error` value is answered and never kept.
   */
  async many<T>(namespace: string, keys: readonly string[], load: (missing: string[]) => Promise<Map<string, T>>): Promise<Found<T>> {
    const version = this.current();
    const out: Found<T> = new Map();
    if (version === null || this.maxEntries <= 0) {
      const loaded = await load([...new Set(keys)]);
      for (const key of keys) out.set(key, loaded.get(key));
      return out;
    }
    const missing = new Set<string>();
    for (const key of keys) {
      if (out.has(key)) continue;
      const id = `${namespace}\u0000${key}`;
      if (this.entries.has(id)) {
        const value = this.entries.get(id) as T | undefined;
        this.entries.delete(id);
        this.entries.set(id, value);
        out.set(key, value);
        this.stats.hits++;
      } else {
        missing.add(key);
      }
    }
    if (missing.size === 0) return out;
    this.stats.misses += missing.size;
    const loaded = await load([...missing]);
    const keep = this.clock() === version;
    for (const key of missing) {
      const value = loaded.get(key);
      out.set(key, value);
      // An error answer (a bad cursor, say) is given, not kept.
      if (keep && !(value instanceof Error)) this.put(`${namespace}\u0000${key}`, value === undefined ? undefined : deepFreeze(value));
    }
    return out;
  }

  /** One value (`many` with one key). */
  async one<T>(namespace: string, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const found = await this.many<T>(namespace, [key], async () => {
      const value = await load();
      return new Map(value === undefined ? [] : [[key, value]]);
    });
    return found.get(key);
  }

  private current(): string | null {
    const version = this.clock();
    if (version !== this.version) {
      if (this.entries.size > 0) this.stats.resets++;
      this.entries.clear();
      this.version = version;
    }
    this.stats.entries = this.entries.size;
    return version;
  }

  private put(id: string, value: unknown): void {
    this.entries.set(id, value);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.stats.entries = this.entries.size;
  }
}

/** Freezes a decoded value and everything it holds (plain objects, arrays, Dates). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
  return value;
}
