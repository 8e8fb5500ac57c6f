import path from "node:path";
import { placeholders, SqliteDatabase } from "../../db/sqlite.js";
import type { SearchIndex } from "../index.js";
import type { Logger } from "../../logger.js";
import { runSearch } from "./documents.js";
import type { GroupingOptions } from "./grouping.js";
import { openSearchDatabase } from "./migrations.js";
import { relatedArticles } from "./related.js";
import { storiesByArticles, storiesByIds, storyArticlePages, storyPage, storyThreadPages } from "./stories.js";
import { TermStats } from "./terms.js";
import { startWriterThread } from "./writer-thread.js";
import { ARTICLE_CHUNK, createIndexWrites, GROUP_CHUNK, runWriteTask, type WriteTask } from "./writes.js";

export interface SqliteSearchIndexOptions extends GroupingOptions {
  /** SQLite file; `:memory:` for tests. */
  file: string;
  /**
   * Where writes run: "thread" (the default for a file) is the search writer thread with its own connection
   * (./writer-thread.ts), so indexing never holds the main thread; "inline" writes on the main thread's
   * connection (always for `:memory:`, which another connection cannot open).
   */
  writes?: "thread" | "inline";
  /** Told when the writer thread dies and is replaced. */
  logger?: Logger;
  /** Fault injection (tests): the writer thread crashes on this write (1 = the first), once. */
  crashAtWrite?: number;
}

export interface SqliteSearchIndex extends SearchIndex {
  readonly database: SqliteDatabase;
  /** Writer threads that died and were replaced (0 when writing inline). */
  readonly writerRestarts: number;
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

export { ARTICLE_CHUNK, GROUP_CHUNK };

/** Runs write tasks: on the writer thread, or at once on this thread's connection. */
interface WriteRunner {
  readonly offThread: boolean;
  run(task: WriteTask): Promise<number | undefined>;
  restarts(): number;
  close(): Promise<void>;
}

function writeRunner(db: SqliteDatabase, stats: TermStats, options: SqliteSearchIndexOptions): WriteRunner {
  const grouping: GroupingOptions = { threshold: options.threshold, windowMs: options.windowMs };
  if (options.file === ":memory:" || options.writes === "inline") {
    const writes = createIndexWrites(db, stats, grouping);
    return { offThread: false, run: async (task) => runWriteTask(writes, task), restarts: () => 0, close: async () => undefined };
  }
  let crashCountdown: SharedArrayBuffer | undefined;
  if (options.crashAtWrite) {
    crashCountdown = new SharedArrayBuffer(4);
    new Int32Array(crashCountdown)[0] = options.crashAtWrite;
  }
  const thread = startWriterThread({ file: options.file, ...grouping, ...(crashCountdown ? { crashCountdown } : {}) }, stats, options.logger);
  return { offThread: true, run: (task) => thread.run(task), restarts: () => thread.restarts, close: () => thread.close() };
}

/** The embedded search index: FTS5 and story tables in one SQLite file. */
// Long on purpose (90 lines): a factory returning the SearchIndex methods over one database handle and its term
// statistics; every method is under 15 lines, delegating writes to ./writes.ts (here or on the writer thread) and
// reads to documents.ts, stories.ts or related.ts.
export function createSqliteSearchIndex(options: SqliteSearchIndexOptions): SqliteSearchIndex {
  const db = openSearchDatabase(options.file);
  const stats = new TermStats(db);
  const writer = writeRunner(db, stats, options);

  return {
    kind: "sqlite",
    database: db,
    writesOffThread: writer.offThread,
    get writerRestarts() {
      return writer.restarts();
    },
    async indexArticles(docs) {
      if (docs.length) await writer.run({ op: "indexArticles", args: [docs] });
    },
    async deleteArticles(keys) {
      return keys.length ? (await writer.run({ op: "deleteArticles", args: [keys] }))! : 0;
    },
    async indexThreads(docs) {
      if (docs.length) await writer.run({ op: "indexThreads", args: [docs] });
    },
    async indexPosts(docs) {
      if (docs.length) await writer.run({ op: "indexPosts", args: [docs] });
    },
    async groupPending(limit) {
      return (await writer.run({ op: "groupPending", args: [limit] }))!;
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
      await writer.run({ op: "setState", args: [name, value] });
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
      await writer.close();
      db.close();
    },
  };
}
