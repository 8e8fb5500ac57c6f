import path from "node:path";
import { placeholders, SqliteDatabase } from "../../db/sqlite.js";
import type { SearchIndex } from "../index.js";
import { runSearch, writeArticleDoc, writePostDoc, writeThreadDoc } from "./documents.js";
import { CentroidCache } from "./centroids.js";
import { groupPending } from "./clustering.js";
import { deleteArticleRows } from "./deletion.js";
import { refreshStories, writeArticleTerms, writePostCitations, type GroupingOptions } from "./grouping.js";
import { MIGRATIONS } from "./migrations.js";
import { relatedArticles } from "./related.js";
import { storiesByArticles, storiesByIds, storyArticlePages, storyPage, storyThreadPages } from "./stories.js";
import { TermStats } from "./terms.js";

export interface SqliteSearchIndexOptions extends GroupingOptions {
  /** SQLite file; `:memory:` for tests. */
  file: string;
}

export interface SqliteSearchIndex extends SearchIndex {
  readonly database: SqliteDatabase;
}

export function searchFile(dataDir: string): string {
  return path.join(dataDir, "search.db");
}

/** Wraps a synchronous batch so a failure becomes an Error in every slot instead of a rejected batch. */
function perSlot<T>(count: number, fn: () => T[]): Array<T | Error> {
  try {
    return fn();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return Array.from({ length: count }, () => error);
  }
}

/** Articles written per transaction, and grouped per call: what one slice of the indexer may hold the thread for. */
export const ARTICLE_CHUNK = 500;
export const GROUP_CHUNK = 500;

/** The embedded search index: FTS5 and story tables in one SQLite file. */
// Long on purpose (108 lines): a factory returning the SearchIndex methods over one database handle and its term
// statistics; every method is under 15 lines, most delegating to documents.ts, grouping.ts, stories.ts or related.ts.
export function createSqliteSearchIndex(options: SqliteSearchIndexOptions): SqliteSearchIndex {
  const db = new SqliteDatabase(options.file, MIGRATIONS);
  // The index is derived data (rebuilt from the stores when lost): a power cut may cost the last batches,
  // which the next start indexes again, but every commit need not wait for the disk.
  db.db.pragma("synchronous = NORMAL");
  const stats = new TermStats(db);
  const grouping: GroupingOptions = { threshold: options.threshold, windowMs: options.windowMs };
  const centroids = new CentroidCache(db, stats);
  /** One transaction; if it rolls back, the in-memory term counts are read again (they held its changes). */
  const writeOrReload = (fn: () => void) => {
    try {
      db.transaction(fn);
    } catch (err) {
      stats.reload();
      centroids.clear();
      throw err;
    }
  };

  return {
    kind: "sqlite",
    database: db,
    async indexArticles(docs) {
      // Bounded transactions: a huge batch (a catch-up at start) is written ARTICLE_CHUNK articles at a time.
      for (let i = 0; i < docs.length; i += ARTICLE_CHUNK) {
        const chunk = docs.slice(i, i + ARTICLE_CHUNK);
        writeOrReload(() => {
          // Per article on purpose: one INSERT … SELECT FROM json_each per table for the whole batch gave the same
          // rows but cost the main thread 12–60 % more per item in bench scenario 4 (bench/README.md).
          const moved: string[] = [];
          for (const doc of chunk) {
            writeArticleDoc(db, doc);
            const story = writeArticleTerms(db, stats, doc);
            if (story) moved.push(story);
          }
          stats.flush();
          refreshStories(db, moved);
        });
      }
    },
    async deleteArticles(keys) {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += ARTICLE_CHUNK) {
        const chunk = keys.slice(i, i + ARTICLE_CHUNK);
        writeOrReload(() => {
          deleted += deleteArticleRows(db, stats, centroids, chunk);
          stats.flush();
        });
      }
      return deleted;
    },
    async indexThreads(docs) {
      if (docs.length === 0) return;
      db.transaction(() => {
        for (const doc of docs) writeThreadDoc(db, doc);
      });
    },
    async indexPosts(docs) {
      if (docs.length === 0) return;
      db.transaction(() => {
        const touched: string[] = [];
        for (const doc of docs) {
          writePostDoc(db, doc);
          touched.push(...writePostCitations(db, doc));
        }
        refreshStories(db, touched);
      });
    },
    async groupPending(limit) {
      return groupPending(db, stats, centroids, grouping, Math.min(limit, GROUP_CHUNK));
    },
    async knownArticles(keys) {
      const known = new Set<string>();
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        for (const r of db.all<{ key: string }>(`SELECT key FROM articles WHERE key IN (${placeholders(chunk.length)})`, chunk)) known.add(r.key);
      }
      return known;
    },
    async getState(name) {
      return db.get<{ value: string }>("SELECT value FROM sync_state WHERE name = ?", [name])?.value ?? null;
    },
    async setState(name, value) {
      db.run("INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
    },
    async search(requests) {
      return requests.map((request) => {
        try {
          return runSearch(db, request);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      });
    },
    async storiesByIds(ids) {
      return perSlot(ids.length, () => storiesByIds(db, ids));
    },
    async storiesByArticles(keys) {
      return perSlot(keys.length, () => storiesByArticles(db, keys));
    },
    async storyArticlePages(requests) {
      return perSlot(requests.length, () => storyArticlePages(db, requests));
    },
    async storyThreadPages(requests) {
      return perSlot(requests.length, () => storyThreadPages(db, requests));
    },
    async storyPages(requests) {
      return requests.map((request) => {
        try {
          return storyPage(db, request);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      });
    },
    async relatedArticles(requests) {
      return perSlot(requests.length, () => relatedArticles(db, stats, requests));
    },
    async close() {
      db.close();
    },
  };
}
