/**
 * The forum half of the model: what forum adapters (forum-local, forum-discourse, forum-feed) return. Keys are the
 * adapter's own ids, as strings; global IDs are built from them in src/model/ids.ts.
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
  /** The thread's page on the forum itself, when the record carries it (forum-feed: its first entry's link). */
  url?: string | null;
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
  /** The post's page on the forum itself, when the record carries it (forum-feed: the entry's link). */
  url?: string | null;
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
