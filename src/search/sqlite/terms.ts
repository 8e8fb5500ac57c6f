import type { SqliteDatabase } from "../../db/sqlite.js";
import { idf } from "../similarity.js";

/**
 * Document frequencies of grouping terms over the indexed articles, kept in memory (read once at open) and
 * written back to `term_df` after every batch, so IDF costs no statement per comparison.
 */
export class TermStats {
  private readonly df = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private count: number;
  /**
   * Counts written since `takeChanges` (what another connection's copy must apply), or "reload" after a rollback;
   * null when nobody takes them (the inline index).
   */
  private unsent: Map<string, number> | "reload" | null = null;
  /** Bumped whenever an IDF may have changed: what was computed from IDFs under an older version is stale. */
  version = 0;

  constructor(private readonly db: SqliteDatabase) {
    for (const row of db.all<{ term: string; df: number }>("SELECT term, df FROM term_df")) this.df.set(row.term, row.df);
    this.count = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM articles")!.n;
  }

  get documents(): number {
    return this.count;
  }

  set documents(n: number) {
    this.count = n;
    this.version += 1;
  }

  dfOf = (term: string): number => this.df.get(term) ?? 0;
  idfOf = (term: string): number => idf(this.dfOf(term), Math.max(1, this.documents));

  add(terms: Iterable<string>, sign: 1 | -1): void {
    this.version += 1;
    for (const term of terms) {
      this.df.set(term, Math.max(0, this.dfOf(term) + sign));
      this.dirty.add(term);
    }
  }

  /** Forgets unwritten changes and reads the counts again (after a rolled-back transaction). */
  reload(): void {
    if (this.unsent !== null) this.unsent = "reload";
    this.df.clear();
    this.dirty.clear();
    for (const row of this.db.all<{ term: string; df: number }>("SELECT term, df FROM term_df")) this.df.set(row.term, row.df);
    this.documents = this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM articles")!.n;
  }

  /** Writes changed counts (inside the caller's transaction), two statements whatever their number. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const changed: Array<[string, number]> = [];
    const gone: string[] = [];
    for (const term of this.dirty) {
      const n = this.dfOf(term);
      changed.push([term, n]);
      if (n === 0) gone.push(term);
      if (this.unsent instanceof Map) this.unsent.set(term, n);
    }
    // The same object JSON as before (an object's array-index keys first): json_each reads it as key/value pairs.
    this.db.run(
      "INSERT INTO term_df (term, df) SELECT key, value FROM json_each(?) WHERE value > 0 ON CONFLICT (term) DO UPDATE SET df = excluded.df",
      [JSON.stringify(Object.fromEntries(changed))],
    );
    if (gone.length) this.db.run("DELETE FROM term_df WHERE term IN (SELECT value FROM json_each(?))", [JSON.stringify(gone)]);
    for (const term of gone) this.df.delete(term);
    this.dirty.clear();
  }

  /**
   * What changed since the last call, for a copy of these statistics on another connection to the same file (the
   * search writer thread's changes, applied by the main thread's copy, which `relatedArticles` reads).
   */
  takeChanges(): TermChanges {
    const out: TermChanges = this.unsent === "reload" ? { documents: this.count, df: null } : { documents: this.count, df: [...(this.unsent ?? [])] };
    this.unsent = new Map();
    return out;
  }

  /** Applies another copy's changes (written and committed by it); `df: null` reads the counts again. */
  apply(changes: TermChanges): void {
    if (changes.df === null) {
      this.reload();
      return;
    }
    for (const [term, n] of changes.df) {
      if (n > 0) this.df.set(term, n);
      else this.df.delete(term);
    }
    this.documents = changes.documents;
  }
}

/** Document frequencies changed by one copy of TermStats (null: reload them all), and the article count. */
export interface TermChanges {
  documents: number;
  df: Array<[term: string, df: number]> | null;
}
