import { migrate } from "../../db/migrate.js";
import type { SqlDatabase } from "../../db/sql.js";
import type { SearchIndex } from "../index.js";
import type { GroupingOptions } from "../sqlite/grouping.js";
import { groupPending } from "./clustering.js";
import { deleteArticleRows } from "./deletion.js";
import { articleDocRow, postDocRow, runSearch, threadDocRow, upsertDocs } from "./documents.js";
import { inJson, refreshStories, writeArticleTerms, writePostCitations } from "./grouping.js";
import { SEARCH_MIGRATIONS } from "./migrations.js";
import { relatedArticles } from "./related.js";
import { PgTermStats } from "./stats.js";
import { storiesByArticles, storiesByIds, storyArticlePages, storyPage, storyThreadPages } from "./stories.js";

export interface PostgresSearchIndexOptions extends GroupingOptions {
  /** The forum store's database (every gateway of a cluster opens the same one). */
  database: SqlDatabase;
  /** The database's statement timeout (`cache.timeoutMs`): the write lock is waited for in rounds of half of it. */
  timeoutMs?: number;
}

export interface PostgresSearchIndex extends SearchIndex {
  readonly database: SqlDatabase;
}

/** Articles written per transaction and grouped per call, as on SQLite (src/search/sqlite/index.ts). */
const ARTICLE_CHUNK = 500;
const GROUP_CHUNK = 500;

/** Turns a failure into an Error in every slot, so one bad batch does not reject the DataLoader call. */
async function perSlot<T>(count: number, fn: () => Promise<T[]>): Promise<Array<T | Error>> {
  try {
    return await fn();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return Array.from({ length: count }, () => error);
  }
}

/** One answer per request, an Error in the slot of a request that failed. */
const eachOf = <R, T>(requests: readonly R[], fn: (request: R) => Promise<T>): Promise<Array<T | Error>> =>
  Promise.all(requests.map((r) => fn(r).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));

/**
 * The search index of a cluster: tables in the forum store's PostgreSQL database, shared by every gateway, so none
 * builds an index of its own at start. Writes are serialized cluster-wide (PgTermStats.write: one transaction under an
 * advisory lock), documents are idempotent upserts, and the bookkeeping (high-water marks, the article store's
 * write-order position) lives in `search_state`, so a second or restarted gateway finds it indexed. Migrations run
 * under `exclusive` (several gateways starting at once).
 */
// Long on purpose (65 lines), as src/search/sqlite/index.ts: a factory returning the SearchIndex methods over one
// database and its term statistics; each method is a few lines delegating to the modules beside it.
export async function createPostgresSearchIndex(options: PostgresSearchIndexOptions): Promise<PostgresSearchIndex> {
  const db = options.database;
  if (db.dialect !== "postgres") throw new Error("the PostgreSQL search index needs a PostgreSQL database");
  await db.exclusive("crosswire:search-migrations", (locked) => migrate(locked, SEARCH_MIGRATIONS));
  const stats = new PgTermStats(db, Math.min(1_000, (options.timeoutMs ?? 1_000) / 2));
  const grouping: GroupingOptions = { threshold: options.threshold, windowMs: options.windowMs };

  return {
    kind: "postgres",
    // Its writes run in PostgreSQL: a batch awaits the database rather than holding the main thread, so the indexer
    // takes large batches (service.ts), as with the SQLite index's writer thread.
    writesOffThread: true,
    database: db,
    async indexArticles(docs) {
      for (let i = 0; i < docs.length; i += ARTICLE_CHUNK) {
        const chunk = docs.slice(i, i + ARTICLE_CHUNK);
        await stats.write(async (tx) => {
          await upsertDocs(tx, chunk.map(articleDocRow));
          await refreshStories(tx, await writeArticleTerms(tx, stats, chunk));
        });
      }
    },
    async deleteArticles(keys) {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += ARTICLE_CHUNK) {
        const chunk = keys.slice(i, i + ARTICLE_CHUNK);
        deleted += await stats.write((tx) => deleteArticleRows(tx, stats, chunk));
      }
      return deleted;
    },
    async indexThreads(docs) {
      if (docs.length === 0) return;
      await db.transaction((tx) => upsertDocs(tx, docs.map(threadDocRow)));
    },
    async indexPosts(docs) {
      if (docs.length === 0) return;
      await stats.write(async (tx) => {
        await upsertDocs(tx, docs.map(postDocRow));
        await refreshStories(tx, await writePostCitations(tx, docs));
      });
    },
    async groupPending(limit) {
      return stats.write((tx) => groupPending(tx, stats, grouping, Math.min(limit, GROUP_CHUNK)));
    },
    async knownArticles(keys) {
      const known = new Set<string>();
      for (let i = 0; i < keys.length; i += 5000) {
        const rows = await db.all<{ key: string }>(`SELECT key FROM search_articles WHERE key IN ${inJson}`, [JSON.stringify(keys.slice(i, i + 5000))]);
        for (const r of rows) known.add(r.key);
      }
      return known;
    },
    async getState(name) {
      return (await db.get<{ value: string }>("SELECT value FROM search_state WHERE name = ?", [name]))?.value ?? null;
    },
    async setState(name, value) {
      await db.run("INSERT INTO search_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
    },
    search: (requests) => eachOf(requests, (request) => runSearch(db, request)),
    storiesByIds: (ids) => perSlot(ids.length, () => storiesByIds(db, ids)),
    storiesByArticles: (keys) => perSlot(keys.length, () => storiesByArticles(db, keys)),
    storyArticlePages: (requests) => perSlot(requests.length, () => storyArticlePages(db, requests)),
    storyThreadPages: (requests) => perSlot(requests.length, () => storyThreadPages(db, requests)),
    storyPages: (requests) => eachOf(requests, (request) => storyPage(db, request)),
    relatedArticles: (requests) => perSlot(requests.length, () => relatedArticles(db, stats, requests)),
    // The database is the forum store's: it closes with the forum source.
    async close() {},
  };
}
