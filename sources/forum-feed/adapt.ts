import type { ForumRecord, ThreadRecord } from "../../src/model/forum.js";
import type { ParsedFeed, ParsedItem } from "../../src/model/news.js";
import { dict, toDict } from "../../src/model/dict.js";
import { postKey, threadKeyFromLink, threadTitle, titleKey } from "./grouping.js";

/**
 * forum-feed's model: the board the gateway keeps in keyv for one forum feed (every entry it has seen, grouped
 * into threads), how a parsed feed is merged into it, and board → Forum/Thread records. The wire format is the
 * parsed feed (sources/rss parses it); grouping.ts decides which thread and post an entry is.
 */
export const BOARD = "board";

export interface StoredThread {
  id: string;
  title: string;
  /** [createdAt ISO, post id, author id], oldest first: the thread's order. */
  posts: Array<[string, string, string]>;
  /** The opening entry's link without its fragment: the thread's page on the forum. */
  url?: string | null;
}

export interface Board {
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


// threads, titles and authors are keyed by what entries say (a title, an author's name): null-prototype
// dictionaries (src/model/dict.ts), so "constructor" or "__proto__" is a thread or an author like any other.
export function emptyBoard(now: Date): Board {
  return { title: null, firstSeenAt: now.toISOString(), threads: dict(), titles: dict(), authors: dict(), etag: null, lastModified: null };
}

/** A board as read back from keyv (JSON): its keyed parts as dictionaries again. */
export function restoreBoard(stored: Board | null | undefined): Board | null {
  if (!stored) return null;
  return { ...stored, threads: toDict(stored.threads), titles: toDict(stored.titles), authors: toDict(stored.authors) };
}

export interface MergedFeed {
  /** Threads that gained or changed posts. */
  touched: Set<string>;
  /** The entries of this feed, by post id. */
  bodies: Map<string, ParsedItem>;
  /** Posts new to the board. */
  added: number;
}

/** Merges a parsed feed into the board (in place): threads, titles, authors and each thread's post order. */
export function mergeFeed(board: Board, feed: ParsedFeed, now: () => Date): MergedFeed {
  board.title = feed.title ?? board.title;
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
    if (thread.posts[0]![1] === postId && item.link && URL.canParse(item.link)) thread.url = item.link.replace(/#.*$/, "");
    touched.add(threadId);
    bodies.set(postId, item);
  }
  return { touched, bodies, added };
}

export function toThread(t: StoredThread): ThreadRecord {
  return {
    id: t.id, forumId: BOARD, authorId: t.posts[0]?.[2] ?? "", title: t.title,
    createdAt: new Date(t.posts[0]?.[0] ?? 0), lastPostedAt: new Date(t.posts[t.posts.length - 1]?.[0] ?? 0),
    postCount: t.posts.length, url: t.url ?? null,
  };
}

export function forumRecord(id: string, options: { name: string; url: string }, board: Board | null, now: () => Date): ForumRecord {
  return {
    id: BOARD, slug: id, name: options.name, description: board?.title ?? `Posts from ${options.url}`,
    createdAt: new Date(board?.firstSeenAt ?? now().toISOString()),
  };
}
