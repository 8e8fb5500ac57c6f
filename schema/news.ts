import { Directive, Field, Int, ObjectType, registerEnumType, createUnionType } from "type-graphql";
import { connectionTypes } from "./connection.js";
import { Post } from "./forum.js";
import { Node } from "./node.js";
import { DateTime } from "./scalars.js";
import type { ArticleRecord } from "../src/model/news.js";

export enum SourceKind {
  RSS = "RSS",
  ATOM = "ATOM",
  JSON_FEED = "JSON_FEED",
  URL = "URL",
  FORUM = "FORUM",
}
registerEnumType(SourceKind, { name: "SourceKind", description: "What a source is: a feed format, unfurled pages, or a forum." });

export enum SourceOrigin {
  CONFIG = "CONFIG",
  STORED = "STORED",
}
registerEnumType(SourceOrigin, {
  name: "SourceOrigin",
  description: "Where a source is defined: the config file (read-only through the API), or stored through the admin API (addSource, importOpml).",
});

export enum HealthStatus {
  OK = "OK",
  PENDING = "PENDING",
  DEGRADED = "DEGRADED",
  FAILING = "FAILING",
  DISABLED = "DISABLED",
}
registerEnumType(HealthStatus, {
  name: "HealthStatus",
  description: "OK: last poll worked. PENDING: not polled yet. DEGRADED: failing lately after earlier successes. FAILING: 3+ failures in a row or never reached. DISABLED: switched off in config.",
});

@Directive("@cacheControl(maxAge: 0)")
@ObjectType({ simpleResolvers: true, description: "How a source is doing, so a frontend can say it is down instead of silently showing old news." })
export class SourceHealth {
  @Field(() => HealthStatus)
  status!: HealthStatus;

  @Field(() => DateTime, { nullable: true })
  lastSuccessAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => String, { nullable: true, description: "What went wrong last, in words a forum admin understands." })
  lastError!: string | null;

  @Field(() => Int)
  consecutiveFailures!: number;

  @Field(() => Int, { description: "Articles stored from this source (kept after they leave the feed)." })
  itemCount!: number;
}

@Directive("@cacheControl(maxAge: 300)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "A news feed or site that articles come from." })
export class Source extends Node {
  readonly __typename = "Source" as const;

  @Field(() => String, { description: "The id given in configuration (use it in `articles(filter: { sources })`)." })
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => SourceKind, { description: "Format detected at the last successful poll, else the configured one." })
  kind!: SourceKind;

  // Nullable like Article.url, Post.url and Thread.url (one type per field name across Node members); never null.
  @Field(() => String, { nullable: true, description: "Feed URL (never null: nullable only to match `url` on the other Node types)." })
  url!: string;

  @Field(() => String, { nullable: true })
  homepage!: string | null;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => Int)
  pollIntervalSeconds!: number;

  @Field(() => [String], { description: "Categories (OPML folders) of the source; `articles(filter: { category })` and `river(category:)` filter by them." })
  categories!: string[];

  @Field(() => SourceOrigin, { description: "CONFIG: from the config file; STORED: added through the admin API." })
  origin!: SourceOrigin;

  @Field(() => Boolean, { description: "True for config-file sources: updateSource and removeSource refuse them (SOURCE_READ_ONLY)." })
  readOnly!: boolean;
}

@Directive("@cacheControl(maxAge: 3600)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "One news story, identified by its canonical URL." })
export class Article extends Node {
  readonly __typename = "Article" as const;
  key!: string;
  rawSummary!: string | null;
  /** The stored record: its summary is sanitized and converted once, at write time (src/articles/store.ts). */
  record!: ArticleRecord;
  sourceIds!: string[];

  @Field(() => String, { nullable: true, description: "The link as the first source gave it." })
  url!: string | null;

  @Field(() => String, { nullable: true, description: "Normalized URL that identifies the story (README, \"Canonical URLs\")." })
  canonicalUrl!: string | null;

  @Field(() => String, { nullable: true })
  title!: string | null;

  // Not `author`: Post.author and Thread.author are Author objects, and members of RiverItem, SearchResult and
  // Node must give a field name one type (a frontend selects `author` on every member without aliases).
  @Field(() => String, { nullable: true, description: "The author as the feed or page names them (free text)." })
  byline!: string | null;

  @Field(() => DateTime, { nullable: true })
  publishedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: "Set when the source changed the story after it was first stored." })
  updatedAt!: Date | null;

  @Field(() => String, { nullable: true })
  imageUrl!: string | null;

  @Field(() => [String])
  categories!: string[];

  @Field(() => [FieldProvenance], { description: "For each field that has a value, whether a feed or the page supplied it." })
  provenance!: FieldProvenance[];
}

export enum CitationStatus {
  RESOLVED = "RESOLVED",
  PENDING = "PENDING",
  BLOCKED = "BLOCKED",
  FAILED = "FAILED",
}
registerEnumType(CitationStatus, {
  name: "CitationStatus",
  description: "RESOLVED: the article is known. PENDING: its page is still being fetched (ask again shortly). BLOCKED: the URL is not allowed (private address, bad scheme). FAILED: the page could not be fetched or read.",
});

export enum FieldOrigin {
  FEED = "FEED",
  PAGE = "PAGE",
}
registerEnumType(FieldOrigin, { name: "FieldOrigin", description: "Where an article field came from: a feed item, or the page itself (unfurl)." });

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ simpleResolvers: true, description: "Which adapter supplied one field of an article." })
export class FieldProvenance {
  @Field(() => String)
  field!: string;

  @Field(() => FieldOrigin)
  origin!: FieldOrigin;
}

@Directive("@cacheControl(maxAge: 60)")
@ObjectType({ simpleResolvers: true, description: "A link cited in a post, with the story it names when the gateway knows it." })
export class Citation {
  @Field(() => String, { description: "The link as written in the post." })
  url!: string;

  @Field(() => String)
  canonicalUrl!: string;

  articleKey!: string;

  /** False past unfurl.maxLinksPerPost: the citation is answered from the store only, never fetched. */
  fetch = true;
}

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ simpleResolvers: true, description: "A story cited in a thread, with how many of the thread's posts cite it." })
export class CitedStory {
  @Field(() => String)
  canonicalUrl!: string;

  @Field(() => Int)
  citationCount!: number;
}

export const RiverItem = createUnionType({
  name: "RiverItem",
  description: "An entry of the river: a forum post or a news article.",
  types: () => [Post, Article] as const,
  resolveType: (value) => (value as { __typename: string }).__typename,
});

export const { Edge: ArticleEdge, Connection: ArticleConnection } = connectionTypes("Article", Article);
export const { Edge: RiverEdge, Connection: RiverConnection } = connectionTypes("River", RiverItem as never);
