/**
 * The one model every syndication route produces and every format is rendered from.
 *
 * A route's builder reads the loaders and returns a FeedDocument; `render.ts` turns it into RSS 2.0, Atom 1.0 or
 * JSON Feed 1.1; `http.ts` adds validators and answers conditional requests. Strings in the model are already
 * safe for every format: plain text with XML-illegal characters removed and titles capped (`text.ts`), HTML
 * through the one sanitizer (`src/html`).
 */

export const FEED_FORMATS = ["rss", "atom", "json"] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** One absolute URL per format (what `Thread.feeds` and friends return). */
export type FeedLinks = Record<FeedFormat, string>;

export interface FeedEntry {
  /** A tag: URI built from the object's global ID (links.ts). Never derived from content, so edits keep it. */
  guid: string;
  /** Plain text, capped. */
  title: string;
  /**
   * The entry's alternate link: one URL (an article's page), or one per format (a post: its thread's feed in the
   * format being read, with a `#post-<n>` fragment).
   */
  link: string | FeedLinks;
  /** The first story a post cites (JSON Feed `external_url`); null for articles and link-less posts. */
  externalUrl: string | null;
  published: Date;
  /** Last change: the edit time of a post, the update time of an article, the newest post of a thread. */
  updated: Date;
  author: string | null;
  /** Plain text, without `<` or `>` (Atom writes them into attributes). */
  categories: string[];
  /** Sanitized HTML. */
  contentHtml: string;
  /** Plain text excerpt. */
  summaryText: string;
}

export interface FeedDocument {
  /** The feed's own tag: URI (Atom `<id>`), from its route and filters. */
  id: string;
  title: string;
  description: string;
  /** This page of this feed, in each format (the `self` links). */
  self: FeedLinks;
  /** A web page for the feed (a source's homepage); null when there is none and `self` stands in. */
  alternate: string | null;
  /** Feed-level author, so every Atom entry has one even when the item has none. */
  author: string;
  entries: FeedEntry[];
  /** The next (older) page in each format (RFC 5005 `next`), or null on the last page. */
  next: FeedLinks | null;
  /** The WebSub hub the feed announces (`websub.hubUrl`), or null. */
  hub: string | null;
}

/** A request the routes refuse: the status and a short plain-text sentence for the client. */
export class FeedHttpError extends Error {
  override name = "FeedHttpError";
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}
