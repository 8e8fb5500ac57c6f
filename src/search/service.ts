import type { ArticleStore } from "../articles/store.js";
import { htmlToText, sanitizeHtml } from "../html/index.js";
import type { Logger } from "../logger.js";
import type { ArticleRecord } from "../model/news.js";
import { summaryTextOf, type ChangePosition } from "../articles/store.js";
import type { ArticleDoc, ForumPostRow, PostDoc, SearchableForum, SearchIndex } from "./index.js";

/**
 * Keeps the search index current, off the request path: articles arrive through the article store's
 * `onArticlesChanged` hook and are indexed and grouped in batches in the background (a burst of polls
 * is waited out first, so IDF sees the whole burst): on the SQLite index's writer thread, batches of 500; on an index
 * that writes on this thread, small batches sized to SLICE_MS. Forum posts are read past a high-water mark at start and
 * every `postSyncSeconds`. GraphQL requests only read what is already there.
 */
export interface SearchService {
  readonly index: SearchIndex;
  /** The article store's hook: queue changed articles for indexing and grouping. */
  articlesChanged(records: readonly ArticleRecord[]): void;
  /** The article store's deletion hook: queue deleted articles (by key) for removal from the index and their stories. */
  articlesDeleted(keys: readonly string[]): void;
  /**
   * Queues articles written and deleted since the position the index last caught up to (the store's write order, so
   * nothing in proportion to the store is read): other gateways' writes and deletions, a crash mid-batch. With no position yet (a new or
   * deleted search.db, or the first start on rows) every published article the index lacks.
   */
  catchUp(store: ArticleStore): Promise<number>;
  /** Indexes forum threads and posts stored or edited since the last sync. */
  syncForums(): Promise<number>;
  /** Starts the periodic forum sync; with `shared` (a store other processes write too) also a periodic catchUp from it. */
  start(shared?: ArticleStore): void;
  /** Resolves when nothing is queued or running (tests and benchmarks wait on it). */
  whenIdle(): Promise<void>;
  /** Stops timers, lets the running batch finish, closes the index. Queued work is found again by catchUp. */
  stop(): Promise<void>;
}

export interface SearchServiceOptions {
  index: SearchIndex;
  logger: Logger;
  forums: readonly SearchableForum[];
  /** A news source's display name (indexed with its articles). */
  sourceName(slug: string): string | undefined;
  /** 0: forum posts are only synced at start. */
  postSyncSeconds: number;
  /** Told the posts each sync found past the high-water mark, after indexing them (subscription events, src/live). */
  onPostsAdded?: (sourceId: string, posts: readonly ForumPostRow[]) => void;
}

/** A burst of feed polls is waited out this long (but never longer than MAX_WAIT_MS) before indexing starts. */
const QUIET_MS = 200;
const MAX_WAIT_MS = 2000;
/**
 * On an index that writes on the main thread, each batch is one SQLite transaction between two event-loop turns; its
 * size adapts so that a batch takes about SLICE_MS, whatever the machine, and GraphQL requests wait at most that long.
 */
const SLICE_MS = 15;
/** Batches when the index writes on its own thread: large, since a batch no longer holds the main thread. */
const OFF_THREAD_BATCH = 500;
/** After a failed batch, catchUp from the saved position runs this long later, doubling per failure up to the max. */
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;
const FORUM_BATCH = 500;
/** The search index's state entry: how far it has read the article store's write order (catchUp). */
const POSITION = "articles:position";
const CATCH_UP_BATCH = 500;

