import type { ForumSource } from "../../sources/forum.js";
import type { ArticleRecord, SourceHealthRecord } from "../model/news.js";
import type { ArticleStore } from "../articles/store.js";
import type { Logger } from "../logger.js";
import type { LivePubSub } from "./pubsub.js";

/**
 * What happened, as the gateway's producers report it, turned into pub/sub events for the GraphQL
 * subscriptions (resolvers/subscriptions.ts). Payloads are small JSON (they may cross Redis): ids, and the
 * article record itself, since another process's article store may not hold it yet.
 *
 * Producers: the article store (new articles), the rss adapter's health writes, the search service's forum
 * sync (new posts in forum-local), forum-feed's polls and forum-discourse's topic re-reads (`postsAdded`,
 * through createForumSources' `onPostsAdded`).
 */
export const Topic = {
  articleAdded: "articleAdded",
  sourceHealthChanged: "sourceHealthChanged",
  postAdded: (sourceId: string, threadKey: string) => `postAdded:${sourceId}:${threadKey}`,
  threadCited: (sourceId: string, threadKey: string) => `threadCited:${sourceId}:${threadKey}`,
} as const;

/*
 * One pub/sub event per batch (a poll's new articles, a sync's new posts of one thread), never one per item:
 * a feed with 2000 new items is one event, which each subscription unpacks into its own bounded queue
 * (stream.ts), so a burst cannot overflow the pub/sub's per-subscriber queue.
 */
export interface ArticleAddedEvent {
  /** The source whose feed brought them (an article may list others too). */
  sourceId: string;
  records: ArticleRecord[];
  /** When the store wrote them (ms since the epoch). */
  at: number;
}

export interface PostAddedEvent {
  sourceId: string;
  threadKey: string;
  postKeys: string[];
  at: number;
}

export interface ThreadCitedItem {
  /**
   * NEW_ARTICLE: a story the thread cites reached the store for the first time (once per thread and story: a
   * second source carrying it, or a second post citing it, adds nothing); NEW_POST: a new post cites a stored article.
   */
  reason: "NEW_ARTICLE" | "NEW_POST";
  postKey: string;
  articleKey: string;
  /** The article as stored (NEW_ARTICLE), so a process whose store lacks it still answers. */
  record?: ArticleRecord;
}

export interface ThreadCitedEvent {
  sourceId: string;
  threadKey: string;
  citations: ThreadCitedItem[];
  at: number;
}

export interface SourceHealthChangedEvent {
  sourceId: string;
  health: SourceHealthRecord;
  at: number;
}

/** A new post as a forum adapter knows it: its id, its thread, and the canonical URLs it cites. */
export interface NewPost {
  id: string | number;
  threadId: string | number;
  /** Canonical URLs (as forum-local stores them) or citation records. */
  citations?: ReadonlyArray<string | { canonicalUrl: string }>;
}

export interface LiveEvents {
  readonly pubSub: LivePubSub;
  /** The article store wrote these articles for the first time from `sourceId`'s feed. */
  articlesAdded(sourceId: string, records: readonly ArticleRecord[]): void;
  /** A source's health changed (status, failure count or error sentence). */
  healthChanged(sourceId: string, health: SourceHealthRecord): void;
  /** A forum adapter stored new posts (forum-local through the search sync; forum-feed and forum-discourse directly). */
  postsAdded(sourceId: string, posts: readonly NewPost[]): void;
  /** Events are published only once the gateway listens (start-up ingestion and sync publish nothing). */
  enable(): void;
  /** Told every event published here, with its topic (tests and the freshness benchmark). */
  observe(listener: (topic: string, payload: { at: number }) => void): () => void;
  /** Resolves when the lookups behind events already reported are done (tests). */
  settled(): Promise<void>;
}

/** How long a post's announcement is remembered across processes (longer than any sync or poll lag). */
const ANNOUNCED_TTL_MS = 24 * 3_600_000;

/** Posts looked up per new article and forum when finding the threads that cite it. */
const CITING_POSTS_LIMIT = 50;

