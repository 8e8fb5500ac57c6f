import type { SqliteDatabase } from "../../db/sqlite.js";
import { fromJson, toJson, weightedNormSq, type TermVector } from "../similarity.js";
import type { TermStats } from "./terms.js";

/**
 * Story centroids parsed once, not once per candidate comparison: grouping compares each article with up to 40
 * candidate stories, and parsing their JSON (up to 300 terms each) was a fifth of the indexer's time. Every
 * write of `stories.centroid` goes through `set`/`drop`, so the cache holds exactly what the table holds, as
 * `fromJson` would read it (same Map order, so the same floating-point sums). The IDF-weighted norm is kept
 * beside it while the term statistics have not changed. A rolled-back transaction must `clear()` it.
 */
interface Entry {
  vector: TermVector;
  normSq: number;
  version: number;
}

/**
 * Entries kept, least recently used dropped first; a miss costs one row read and one parse, as before the cache.
 * Small on purpose: grouping goes oldest first, so the stories compared are those of the last few days, while a
 * cache holding every story (10,000 maps at 10,000 stories) cost the main thread more in garbage collection than
 * it saved (bench scenario 4).
 */
const MAX_ENTRIES = 2_000;

/** An array-index key ("0" … "4294967294"): JSON.parse puts those first, in numeric order. */
const INDEX_KEY = /^(0|[1-9]\d{0,9})$/;

/**
 * What `fromJson(toJson(v))` returns, without the round trip: the same entries (a double survives JSON exactly)
 * in the order an object's keys come back, array-index keys first in numeric order, then the rest as inserted.
 */
export function asParsed(v: TermVector): TermVector {
  const indexKeys: string[] = [];
  for (const term of v.keys()) if (INDEX_KEY.test(term) && Number(term) < 4294967295) indexKeys.push(term);
  if (indexKeys.length === 0) return new Map(v);
  indexKeys.sort((a, b) => Number(a) - Number(b));
  const out: TermVector = new Map(indexKeys.map((k) => [k, v.get(k)!]));
  for (const [term, w] of v) if (!out.has(term)) out.set(term, w);
  return out;
}

export class CentroidCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly db: SqliteDatabase, private readonly stats: TermStats) {}

  /** Centroids of the given stories (read from the table for those not cached), with current weighted norms. */
  load(ids: readonly string[]): Map<string, { vector: TermVector; normSq: number }> {
    const missing = ids.filter((id) => !this.entries.has(id));
    if (missing.length) {
      const rows = this.db.all<{ id: string; centroid: string }>(
        "SELECT id, centroid FROM stories WHERE id IN (SELECT value FROM json_each(?))",
        [JSON.stringify(missing)],
      );
      for (const r of rows) this.remember(r.id, fromJson(r.centroid));
    }
    const out = new Map<string, { vector: TermVector; normSq: number }>();
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id); // most recently used last
      this.entries.set(id, entry);
      if (entry.version !== this.stats.version) {
        entry.normSq = weightedNormSq(entry.vector, this.stats.idfOf);
        entry.version = this.stats.version;
      }
      out.set(id, entry);
    }
    return out;
  }

  /** The JSON to store for a changed centroid; a cached story's entry then holds it as the table will. */
  set(id: string, centroid: TermVector): string {
    if (this.entries.has(id)) this.remember(id, asParsed(centroid));
    return toJson(centroid);
  }

  drop(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  private remember(id: string, vector: TermVector): void {
    this.entries.delete(id);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { vector, normSq: 0, version: -1 }); // the norm is computed when first compared
  }
}