/** Batch sizes that follow how long the last batch took (fixed when writes are off the main thread). */
function adaptiveSize(initial: number, offThread: boolean): { size(): number; took(count: number, ms: number): void } {
  if (offThread) return { size: () => OFF_THREAD_BATCH, took: () => undefined };
  let size = initial;
  return {
    size: () => size,
    took(count, ms) {
      if (count < size) return; // a short batch says nothing about speed
      size = Math.max(5, Math.min(500, Math.round((size * SLICE_MS) / Math.max(ms, 1))));
    },
  };
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

// Long on purpose (253 lines): a closure whose state (the pending queue of writes and deletions, three timers, the
// running drain and forum sync) is shared by drain, syncForum and the returned methods; each of those is under 40 lines, and splitting the
// factory would only pass that state around in an object.
export function createSearchService(options: SearchServiceOptions): SearchService {
  const { index, logger } = options;
  /** Article key → its record to index, or null: deleted, to be removed. The latest news of a key wins. */
  const pending = new Map<string, ArticleRecord | null>();
  let queuedSince: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let syncTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let syncing: Promise<number> | null = null;
  let rerun: Promise<number> | null = null;
  let syncFailing = false;
  let stopped = false;
  /** Where catchUp read to; saved once the articles it queued are indexed (the drain below). */
  let readTo: ChangePosition | null = null;
  /** A catchUp reading the store (whenIdle waits for it). */
  let catching: Promise<number> | null = null;
  const indexBatch = adaptiveSize(50, index.writesOffThread === true);
  const groupBatch = adaptiveSize(50, index.writesOffThread === true);
  /** The store the last catchUp read (a failed batch is found again there), and the retry's timer and delay. */
  let store: ArticleStore | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = RETRY_MS;

  const toDoc = (r: ArticleRecord): ArticleDoc => {
    const at = Date.parse(r.publishedAt ?? "");
    return {
      key: r.key, url: r.url, canonicalUrl: r.canonicalUrl, title: r.title,
      summaryText: summaryTextOf(r) ?? "",
      author: r.author, sourceIds: r.sourceIds,
      sourceNames: r.sourceIds.map((s) => options.sourceName(s) ?? s),
      publishedMs: Number.isFinite(at) ? at : Date.parse(r.firstSeenAt),
    };
  };

  function schedule(): void {
    if (running || stopped) return; // a running drain picks up whatever was queued meanwhile
    clearTimeout(timer);
    const waited = queuedSince === null ? 0 : Date.now() - queuedSince;
    timer = setTimeout(drain, waited >= MAX_WAIT_MS ? 0 : QUIET_MS);
    timer.unref();
  }

  function drain(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    running ??= (async () => {
      while (!stopped) {
        const started = performance.now();
        if (pending.size > 0) {
          const batch: ArticleRecord[] = [];
          const gone: string[] = [];
          for (const [key, r] of pending) {
            if (batch.length + gone.length >= indexBatch.size()) break;
            if (r) batch.push(r);
            else gone.push(key);
          }
          for (const r of batch) pending.delete(r.key);
          for (const key of gone) pending.delete(key);
          if (pending.size === 0) queuedSince = null;
          const position = pending.size === 0 ? readTo : null;
          if (gone.length) await index.deleteArticles(gone);
          if (batch.length) await index.indexArticles(batch.map(toDoc));
          if (position) await index.setState(POSITION, JSON.stringify(position));
          if (position && readTo === position) readTo = null;
          indexBatch.took(batch.length + gone.length, performance.now() - started);
        } else {
          const grouped = await index.groupPending(groupBatch.size());
          if (grouped === 0) break;
          groupBatch.took(grouped, performance.now() - started);
        }
        await yieldToRequests();
      }
    })()
      .then(() => {
        retryMs = RETRY_MS;
      })
      .catch((err: unknown) => {
        if (!store) return logger.error({ err }, "search indexing failed; the articles are indexed again at the next start");
        logger.error({ err, retryInMs: retryMs }, "search indexing failed; catching up from the saved position");
        retryLater(store);
      })
      .finally(() => {
        running = null;
        if (pending.size > 0 && !stopped) schedule();
      });
    return running;
  }

  /** A failed batch's articles are past the saved position: read the store's write order from there again. */
  function retryLater(from: ArticleStore): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      service.catchUp(from).catch((err: unknown) => logger.warn({ err }, "search: catching up after a failed batch failed; retried at the next start"));
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
  }

  async function syncForum(forum: SearchableForum): Promise<number> {
    let count = 0;
    let threadMark = Number((await index.getState(`threads:${forum.id}`)) ?? 0);
    for (;;) {
      const rows = await forum.threadsForSearch(threadMark, FORUM_BATCH);
      if (rows.length === 0) break;
      await index.indexThreads(rows.map((t) => ({
        sourceId: forum.id, id: t.ref ?? String(t.id), forumSlug: t.forumSlug, forumName: t.forumName, title: t.title,
        authorName: t.authorName, createdMs: Date.parse(t.createdAt),
      })));
      threadMark = rows[rows.length - 1]!.id;
      await index.setState(`threads:${forum.id}`, String(threadMark));
      count += rows.length;
      if (rows.length < FORUM_BATCH) break;
    }
    let postMark = Number((await index.getState(`posts:${forum.id}`)) ?? 0);
    for (;;) {
      const rows = await forum.postsForSearch(postMark, FORUM_BATCH);
      if (rows.length === 0) break;
      await index.indexPosts(rows.map((p) => toPostDoc(forum.id, p)));
      postMark = rows[rows.length - 1]!.id;
      await index.setState(`posts:${forum.id}`, String(postMark));
      options.onPostsAdded?.(forum.id, rows);
      count += rows.length;
      if (rows.length < FORUM_BATCH) break;
      await yieldToRequests();
    }
    // Edits: everything edited after the mark, in (editedAt, id) order.
    const saved = await index.getState(`edited:${forum.id}`);
    let editMark = saved ? (JSON.parse(saved) as { editedAt: string; id: number }) : { editedAt: "", id: 0 };
    for (;;) {
      const rows = await forum.postsEditedForSearch(editMark, FORUM_BATCH);
      if (rows.length === 0) break;
      await index.indexPosts(rows.map((p) => toPostDoc(forum.id, p)));
      const last = rows[rows.length - 1]!;
      editMark = { editedAt: last.editedAt!, id: last.id };
      await index.setState(`edited:${forum.id}`, JSON.stringify(editMark));
      if (rows.length < FORUM_BATCH) break;
    }
    return count;
  }

  /** catchUp's reading: batches of the store's write order past the saved position, one event-loop turn apart. */
  async function catchUpFrom(store: ArticleStore): Promise<number> {
    const saved = await index.getState(POSITION);
    let position: ChangePosition = saved ? (JSON.parse(saved) as ChangePosition) : { seq: 0, key: "" };
    let queued = 0;
    for (;;) {
      const changes = await store.changedSince(position, CATCH_UP_BATCH);
      if (changes.length === 0) break;
      const known = saved ? null : await index.knownArticles(changes.map((c) => c.key));
      for (const { key, record } of changes) {
        if (record) {
          // A fresh index lacks only what it does not hold; a record the store's hook queued is as new as this one.
          if (known?.has(key) || pending.get(key)) continue;
          service.articlesChanged([record]);
        } else {
          // A deletion always wins over what is queued: a later write of the key comes after it in this order.
          if (known && !known.has(key)) continue;
          service.articlesDeleted([key]);
        }
        queued += 1;
      }
      position = changes.at(-1)!.position;
      if (changes.length < CATCH_UP_BATCH || stopped) break;
      await yieldToRequests();
    }
    if (queued === 0) await index.setState(POSITION, JSON.stringify(position));
    else readTo = position;
    return queued;
  }

  const service: SearchService = {
    index,
    articlesChanged(records) {
      if (stopped || records.length === 0) return;
      for (const r of records) pending.set(r.key, r);
      queuedSince ??= Date.now();
      schedule();
    },
    articlesDeleted(keys) {
      if (stopped || keys.length === 0) return;
      for (const key of keys) pending.set(key, null);
      queuedSince ??= Date.now();
      schedule();
    },
    catchUp(from) {
      store = from;
      catching ??= catchUpFrom(from).finally(() => {
        catching = null;
      });
      return catching;
    },
    syncForums() {
      // A write asks for a sync while one runs (which may have read past the new post's table already): one more
      // sync after it, shared by every caller meanwhile, so no write waits for the timer.
      if (syncing) {
        rerun ??= syncing.then(() => {
          rerun = null;
          return service.syncForums();
        });
        return rerun;
      }
      syncing ??= (async () => {
        let n = 0;
        for (const forum of options.forums) n += await syncForum(forum);
        return n;
      })()
        .then((n) => {
          if (syncFailing) logger.info("search: indexing forum posts works again");
          syncFailing = false;
          return n;
        })
        .catch((err: unknown) => {
          // Once per outage (a forum store that is down fails every sync): the first failure with its stack.
          if (!syncFailing) logger.error({ err }, "search: indexing forum posts failed; retried at every sync until it works");
          syncFailing = true;
          return 0;
        })
        .finally(() => {
          syncing = null;
        });
      return syncing;
    },
    start(shared) {
      if (options.postSyncSeconds > 0 && !syncTimer) {
        syncTimer = setInterval(() => {
          void service.syncForums();
          if (shared) service.catchUp(shared).catch((err: unknown) => logger.warn({ err }, "search: catching up from the shared store failed; retried at the next sync"));
        }, options.postSyncSeconds * 1000);
        syncTimer.unref();
      }
    },
    async whenIdle() {
      if (catching) await catching.catch(() => 0);
      while (!stopped && (pending.size > 0 || running || syncing || timer)) {
        if (syncing) await syncing;
        await drain();
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
      timer = undefined;
      clearInterval(syncTimer);
      await catching?.catch(() => 0);
      await running;
      await syncing;
      await index.close();
    },
  };
  return service;
}

function toPostDoc(sourceId: string, p: ForumPostRow): PostDoc {
  return {
    sourceId, id: p.ref ?? String(p.id), threadId: p.threadRef ?? String(p.threadId), forumSlug: p.forumSlug, threadTitle: p.threadTitle,
    authorName: p.authorName, authorUsername: p.authorUsername, text: postText(p.bodyHtml),
    createdMs: Date.parse(p.createdAt), citations: p.citations,
  };
}

/**
 * A post's searchable text. The HTML is bounded (src/html/bound.ts), so this does not throw; if it ever did, the post
 * would be indexed without text rather than stop indexing, and postAdded, for every later post (issue 18, item 1).
 */
function postText(html: string): string {
  try {
    return htmlToText(sanitizeHtml(html));
  } catch {
    return "";
  }
}
