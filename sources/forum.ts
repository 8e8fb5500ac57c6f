/**
 * The contract every forum adapter (forum-local, forum-discourse, forum-feed) implements.
 *
 * It is DataLoader's contract, per lookup: a batch method takes an array of keys and resolves to an array
 * of the same length in the same order, holding the record, `null` for a key that does not exist, or an
 * `Error` for a key that could not be looked up (so one bad key never fails its neighbours). Keys are the
 * adapter's own ids, as strings; global IDs are the resolvers' business.
 */

export interface ForumRecord {
  id: string;
  slug: string;
  name: string;
  description: string;
  createdAt: Date;
}

export interface ThreadRecord {
  id: string;
  forumId: string;
  authorId: string;
  title: string;
  createdAt: Date;
  lastPostedAt: Date;
  postCount: number;
}

export interface PostRecord {
  id: string;
  threadId: string;
  authorId: string;
  /** 1-based position of the post in its thread. */
  position: number;
  /** HTML as the source stores it, NOT sanitized: whatever leaves the gateway goes through the sanitizer. */
  bodyHtml: string;
  createdAt: Date;
  editedAt: Date | null;
  /** The post's citations, when the adapter could include them at no extra cost (saves a lookup). */
  citations?: CitationRecord[];
}

export interface AuthorRecord {
  id: string;
  username: string;
  name: string;
  /** Null when the source does not say (a Discourse user who hid their profile). */
  bio: string | null;
  /** Null when the source does not say (a Discourse user who hid their profile). */
  joinedAt: Date | null;
  /**
   * True for a summary taken from post data (a Discourse post names its author but not their bio or join
   * date): `bio` and `joinedAt` are then placeholders, and `authorProfilesByIds` gives the full record.
   */
  partial?: boolean;
}

/** A position in an ordered list, as the adapter's sort key values (opaque to everyone else). */
export type CursorKey = ReadonlyArray<string | number>;

/** One page of one parent's children. first/after page forwards, last/before backwards (Relay). */
export interface PageRequest {
  parentId: string;
  first?: number;
  after?: CursorKey;
  last?: number;
  before?: CursorKey;
}

export interface Page<T> {
  edges: Array<{ node: T; cursor: CursorKey }>;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** All children of the parent, regardless of the cursors. */
  totalCount: number;
}

export type BatchResult<T> = Array<T | null | Error>;

/** A link found in a post body (anchors and bare URLs), in order of appearance. */
export interface CitationRecord {
  url: string;
  canonicalUrl: string;
}

/** A story a thread cites, with how many of the thread's posts cite it. */
export interface CitedUrlRecord {
  canonicalUrl: string;
  postCount: number;
}

export type ForumSourceKind = "local" | "discourse" | "feed";

/** How a forum backend is doing (Forum.source.health); the same fields as a news source's health. */
export interface ForumHealthRecord {
  status: "OK" | "PENDING" | "DEGRADED" | "FAILING" | "DISABLED";
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** A sentence a forum admin understands. */
  lastError: string | null;
  consecutiveFailures: number;
  /** Posts the gateway keeps for this source (forum-feed); 0 where the backend keeps them itself. */
  itemCount: number;
}

export interface ForumSource {
  readonly id: string;
  readonly kind: ForumSourceKind;
  /** Display name and address of the backend; src/forums supplies defaults for sources without them. */
  readonly name?: string;
  readonly url?: string | null;
  /** How the backend is doing; a source without this method is reported OK (src/forums). */
  health?(): Promise<ForumHealthRecord>;
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
