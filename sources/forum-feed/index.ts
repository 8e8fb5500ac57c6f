import { ForumHealth } from "../../src/forums/health.js";
import { compareKeys, pageOf } from "../../src/forums/paging.js";
import { PostIndex } from "../../src/forums/post-index.js";
import type { AuthorRecord, ForumRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import type { HealthRecord } from "../../src/model/health.js";
import type { ForumSource } from "../forum.js";
import type { FeedSourceConfig, ParsedFeed, ParsedItem } from "../../src/model/news.js";
import type { AdapterDeps } from "../deps.js";
import { parseFeed, pollFeed, type FeedBody, type FeedParserPool, type PollOutcome, type Validators } from "../poll.js";
import type { FeedSource } from "../rss/index.js";
import { postKey, threadKeyFromLink, threadTitle, titleKey } from "./grouping.js";

/**
 * forum-feed: a forum known only by the RSS/Atom feed it publishes (phpBB's feed.php, XenForo's
 * /threads/x.123/index.rss and forum feeds, vBulletin's external.php, Flarum's feeds), as a ForumSource.
 *
 *   the feed                 → one Forum ("board"), named by the config
 *   entries, grouped         → Thread (grouping.ts: ids from the entry link, else the "Re: title")
 *   each entry               → Post (its content/description HTML; links feed the citation index)
 *   dc:creator / author name → Author (joinedAt: the earliest post the gateway has seen by them)
 *
 * The feed is polled like a news feed (conditional GET, parsed in the feed parse worker pool) and every post
 * is kept in keyv after it leaves the feed, so the forum grows past the feed's window.
 */
export interface FeedForumOptions {
  id: string;
  name: string;
  /** A board feed or a thread feed. */
  url: string;
  pollIntervalSeconds: number;
  enabled: boolean;
}

/** The common adapter deps, plus the feed parse pool. */
export type FeedForumDeps = AdapterDeps & {
  parser: FeedParserPool;
};

export interface FeedForumSource extends ForumSource {
  /** The poller's view of this source (src/news/poller.ts polls anything of this shape). */
  readonly feed: FeedSource;
  poll(): Promise<PollOutcome>;
  /** The shared health record as stored now (other gateways' polls included): what the cluster poller reads. */
  sharedHealth(): Promise<HealthRecord>;
}

export const BOARD = "board";

interface StoredThread {
  id: string;
  title: string;
  /** [createdAt ISO, post id, author id], oldest first: the thread's order. */
  posts: Array<[string, string, string]>;
}

interface Board {
  title: string | null;
  firstSeenAt: string;
  threads: Record<string, StoredThread>;
  /** Normalized thread title → thread key, for entries whose link names no thread. */
  titles: Record<string, string>;
  /** Author key → display name and earliest post time. */
  authors: Record<string, { name: string; firstPostAt: string }>;
  etag: string | null;
  lastModified: string | null;
}

export function createFeedForumSource(options: FeedForumOptions, deps: FeedForumDeps): FeedForumSource {
  const { id } = options;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ forumSource: id });
  const health = new ForumHealth(deps.keyv, id, now);
  const index = new PostIndex(deps.keyv, id, now, deps.lock);
  const boardKey = `forum:${id}:board`;
  const load = async (): Promise<Board | null> => (await deps.keyv.get<Board>(boardKey)) ?? null;

  const toThread = (t: StoredThread): ThreadRecord => ({
    id: t.id, forumId: BOARD, authorId: t.posts[0]?.[2] ?? "", title: t.title,
    createdAt: new Date(t.posts[0]?.[0] ?? 0), lastPostedAt: new Date(t.posts[t.posts.length - 1]?.[0] ?? 0),
    postCount: t.posts.length,
  });

  async function store(feed: ParsedFeed, validators: { etag: string | null; lastModified: string | null }, polled: boolean): Promise<PollOutcome> {
    const board: Board = (await load()) ?? {
      title: null, firstSeenAt: now().toISOString(), threads: {}, titles: {}, authors: {}, etag: null, lastModified: null,
    };
    board.title = feed.title ?? board.title;
    board.etag = validators.etag;
    board.lastModified = validators.lastModified;
    const touched = new Set<string>();
    const bodies = new Map<string, ParsedItem>();
    let added = 0;
    const normalize = (title: string) => title.toLowerCase().replace(/\s+/g, " ");
    // Titles of threads whose entries carry an id come first, so an entry without one (a phpBB reply linked
    // by post only) joins its thread whatever the order of the feed.
    for (const item of feed.items) {
      const linked = threadKeyFromLink(item.link);
      if (linked) board.titles[normalize(threadTitle(item.title))] ??= linked;
    }
    for (const item of feed.items) {
      const title = threadTitle(item.title);
      const normalized = normalize(title);
      const threadId = threadKeyFromLink(item.link) ?? board.titles[normalized] ?? titleKey(title);
      board.titles[normalized] ??= threadId;
      const thread = (board.threads[threadId] ??= { id: threadId, title, posts: [] });
      // The title of the thread is its first post's; a reply's "Re: …" only names it when nothing better is known.
      const postId = postKey(item);
      const createdAt = item.publishedAt ?? item.updatedAt ?? now().toISOString();
      const authorName = item.author?.trim() || "anonymous";
      const authorId = authorName.toLowerCase();
      const known = board.authors[authorId];
      if (!known || known.firstPostAt > createdAt) board.authors[authorId] = { name: authorName, firstPostAt: createdAt };
      const at = thread.posts.findIndex((p) => p[1] === postId);
      if (at >= 0) thread.posts.splice(at, 1);
      else added += 1;
      thread.posts.push([createdAt, postId, authorId]);
      thread.posts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      if (thread.posts[0]![1] === postId && !/^\s*re\s*:/i.test(item.title?.split(" • ").pop() ?? "")) thread.title = title;
      touched.add(threadId);
      bodies.set(postId, item);
    }
    // Positions follow time within a thread, so an older post arriving late renumbers the ones after it.
    const records: PostRecord[] = [];
    for (const threadId of touched) {
      const thread = board.threads[threadId]!;
      const ids = thread.posts.map((p) => p[1]);
      const stored = await index.posts(ids);
      thread.posts.forEach(([createdAt, postId, authorId], i) => {
        const item = bodies.get(postId);
        const old = stored[i];
        if (!item && (!old || old.position === i + 1)) return;
        records.push({
          id: postId, threadId, authorId, position: i + 1, bodyHtml: item ? item.summaryHtml ?? "" : old!.bodyHtml,
          createdAt: new Date(createdAt), editedAt: item?.updatedAt ? new Date(item.updatedAt) : old?.editedAt ?? null,
        });
      });
    }
    const fresh = await index.put(records);
    await deps.keyv.set(boardKey, board);
    await health.success({ record: polled });
    if (fresh.length) deps.events?.postsAdded?.(id, fresh);
    log.info({ added, entries: feed.items.length }, "forum feed stored");
    return { kind: "stored", added, updated: feed.items.length - added, unchanged: 0, warnings: feed.warnings };
  }

  async function poll(): Promise<PollOutcome> {
    const board = await load();
    const validators = { etag: board?.etag ?? null, lastModified: board?.lastModified ?? null };
    return pollFeed(deps.fetcher, options.url, validators, log, {
      // Polls always record their attempt: another gateway's poller reads it to skip this interval.
      notModified: async () => {
        await health.success({ record: true });
        return { kind: "not-modified" };
      },
      fetched: (body, fetchedValidators) => ingest(body, fetchedValidators, true),
      failed: async (reason, retryAfterMs) => {
        await health.failure(`${reason}; ${await index.count()} stored posts kept`);
        return { kind: "failed", error: reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      },
    });
  }

  async function ingest(body: FeedBody, validators: Validators = { etag: null, lastModified: null }, polled = false): Promise<PollOutcome> {
    let feed: ParsedFeed;
    try {
      feed = await parseFeed(deps.parser, body);
    } catch (err) {
      const reason = (err as Error).message;
      await health.failure(`${reason}; ${await index.count()} stored posts kept`);
      return { kind: "failed", error: reason };
    }
    return store(feed, validators, polled);
  }

  const config: FeedSourceConfig = { id, name: options.name, url: options.url, pollIntervalSeconds: options.pollIntervalSeconds, enabled: options.enabled };
  const emptyPage = { edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 };

  return {
    id,
    kind: "feed",
    name: options.name,
    url: options.url,
    feed: { config, poll, ingest: (bytes, contentType, charset) => ingest({ bytes, contentType, charset }) },
    poll,
    async health() {
      return health.get(await index.count());
    },
    sharedHealth: () => health.get(0, true),
    async listForums() {
      return [toForum(await load())];
    },
    async forumsByIds(ids) {
      const board = await load();
      return ids.map((k) => (k === BOARD ? toForum(board) : null));
    },
    async threadsByIds(ids) {
      const board = await load();
      return ids.map((k) => {
        const t = board?.threads[k];
        return t ? toThread(t) : null;
      });
    },
    postsByIds: (ids) => index.posts(ids),
    async authorsByIds(ids) {
      const board = await load();
      return ids.map((k): AuthorRecord | null => {
        const a = board?.authors[k];
        return a ? { id: k, username: a.name, name: a.name, bio: "", joinedAt: new Date(a.firstPostAt) } : null;
      });
    },
    async threadPagesByForum(requests) {
      const board = await load();
      const cursorOf = (t: ThreadRecord): [string, string] => [t.lastPostedAt.toISOString(), t.id];
      // Newest first, in the order pageOf pages by (ties on time: ids compared as compareKeys does, "12" after "4").
      const threads = Object.values(board?.threads ?? {})
        .map((t) => toThread(t))
        .sort((a, b) => compareKeys(cursorOf(b), cursorOf(a)));
      return requests.map((r) => {
        if (r.parentId !== BOARD) return emptyPage;
        try {
          return pageOf(threads, r, cursorOf, ["string", "string"], "DESC");
        } catch (err) {
          return err as Error;
        }
      });
    },
    async postPagesByThread(requests) {
      const board = await load();
      const pages = requests.map((r) => {
        const thread = board?.threads[r.parentId];
        if (!thread) return emptyPage;
        try {
          return pageOf(thread.posts.map((p, i) => ({ postId: p[1], position: i + 1 })), r, (x) => [x.position], ["number"]);
        } catch (err) {
          return err as Error;
        }
      });
      const ids = pages.flatMap((p) => (p instanceof Error ? [] : p.edges.map((e) => e.node.postId)));
      const posts = new Map((await index.posts(ids)).filter((p): p is PostRecord => p !== null).map((p) => [p.id, p]));
      return pages.map((page) =>
        page instanceof Error ? page : { ...page, edges: page.edges.flatMap((e) => (posts.has(e.node.postId) ? [{ node: posts.get(e.node.postId)!, cursor: e.cursor }] : [])) },
      );
    },
    postPagesByAuthor: (requests) => index.authorPages(requests),
    citationsByPosts: (postIds) => index.citations(postIds),
    citingPostPages: (requests) => index.citingPages(requests),
    citedUrlsByThread: (requests) => index.citedUrlsByThread(requests),
    recentPostPages: (requests) => index.recentPages(requests),
    async close() {},
  };

  function toForum(board: Board | null): ForumRecord {
    return {
      id: BOARD, slug: id, name: options.name, description: board?.title ?? `Posts from ${options.url}`,
      createdAt: new Date(board?.firstSeenAt ?? now().toISOString()),
    };
  }
}
