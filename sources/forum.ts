import type { AuthorRecord, BatchResult, CitationRecord, CitedUrlRecord, ForumRecord, PostRecord, ThreadRecord } from "../src/model/forum.js";
import type { HealthRecord } from "../src/model/health.js";
import type { Page, PageRequest } from "../src/model/paging.js";

/**
 * The contract every forum adapter (forum-local, forum-discourse, forum-feed) implements.
 *
 * It is DataLoader's contract, per lookup: a batch method takes an array of keys and resolves to an array
 * of the same length in the same order, holding the record, `null` for a key that does not exist, or an
 * `Error` for a key that could not be looked up (so one bad key never fails its neighbours). Keys are the
 * adapter's own ids, as strings; global IDs are the resolvers' business.
 */

export type ForumSourceKind = "local" | "discourse" | "feed";

export interface ForumSource {
  readonly id: string;
  readonly kind: ForumSourceKind;
  /** Display name and address of the backend; src/forums supplies defaults for sources without them. */
  readonly name?: string;
  readonly url?: string | null;
  /**
   * The page of a thread or of a post on the forum itself, for sources whose URLs follow from ids (Discourse);
   * without it, the record's `url`, else crosswire's own (the thread feed, resolvers/permalinks.ts).
   */
  pageUrl?(ref: { threadId: string; postId?: string }): string | null;
  /** How the backend is doing; a source without this method is reported OK (src/forums). */
  health?(): Promise<HealthRecord>;
  /**
   * Full author records, for sources whose `authorsByIds` may answer with summaries (`partial`); without
   * this method `authorsByIds` is used.
   */
  authorProfilesByIds?(ids: readonly string[]): Promise<BatchResult<AuthorRecord>>;
  listForums(): Promise<ForumRecord[]>;
  forumsByIds(ids: readonly string[]): Promise<BatchResult<ForumRecord>>;
  threadsByIds(ids: readonly string[]): Promise<BatchResult<ThreadRecord>>;
  postsByIds(ids: readonly string[]): Promise<BatchResult<PostRecord>>;
  authorsByIds(ids: readonly string[]): Promise<BatchResult<AuthorRecord>>;
  /** Threads of a forum, most recently active first. */
  threadPagesByForum(requests: readonly PageRequest[]): Promise<Array<Page<ThreadRecord> | Error>>;
  /** Posts of a thread in thread order. */
  postPagesByThread(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>>;
  /** Posts by an author, newest first. */
  postPagesByAuthor(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>>;
  /** The links each post cites (the citation index, filled when posts are stored). */
  citationsByPosts(postIds: readonly string[]): Promise<Array<CitationRecord[] | Error>>;
  /** Posts citing a canonical URL (`parentId`), newest first. */
  citingPostPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>>;
  /** Stories a thread (`parentId`) cites, most-cited first; `first` bounds the list. */
  citedUrlsByThread(requests: readonly PageRequest[]): Promise<Array<CitedUrlRecord[] | Error>>;
  /** The newest posts of the whole source (`parentId` is ignored), for the river. */
  recentPostPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>>;
  close(): Promise<void>;
}
