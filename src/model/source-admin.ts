import type { FeedFormat, FeedSourceConfig } from "./news.js";

/**
 * The admin API's view of sources managed at runtime (resolvers/admin-sources.ts → src/app/stored-sources.ts).
 * Every method checks its input with the config file's schema and throws a CrosswireError with one of the
 * codes FEED_NOT_FOUND, SOURCE_EXISTS, SOURCE_NOT_FOUND, SOURCE_READ_ONLY, SOURCE_FETCH_FAILED or BAD_USER_INPUT;
 * when it throws, nothing was stored.
 */
export interface SourceAdmin {
  addSource(input: AddSourceInput): Promise<AddSourceResult>;
  updateSource(id: string, patch: UpdateSourceInput): Promise<FeedSourceConfig>;
  removeSource(id: string, deleteArticles: boolean): Promise<{ id: string; articlesDeleted: number }>;
  addForum(input: AddForumInput): Promise<{ id: string; kind: "discourse" | "feed"; name: string; url: string }>;
  removeForum(id: string): Promise<{ id: string }>;
  importOpml(opml: string): Promise<OpmlImportReport>;
  /** Ids of stored news sources and forums (the rest are the config file's and read-only). */
  isStored(id: string): boolean;
}

export interface AddSourceInput {
  url: string;
  id?: string | null | undefined;
  name?: string | null | undefined;
  categories?: string[] | null | undefined;
  pollIntervalSeconds?: number | null | undefined;
}

export interface UpdateSourceInput {
  name?: string | null | undefined;
  url?: string | null | undefined;
  categories?: string[] | null | undefined;
  pollIntervalSeconds?: number | null | undefined;
  enabled?: boolean | null | undefined;
}

export interface AddForumInput {
  kind: "discourse" | "feed";
  url: string;
  id?: string | null | undefined;
  name?: string | null | undefined;
}

export interface FeedCandidateInfo {
  url: string;
  title: string | null;
  format: FeedFormat | null;
}

/** Either the source added (and polled once), or the feeds the page links to when more than one fits (nothing stored). */
export type AddSourceResult = { source: FeedSourceConfig; candidates: [] } | { source: null; candidates: FeedCandidateInfo[] };

export interface OpmlLineReport {
  /** The outline's title (or text) as the file gives it. */
  outline: string;
  url: string | null;
  reason: string;
}

export interface OpmlImportReport {
  added: FeedSourceConfig[];
  /** Already subscribed, or repeated in the file. */
  skipped: OpmlLineReport[];
  /** Outlines that cannot become a source (no URL, not http(s), credentials, over `storedSources.maxSources`). */
  failed: OpmlLineReport[];
}
