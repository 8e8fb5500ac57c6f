import { ForumHealth } from "../../src/forums/health.js";
import { compareKeys, pageOf } from "../../src/forums/paging.js";
import { PostIndex } from "../../src/forums/post-index.js";
import type { ThreadDescription } from "../../src/forums/thread-rows.js";
import type { AuthorRecord, ForumRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import type { HealthRecord } from "../../src/model/health.js";
import type { ForumSource } from "../forum.js";
import type { FeedSourceConfig, ParsedFeed } from "../../src/model/news.js";
import type { Page, PageRequest } from "../../src/model/paging.js";
import type { SqlDatabase } from "../../src/db/sql.js";
import type { AdapterDeps } from "../deps.js";
import { parseFeed, pollFeed, type FeedBody, type FeedParserPool, type PollOutcome, type Validators } from "../poll.js";
import type { FeedSource } from "../rss/index.js";
import { BOARD, emptyBoard, forumRecord, mergeFeed, restoreBoard, toThread, type Board, type MergedFeed } from "./adapt.js";

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

/** The common adapter deps, plus the feed parse pool and the SQL database of the post index (src/forums/post-index.ts). */
export type FeedForumDeps = AdapterDeps & {
  parser: FeedParserPool;
  database: SqlDatabase;
};

export interface FeedForumSource extends ForumSource {
  /** The poller's view of this source (src/news/poller.ts polls anything of this shape). */
  readonly feed: FeedSource;
  poll(): Promise<PollOutcome>;
  /** The shared health record as stored now (other gateways' polls included): what the cluster poller reads. */
  sharedHealth(): Promise<HealthRecord>;
}

export { BOARD };

// Over 80 lines (101): most of it is the returned ForumSource object (one line per contract method, the paging
// in threadPages/postPages below, the board model in adapt.ts); poll/ingest/store share the board key and health.
export function createFeedForumSource(options: FeedForumOptions, deps: FeedForumDeps): FeedForumSource {
  const { id } = options;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ forumSource: id });
  const health = new ForumHealth(deps.keyv, id, now);
  const index = new PostIndex(deps.keyv, deps.database, id, now, deps.lock);
  const boardKey = `forum:${id}:board`;
  const load = async (): Promise<Board | null> => restoreBoard(await deps.keyv.get<Board>(boardKey));
  let described = false;

  async function store(feed: ParsedFeed, validators: Validators, polled: boolean): Promise<PollOutcome> {
    const board: Board = (await load()) ?? emptyBoard(now());
    board.etag = validators.etag;
    board.lastModified = validators.lastModified;
    const merged = mergeFeed(board, feed, now);
    // Threads before their posts (search indexes a post with its thread's title); every thread at this process's first
    // store (a board kept from before the post rows has threads no poll touches again), then the touched ones.
    await index.putThreads([...(described ? merged.touched : Object.keys(board.threads))].map((threadId) => describeThread(board, threadId, id)));
    described = true;
    const fresh = await index.put(await changedPosts(index, board, merged));
    await deps.keyv.set(boardKey, board);
    await health.success({ record: polled });
    if (fresh.length) deps.events?.postsAdded?.(id, fresh);
    log.info({ added: merged.added, entries: feed.items.length }, "forum feed stored");
    return { kind: "stored", added: merged.added, updated: feed.items.length - merged.added, unchanged: 0, warnings: feed.warnings };
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
    threadPagesByForum: async (requests) => threadPages(await load(), requests),
    postPagesByThread: (requests) => index.threadPages(requests),
    postPagesByAuthor: (requests) => index.authorPages(requests),
    citationsByPosts: (postIds) => index.citations(postIds),
    citingPostPages: (requests) => index.citingPages(requests),
    citedUrlsByThread: (requests) => index.citedUrlsByThread(requests),
    recentPostPages: (requests) => index.recentPages(requests),
    async close() {},
  };

  function toForum(board: Board | null): ForumRecord {
    return forumRecord(id, options, board, now);
  }
}

const EMPTY_PAGE = { edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 };

function threadPages(board: Board | null, requests: readonly PageRequest[]): Array<Page<ThreadRecord> | Error> {
  const cursorOf = (t: ThreadRecord): [string, string] => [t.lastPostedAt.toISOString(), t.id];
  // Newest first, in the order pageOf pages by (ties on time: ids compared as compareKeys does, "12" after "4").
  const threads = Object.values(board?.threads ?? {})
    .map((t) => toThread(t))
    .sort((a, b) => compareKeys(cursorOf(b), cursorOf(a)));
  return requests.map((r) => {
    if (r.parentId !== BOARD) return EMPTY_PAGE;
    try {
      return pageOf(threads, r, cursorOf, ["string", "string"], "DESC");
    } catch (err) {
      return err as Error;
    }
  });
}

/** What search keeps of a thread: its title, the board's slug (the source id), its first poster. */
function describeThread(board: Board, threadId: string, forumSlug: string): ThreadDescription {
  const thread = board.threads[threadId]!;
  const first = thread.posts[0];
  return { id: threadId, title: thread.title, forumSlug, authorId: first?.[2] ?? "", createdAt: new Date(first?.[0] ?? board.firstSeenAt) };
}

/** Positions follow time within a thread, so an older post arriving late renumbers the ones after it. */
async function changedPosts(index: PostIndex, board: Board, merged: MergedFeed): Promise<PostRecord[]> {
  const records: PostRecord[] = [];
  for (const threadId of merged.touched) {
    const thread = board.threads[threadId]!;
    const ids = thread.posts.map((p) => p[1]);
    const stored = await index.posts(ids);
    thread.posts.forEach(([createdAt, postId, authorId], i) => {
      const item = merged.bodies.get(postId);
      const old = stored[i];
      if (!item && (!old || old.position === i + 1)) return;
      records.push({
        id: postId, threadId, authorId, position: i + 1, bodyHtml: item ? item.summaryHtml ?? "" : old!.bodyHtml,
        createdAt: new Date(createdAt), editedAt: item?.updatedAt ? new Date(item.updatedAt) : old?.editedAt ?? null,
        url: item ? (item.link && URL.canParse(item.link) ? item.link : null) : old?.url ?? null,
      });
    });
  }
  return records;
}
