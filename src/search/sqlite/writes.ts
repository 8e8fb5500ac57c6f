import type { SqliteDatabase } from "../../db/sqlite.js";
import type { ArticleDoc, PostDoc, ThreadDoc } from "../index.js";
import { CentroidCache } from "./centroids.js";
import { groupPending } from "./clustering.js";
import { deleteArticleRows } from "./deletion.js";
import { writeArticleDoc, writePostDoc, writeThreadDoc } from "./documents.js";
import { refreshStories, writeArticleTerms, writePostCitations, type GroupingOptions } from "./grouping.js";
import type { TermStats } from "./terms.js";

/** Articles written per transaction, and grouped per call: what one slice of the indexer may hold the thread for. */
export const ARTICLE_CHUNK = 500;
export const GROUP_CHUNK = 500;

/**
 * Every write to search.db, synchronous, over one connection: run on the main thread's connection (`:memory:`
 * indexes, tests) or in the search writer thread (./writer-worker.ts) over its own connection to the file.
 */
export interface IndexWrites {
  indexArticles(docs: readonly ArticleDoc[]): void;
  deleteArticles(keys: readonly string[]): number;
  indexThreads(docs: readonly ThreadDoc[]): void;
  indexPosts(docs: readonly PostDoc[]): void;
  groupPending(limit: number): number;
  setState(name: string, value: string): void;
}

/** A write as a message: the operation's name and its argument list. */
export type WriteTask = { [K in keyof IndexWrites]: { op: K; args: Parameters<IndexWrites[K]> } }[keyof IndexWrites];

export function createIndexWrites(db: SqliteDatabase, stats: TermStats, grouping: GroupingOptions): IndexWrites {
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
    indexArticles(docs) {
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
    deleteArticles(keys) {
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
    indexThreads(docs) {
      if (docs.length === 0) return;
      db.transaction(() => {
        for (const doc of docs) writeThreadDoc(db, doc);
      });
    },
    indexPosts(docs) {
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
    groupPending(limit) {
      return groupPending(db, stats, centroids, grouping, Math.min(limit, GROUP_CHUNK));
    },
    setState(name, value) {
      db.run("INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
    },
  };
}

/** Runs one write task (the writer thread's dispatch; the inline index calls the methods directly). */
export function runWriteTask(writes: IndexWrites, task: WriteTask): number | undefined {
  switch (task.op) {
    case "indexArticles": return void writes.indexArticles(...task.args);
    case "deleteArticles": return writes.deleteArticles(...task.args);
    case "indexThreads": return void writes.indexThreads(...task.args);
    case "indexPosts": return void writes.indexPosts(...task.args);
    case "groupPending": return writes.groupPending(...task.args);
    case "setState": return void writes.setState(...task.args);
  }
}