// Over 80 lines (111): the event bus's publish/track/listener state is shared by every event method of the
// returned LiveEvents contract; citingThreads and publishCitations are already separate functions inside it.
export function createLiveEvents(deps: {
  pubSub: LivePubSub;
  /** Every forum source (read at event time: the remote forums are built after the live hub). */
  forums: ReadonlyMap<string, ForumSource>;
  articles: ArticleStore;
  logger: Logger;
}): LiveEvents {
  const { pubSub, logger } = deps;
  let enabled = false;
  const listeners = new Set<(topic: string, payload: { at: number }) => void>();
  const pending = new Set<Promise<void>>();

  const publish = <T extends { at: number }>(topic: string, payload: T) => {
    pubSub.publish(topic, payload);
    for (const listener of listeners) listener(topic, payload);
  };
  const track = (work: Promise<void>) => {
    const p = work.catch((err: unknown) => logger.warn({ err }, "live: finding the threads an event concerns failed; event skipped"));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  /** Groups items by thread and publishes one threadCited event per thread. */
  function publishCitations(sourceId: string, items: Array<ThreadCitedItem & { threadKey: string }>, at: number): void {
    const byThread = new Map<string, ThreadCitedItem[]>();
    for (const { threadKey, ...item } of items) byThread.set(threadKey, [...(byThread.get(threadKey) ?? []), item]);
    for (const [threadKey, citations] of byThread) {
      publish(Topic.threadCited(sourceId, threadKey), { sourceId, threadKey, citations, at } satisfies ThreadCitedEvent);
    }
  }

  async function citingThreads(sourceId: string, records: readonly ArticleRecord[], at: number): Promise<void> {
    // A story another source carried already was announced when it arrived (or, cited later, by NEW_POST): a second
    // outlet carrying the same URL is not a new citation. Deciding from the record, not from memory, keeps it
    // right across gateways and restarts; two sources writing one new URL at once still see one of them first.
    const cited = records.filter((r) => r.canonicalUrl && !r.sourceIds.some((s) => s !== sourceId));
    if (cited.length === 0) return;
    // Remote forums answer from the posts the gateway holds (forum-feed: all it polled; forum-discourse: the
    // posts it has fetched), so no upstream request is made here. One forum failing does not skip the others.
    for (const forum of deps.forums.values()) {
      const pages = await forum.citingPostPages(cited.map((r) => ({ parentId: r.canonicalUrl!, first: CITING_POSTS_LIMIT }))).catch((err: unknown) => {
        logger.warn({ err, forumSource: forum.id }, "live: finding the posts citing new articles failed for this forum");
        return [];
      });
      const items: Array<ThreadCitedItem & { threadKey: string }> = [];
      pages.forEach((page, i) => {
        if (page instanceof Error) return;
        const record = cited[i]!;
        // One item per thread and story, however many of its posts cite it: the earliest citing post of the page
        // (pages are newest first) is the one named.
        const byThread = new Map<string, string>();
        for (const { node: post } of page.edges) byThread.set(post.threadId, post.id);
        for (const [threadKey, postKey] of byThread) {
          items.push({ reason: "NEW_ARTICLE", threadKey, postKey, articleKey: record.key, record });
        }
      });
      publishCitations(forum.id, items, at);
    }
  }

  async function citedByNewPosts(sourceId: string, posts: readonly NewPost[], at: number): Promise<void> {
    const wanted = posts.flatMap((p) => (p.citations ?? []).map((c) => ({ post: p, url: typeof c === "string" ? c : c.canonicalUrl })));
    if (wanted.length === 0) return;
    const urls = [...new Set(wanted.map((w) => w.url))];
    const known = await deps.articles.getMany(urls);
    const knownUrls = new Set(urls.filter((_, i) => known[i] !== null));
    const seen = new Set<string>();
    const items: Array<ThreadCitedItem & { threadKey: string }> = [];
    for (const { post, url } of wanted) {
      const once = `${post.id}\n${url}`;
      if (!knownUrls.has(url) || seen.has(once)) continue;
      seen.add(once);
      items.push({ reason: "NEW_POST", threadKey: String(post.threadId), postKey: String(post.id), articleKey: url });
    }
    publishCitations(sourceId, items, at);
  }

  return {
    pubSub,
    articlesAdded(sourceId, records) {
      if (!enabled || records.length === 0) return;
      const at = Date.now();
      publish(Topic.articleAdded, { sourceId, records: [...records], at } satisfies ArticleAddedEvent);
      track(citingThreads(sourceId, records, at));
    },
    healthChanged(sourceId, health) {
      if (!enabled) return;
      publish(Topic.sourceHealthChanged, { sourceId, health, at: Date.now() } satisfies SourceHealthChangedEvent);
    },
    postsAdded(sourceId, found) {
      if (!enabled || found.length === 0) return;
      const at = Date.now();
      track(
        (async () => {
          // Gateways sharing a forum store each find its new posts: the first to claim a post announces it.
          const claimed = await deps.pubSub.claim(found.map((p) => `post:${sourceId}:${p.id}`), ANNOUNCED_TTL_MS);
          const posts = found.filter((p) => claimed.has(`post:${sourceId}:${p.id}`));
          const byThread = new Map<string, string[]>();
          for (const post of posts) byThread.set(String(post.threadId), [...(byThread.get(String(post.threadId)) ?? []), String(post.id)]);
          for (const [threadKey, postKeys] of byThread) {
            publish(Topic.postAdded(sourceId, threadKey), { sourceId, threadKey, postKeys, at } satisfies PostAddedEvent);
          }
          if (posts.length) await citedByNewPosts(sourceId, posts, at);
        })(),
      );
    },
    enable() {
      enabled = true;
    },
    observe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async settled() {
      while (pending.size) await Promise.all(pending);
    },
  };
}
