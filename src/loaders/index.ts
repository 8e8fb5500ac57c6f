import DataLoader from "dataloader";
import type { ArticleStore, IndexEntry, ListQuery } from "../articles/store.js";
import type { ArticleRecord, SourceHealthRecord } from "../model/news.js";
import type { UnfurlResult, UrlSource } from "../../sources/url/index.js";
import type { SearchIndex } from "../search/index.js";
import { createSearchLoaders, type SearchLoaders } from "../search/loaders.js";
import type { AuthorRecord, CitationRecord, CitedUrlRecord, ForumRecord, PostRecord, ThreadRecord } from "../model/forum.js";
import type { ForumSource } from "../../sources/forum.js";
import { pageRequestKey, type Page, type PageRequest } from "../model/paging.js";

/** Per-request DataLoaders for one forum source: one loader per lookup the adapter offers. */
export interface ForumLoaders {
  source: ForumSource;
  forum: DataLoader<string, ForumRecord | null>;
  thread: DataLoader<string, ThreadRecord | null>;
  post: DataLoader<string, PostRecord | null>;
  author: DataLoader<string, AuthorRecord | null>;
  /** Full author records, for sources whose `author` may answer with summaries. */
  authorProfile: DataLoader<string, AuthorRecord | null>;
  threadPagesByForum: DataLoader<PageRequest, Page<ThreadRecord>, string>;
  postPagesByThread: DataLoader<PageRequest, Page<PostRecord>, string>;
  postPagesByAuthor: DataLoader<PageRequest, Page<PostRecord>, string>;
  citations: DataLoader<string, CitationRecord[]>;
  citingPostPages: DataLoader<PageRequest, Page<PostRecord>, string>;
  citedUrlsByThread: DataLoader<PageRequest, CitedUrlRecord[], string>;
  recentPostPages: DataLoader<PageRequest, Page<PostRecord>, string>;
}

/** Per-request loaders over the article store: one keyv `getMany` per batch. */
export interface NewsLoaders {
  article: DataLoader<string, ArticleRecord | null>;
  health: DataLoader<string, SourceHealthRecord | null>;
  /** Pages of newest-first article lists (keyset queries, src/articles/lists.ts), one per distinct query. */
  list: DataLoader<ListQuery, IndexEntry[], string>;
  /** How many articles a list holds (in a window, when given). */
  count: DataLoader<Omit<ListQuery, "limit" | "after">, number, string>;
  /** Unfurls of cited URLs no feed carries; a result not ready within the wait is PENDING. */
  unfurl: DataLoader<string, UnfurlResult>;
  /** A cited canonical URL → its article: from the store, else through an unfurl. */
  citation: DataLoader<string, CitationResolution>;
}

export interface CitationResolution extends UnfurlResult {
  record: ArticleRecord | null;
}

export interface UnfurlDeps {
  source: UrlSource | null;
  waitMs: number;
  /**
   * The asking client's unfurl budget (unfurl.perClientPerMinute): called before each unfurl of a page not in the
   * store; returns null when it may go ahead, else why not (the citation answers FAILED, nothing is fetched).
   */
  allow?: () => string | null;
  /** Pages a post cites are published (ArticleStore.publishCited); off in tests of the loaders alone. */
  publish?: (keys: string[]) => Promise<void>;
  /** Told when an answer is not final: a page still being fetched (PENDING) or refused by the budget (the response cache skips it). */
  incomplete?: () => void;
}

const DISABLED: UnfurlResult = { status: "FAILED", articleKey: null, error: "unfurling is disabled (unfurl.enabled)" };
const pending = (waitMs: number): UnfurlResult => ({
  status: "PENDING", articleKey: null, error: `the page is still being fetched (waited ${waitMs} ms); ask again shortly`,
});

function withDeadline(task: Promise<UnfurlResult>, waitMs: number): Promise<UnfurlResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<UnfurlResult>((resolve) => {
    timer = setTimeout(() => resolve(pending(waitMs)), waitMs);
  });
  return Promise.race([task, late]).finally(() => clearTimeout(timer));
}

export interface Loaders {
  /** Loaders for a source id, or undefined when no such source is configured. */
  forSource(sourceId: string): ForumLoaders | undefined;
  /** Loaders of every configured forum source. */
  allForums(): ForumLoaders[];
  news: NewsLoaders;
  /** Search results and stories (src/search). */
  search: SearchLoaders;
}

export interface LoaderOptions {
  /** Bench-only switch (not a user option): one backend call per key, to measure what batching saves. */
  batch?: boolean;
  /** Told the size of every batch (metrics). */
  onBatch?: (loader: string, size: number) => void;
}


/**
 * Builds the loaders of one request. They live exactly as long as the request, so their memo caches
 * never serve one user's view to another and never go stale.
 */
