import type { BatchResult } from "../model/forum.js";
import type { CursorKey, Page, PageRequest } from "../model/paging.js";
import type { ParsedQuery } from "./query.js";

/**
 * The search index's contract: full-text search over posts, threads and articles, and the story groups of
 * articles. The embedded default is SQLite FTS5 in `<dataDir>/search.db` (./sqlite/); a PostgreSQL
 * implementation (tsvector columns with a GIN index, in the forum store's database) implements the same
 * interface when the forum store is PostgreSQL.
 *
 * Writes come from ingestion (src/search/service.ts), never from GraphQL requests. Reads follow DataLoader's
 * contract: an array of requests in, an array of the same length and order out, with an `Error` in the slot
 * of a request that failed.
 */

export type SearchKind = "POST" | "THREAD" | "ARTICLE";
export const SEARCH_KINDS: readonly SearchKind[] = ["POST", "THREAD", "ARTICLE"];

/** An article as the index reads it (text already reduced from HTML, sources already named). */
export interface ArticleDoc {
  key: string;
  url: string | null;
  canonicalUrl: string | null;
  title: string | null;
  summaryText: string;
  author: string | null;
  /** Source slugs, first carrier first. */
  sourceIds: string[];
  sourceNames: string[];
  /** publishedAt, else first seen (epoch ms). */
  publishedMs: number;
}

/** A forum thread: searched by its title. */
export interface ThreadDoc {
  sourceId: string;
  id: string;
  forumSlug: string;
  forumName: string;
  title: string;
  authorName: string;
  createdMs: number;
}

/** A forum post: searched by its text, author and thread title. */
export interface PostDoc {
  sourceId: string;
  id: string;
  threadId: string;
  forumSlug: string;
  threadTitle: string;
  authorName: string;
  authorUsername: string;
  text: string;
  createdMs: number;
  /** Canonical URLs the post cites (joins posts to stories). */
  citations: string[];
}

export interface SearchRequest {
  query: ParsedQuery;
  kinds: readonly SearchKind[];
  first: number;
  /** The `cursor` of the last hit of the previous page. */
  after?: CursorKey;
}

export interface SearchHit {
  kind: SearchKind;
  /** Forum source id for posts and threads; "" for articles. */
  sourceId: string;
  /** Article key, or the post's or thread's id in its source. */
  ref: string;
  /** Relevance, higher is better (BM25 for FTS5); comparable within one result list only. */
  score: number;
  /** Plain text with the matched words between U+E000 and U+E001 (see ./snippet.ts). */
  rawSnippet: string;
  cursor: CursorKey;
}

export interface SearchPage {
  hits: SearchHit[];
  totalCount: number;
  hasNextPage: boolean;
}

export interface StoryRecord {
  id: string;
  /** Headline of the member most like the whole story (closest to the centroid when it joined). */
  title: string | null;
  leadKey: string;
  articleCount: number;
  sourceCount: number;
  /** Forum posts citing any of its articles. */
  postCount: number;
  firstMs: number;
  lastMs: number;
  sourceIds: string[];
}

export interface ThreadRef {
  sourceId: string;
  threadId: string;
  /** Posts of the thread citing the story. */
  postCount: number;
}

export type RelatedReason = "SAME_STORY" | "TEXT_MATCH";

export interface RelatedRecord {
  articleKey: string;
  reason: RelatedReason;
  storyId: string | null;
}

export interface RelatedRequest {
  sourceId: string;
  threadId: string;
  first: number;
}

/** `Query.stories`: parentId is ignored; `sinceMs` keeps stories with an article at or after it. */
export interface StoriesRequest extends PageRequest {
  sinceMs?: number;
}

export interface SearchIndex {
  /** "postgres": tables in the forum store's PostgreSQL database (./postgres/), shared by a cluster's gateways. */
  readonly kind: "sqlite" | "postgres";
  /**
   * True when writes run off the main thread (the SQLite index's writer thread): the indexer then writes in large
   * batches, since a batch no longer holds GraphQL requests. Absent or false: batches sized to take ~15 ms each.
   */
  readonly writesOffThread?: boolean;

  /** Adds or replaces articles (by key); new ones wait for `groupPending`. */
  indexArticles(docs: readonly ArticleDoc[]): Promise<void>;
  indexThreads(docs: readonly ThreadDoc[]): Promise<void>;
  indexPosts(docs: readonly PostDoc[]): Promise<void>;
  /**
   * Removes deleted articles (by key): documents, grouping terms, story membership (a story left empty is dropped).
   * Keys the index does not hold are skipped. Resolves with how many it removed.
   */
  deleteArticles(keys: readonly string[]): Promise<number>;
  /** Groups up to `limit` articles that have no story yet, oldest first; resolves with how many it grouped. */
  groupPending(limit: number): Promise<number>;
  /** Which of these article keys the index holds. */
  knownArticles(keys: readonly string[]): Promise<Set<string>>;
  /** Small bookkeeping values (high-water marks of the forum sync). */
  getState(name: string): Promise<string | null>;
  setState(name: string, value: string): Promise<void>;

  search(requests: readonly SearchRequest[]): Promise<Array<SearchPage | Error>>;
  storiesByIds(ids: readonly string[]): Promise<BatchResult<StoryRecord>>;
  storiesByArticles(keys: readonly string[]): Promise<BatchResult<StoryRecord>>;
  /** A story's (parentId) article keys, newest first. */
  storyArticlePages(requests: readonly PageRequest[]): Promise<Array<Page<string> | Error>>;
  /** Threads citing a story (parentId), most citing posts first. */
  storyThreadPages(requests: readonly PageRequest[]): Promise<Array<Page<ThreadRef> | Error>>;
  /** Stories ranked by sources + citing posts, then newest. */
  storyPages(requests: readonly StoriesRequest[]): Promise<Array<Page<StoryRecord> | Error>>;
  relatedArticles(requests: readonly RelatedRequest[]): Promise<Array<RelatedRecord[] | Error>>;
  close(): Promise<void>;
}

/** A forum thread as a forum store hands it to the indexer. */
export interface ForumThreadRow {
  /** The sync's high-water mark (forum-local: the thread id; a remote forum: its write order). */
  id: number;
  /** The thread's id in its source when it is not `id` (remote forums). */
  ref?: string;
  title: string;
  createdAt: string;
  forumSlug: string;
  forumName: string;
  authorName: string;
}

/** A forum post as a forum store hands it to the indexer (HTML as stored: the indexer reduces it to text). */
export interface ForumPostRow {
  /** The sync's high-water mark (forum-local: the post id; a remote forum: its write order). */
  id: number;
  threadId: number;
  /** The post's and its thread's ids in their source when they are not `id` and `threadId` (remote forums). */
  ref?: string;
  threadRef?: string;
  threadTitle: string;
  forumSlug: string;
  authorName: string;
  authorUsername: string;
  bodyHtml: string;
  createdAt: string;
  editedAt: string | null;
  citations: string[];
}

/**
 * What a forum store offers the indexer: rows in id order past a high-water mark, and posts edited after a
 * point (edited_at, id). forum-local implements it, and each remote forum's post index (src/forums/post-search.ts:
 * rows past its write order, which a changed post moves forward, so it lists no edits).
 */
export interface SearchableForum {
  readonly id: string;
  threadsForSearch(afterId: number, limit: number): Promise<ForumThreadRow[]>;
  postsForSearch(afterId: number, limit: number): Promise<ForumPostRow[]>;
  postsEditedForSearch(after: { editedAt: string; id: number }, limit: number): Promise<ForumPostRow[]>;
}
