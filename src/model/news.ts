import { pendingHealth, type HealthRecord } from "./health.js";

/**
 * The news half of the model: what feed and URL adapters produce and the article store keeps.
 *
 * An Article is one story, identified by its canonical URL (src/urls). The same story from two feeds, or
 * from a feed and an unfurled page, is one Article listing both sources.
 */

export type FeedFormat = "RSS" | "ATOM" | "JSON_FEED";
export type SourceKind = FeedFormat | "URL" | "FORUM";

/** What a story says about itself, whoever supplied it: a feed item, or a stored Article. */
export interface StoryFields {
  title: string | null;
  /** Unsanitized HTML from the source; sanitized on the way out. */
  summaryHtml: string | null;
  author: string | null;
  publishedAt: string | null;
  updatedAt: string | null;
  imageUrl: string | null;
  categories: string[];
}

/** One item as a parser read it, mapped field by field into our own shape (never the parser's objects). */
export interface ParsedItem extends StoryFields {
  guid: string | null;
  link: string | null;
  /** Problems with this item alone (e.g. an unreadable date): the item is kept without the field. */
  warnings: string[];
  /**
   * The summary as src/html renders it (sanitized HTML and plain text), when the parse worker was asked to render
   * it: the main thread then does not (sources/rss, src/html lendRenders). `bounded` is the summary after
   * src/html's boundHtml, present only when that differs from `summaryHtml`.
   */
  summaryRendered?: { html: string; text: string; bounded?: string };
}

export interface ParsedFeed {
  format: FeedFormat;
  title: string | null;
  homepage: string | null;
  items: ParsedItem[];
  warnings: string[];
  /** WebSub hubs the feed declares (`<link rel="hub">`, RSS `<atom:link rel="hub">`, JSON Feed `hubs`). */
  hubs?: string[];
  /** The feed's own URL as it states it (`rel="self"`, JSON Feed `feed_url`): the WebSub topic. */
  selfUrl?: string | null;
}

export interface ArticleRecord extends StoryFields {
  /** Store key: the canonical URL, or `urn:crosswire:…` for items that have no link. */
  key: string;
  url: string | null;
  canonicalUrl: string | null;
  /** Ids of the sources that carried this story, first one first. */
  sourceIds: string[];
  /** Source id → the item's guid in that source. */
  guids: Record<string, string>;
  contentHash: string;
  firstSeenAt: string;
  /** Set when a stored article changed after it was first stored. */
  changedAt: string | null;
  /**
   * The summary sanitized (src/html) and as plain text, derived once when the record is written (issue 18: never
   * per read). Missing on records stored before this existed: the read path derives them (bounded) instead.
   */
  summarySafeHtml?: string | null;
  summaryText?: string | null;
  /** Field name → who supplied it: a feed item, or the page itself (unfurl). Missing on records stored before unfurling existed: all "feed". */
  provenance?: Record<string, "feed" | "page">;
  /** A page no feed carried that a post cites: published like a feed's article (src/articles/store.ts). */
  cited?: boolean;
}

/** A feed's health: the shared record plus what its poller needs for the next conditional GET. */
export interface SourceHealthRecord extends HealthRecord {
  /** Conditional GET validators from the last 200. */
  etag: string | null;
  lastModified: string | null;
  /** Format seen in the last successful parse. */
  format: FeedFormat | null;
}

/** The health of a feed never polled yet. */
export function emptyHealth(): SourceHealthRecord {
  return { ...pendingHealth(), etag: null, lastModified: null, format: null };
}

/** A configured feed source (validated config, see src/config). */
export interface FeedSourceConfig {
  id: string;
  name: string;
  kind?: FeedFormat | undefined;
  url: string;
  homepage?: string | undefined;
  pollIntervalSeconds: number;
  enabled: boolean;
  /** Bundled file ingested instead of fetching (the demo feeds); path relative to the package root. */
  bundledFile?: string | undefined;
  /** Categories (OPML folders) the source belongs to. */
  categories?: string[] | undefined;
  /** "STORED": added at runtime through the admin API (src/news/source-store.ts); otherwise from the config file. */
  origin?: "CONFIG" | "STORED" | undefined;
}