export function createLoaders(
  sources: ReadonlyMap<string, ForumSource>,
  store: ArticleStore,
  options: LoaderOptions = {},
  unfurl: UnfurlDeps = { source: null, waitMs: 0 },
  search: SearchIndex,
): Loaders {
  const built = new Map<string, ForumLoaders>();
  const batch = options.batch ?? true;
  const measured = measure(options);
  const news: NewsLoaders = {
    article: new DataLoader(measured("article", (keys) => store.getMany(keys)), { batch }),
    health: new DataLoader(measured("health", (ids) => store.health(ids)), { batch }),
    list: new DataLoader<ListQuery, IndexEntry[], string>(measured("list", (queries) => Promise.all(queries.map((q) => store.page(q)))), { batch, cacheKeyFn: listKey }),
    count: new DataLoader<Omit<ListQuery, "limit" | "after">, number, string>(measured("count", (queries) => Promise.all(queries.map((q) => store.count(q)))), { batch, cacheKeyFn: listKey }),
    // The fetches themselves are shared process-wide (UrlSource's in-flight map); this loader only makes
    // one request ask once per URL and bounds how long the request waits.
    unfurl: new DataLoader<string, UnfurlResult>(
      (urls) => Promise.all(urls.map((url) => {
        if (!unfurl.source) return DISABLED;
        const refused = unfurl.allow?.() ?? null;
        if (refused) {
          unfurl.incomplete?.();
          return { status: "FAILED" as const, articleKey: null, error: refused };
        }
        return withDeadline(unfurl.source.unfurl(url), unfurl.waitMs).then((result) => {
          if (result.status === "PENDING") unfurl.incomplete?.();
          return result;
        });
      })),
      { batch },
    ),
    citation: new DataLoader<string, CitationResolution>(
      async (urls) => {
        const known = await news.article.loadMany(urls);
        const resolved = await Promise.all(
          urls.map(async (url, i) => {
            const record = known[i];
            if (record && !(record instanceof Error)) return { status: "RESOLVED" as const, articleKey: url, error: null, record };
            const unfurled = await news.unfurl.load(url);
            if (!unfurled.articleKey) return { ...unfurled, record: null };
            // The miss above is memoized; the unfurl has just stored the article, so ask the store again.
            news.article.clear(unfurled.articleKey);
            return { ...unfurled, record: await news.article.load(unfurled.articleKey) };
          }),
        );
        // A cited page is published: it joins the river, article lists, search and feeds (a page only a client
        // unfurled does not: src/articles/store.ts mergePageInto).
        const unlisted = resolved.flatMap((r) => (r.record && r.record.sourceIds.length === 0 && !r.record.cited ? [r.record.key] : []));
        if (unlisted.length && unfurl.publish) await unfurl.publish([...new Set(unlisted)]);
        return resolved;
      },
      { batch },
    ),
  };
  return {
    news,
    search: createSearchLoaders(search, options),
    allForums() {
      return [...sources.keys()].map((id) => this.forSource(id)!);
    },
    forSource(sourceId) {
      let loaders = built.get(sourceId);
      if (!loaders) {
        const source = sources.get(sourceId);
        if (!source) return undefined;
        loaders = forumLoaders(source, options);
        built.set(sourceId, loaders);
      }
      return loaders;
    },
  };
}

/** Wraps a batch function so every batch's size reaches `onBatch`. */
function measure(options: LoaderOptions) {
  return <K, V>(name: string, fn: (keys: readonly K[]) => Promise<V>) =>
    options.onBatch
      ? (keys: readonly K[]) => {
          options.onBatch!(name, keys.length);
          return fn(keys);
        }
      : fn;
}

function forumLoaders(source: ForumSource, options: LoaderOptions): ForumLoaders {
  const batch = options.batch ?? true;
  const measured = measure(options);
  const byId = <T>(name: string, fn: (ids: readonly string[]) => Promise<Array<T | null | Error>>) =>
    new DataLoader<string, T | null>(measured(name, fn), { batch });

  const thread = byId("thread", (ids) => source.threadsByIds(ids));
  const post = byId("post", (ids) => source.postsByIds(ids));
  const citations = new DataLoader<string, CitationRecord[]>(measured("citations", (ids) => source.citationsByPosts(ids)), { batch });

  // Objects that arrive inside a page are primed into the by-id loaders, so `post.thread` or a later
  // `node(id)` for them costs no second statement.
  const pages = <T extends { id: string }>(
    fn: (requests: readonly PageRequest[]) => Promise<Array<Page<T> | Error>>,
    prime: DataLoader<string, T | null>,
  ) =>
    new DataLoader<PageRequest, Page<T>, string>(
      async (requests) => {
        const results = await fn(requests);
        for (const result of results) {
          if (result instanceof Error) continue;
          for (const edge of result.edges) {
            prime.prime(edge.node.id, edge.node);
            const cited = (edge.node as { citations?: CitationRecord[] }).citations;
            if (cited) citations.prime(edge.node.id, cited);
          }
        }
        return results;
      },
      { cacheKeyFn: pageRequestKey, batch },
    );

  return {
    source,
    forum: byId("forum", (ids) => source.forumsByIds(ids)),
    thread,
    post,
    author: byId("author", (ids) => source.authorsByIds(ids)),
    authorProfile: byId("authorProfile", (ids) => (source.authorProfilesByIds ?? source.authorsByIds).call(source, ids)),
    threadPagesByForum: pages((r) => source.threadPagesByForum(r), thread),
    postPagesByThread: pages((r) => source.postPagesByThread(r), post),
    postPagesByAuthor: pages((r) => source.postPagesByAuthor(r), post),
    citations,
    citingPostPages: pages((r) => source.citingPostPages(r), post),
    citedUrlsByThread: new DataLoader(measured("citedUrlsByThread", (r: readonly PageRequest[]) => source.citedUrlsByThread(r)), { cacheKeyFn: pageRequestKey, batch }),
    recentPostPages: pages((r) => source.recentPostPages(r), post),
  };
}

/** One cache key per distinct list query (sources, window, position, size). */
function listKey(q: Omit<ListQuery, "limit" | "after"> & { after?: ListQuery["after"]; limit?: number }): string {
  return JSON.stringify([[...q.sourceIds].sort(), q.since ?? null, q.until ?? null, q.after ?? null, q.limit ?? null]);
}
