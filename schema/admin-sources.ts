import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Source, SourceKind } from "./news.js";

/*
 * The admin API of sources managed at runtime (docs/sources/admin-api.md): admin token required; failures are
 * GraphQL errors with FEED_NOT_FOUND, SOURCE_EXISTS, SOURCE_NOT_FOUND, SOURCE_READ_ONLY, SOURCE_FETCH_FAILED or
 * BAD_USER_INPUT, and then nothing was stored.
 */

@InputType({ description: "A news source to add: a feed URL, or a web page whose feed is discovered." })
export class AddSourceInput {
  @Field(() => String, { description: "A feed, or a page that links to one (`<link rel=\"alternate\">`) or has one at a well-known path (/feed, /rss, /atom.xml, …)." })
  url!: string;

  @Field(() => String, { nullable: true, description: "The slug (lower-case letters, digits, `-`, `_`); default: made from the name." })
  id?: string | null;

  @Field(() => String, { nullable: true, description: "Display name; default: the feed's title." })
  name?: string | null;

  @Field(() => [String], { nullable: true })
  categories?: string[] | null;

  @Field(() => Int, { nullable: true, description: "Default 900." })
  pollIntervalSeconds?: number | null;
}

@InputType({ description: "Fields of a stored source to change; those left out keep their value." })
export class UpdateSourceInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: "A feed URL (not discovered: give the feed itself)." })
  url?: string | null;

  @Field(() => [String], { nullable: true })
  categories?: string[] | null;

  @Field(() => Int, { nullable: true })
  pollIntervalSeconds?: number | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@ObjectType({ description: "A feed a page links to (addSource returns these when more than one fits: add the one you want by its URL)." })
export class FeedCandidate {
  @Field(() => String)
  url!: string;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field(() => SourceKind, { nullable: true })
  format!: SourceKind | null;
}

@ObjectType({ description: "`source` when one feed was found and added (and polled once); otherwise `candidates`, and nothing was stored." })
export class AddSourcePayload {
  @Field(() => Source, { nullable: true })
  source!: Source | null;

  @Field(() => [FeedCandidate])
  candidates!: FeedCandidate[];
}

@ObjectType()
export class RemoveSourcePayload {
  @Field(() => ID, { description: "The removed source's slug." })
  id!: string;

  @Field(() => Int, { description: "Articles deleted (0 when they were kept); articles other sources also carry are kept." })
  articlesDeleted!: number;
}

export enum ForumKind {
  DISCOURSE = "discourse",
  FEED = "feed",
}
registerEnumType(ForumKind, { name: "ForumKind", description: "A Discourse site, or any forum's RSS/Atom feed." });

@InputType()
export class AddForumInput {
  @Field(() => ForumKind)
  kind!: ForumKind;

  @Field(() => String, { description: "Discourse: the site root (its /about.json or /site.json is fetched first); feed: the board or thread feed." })
  url!: string;

  @Field(() => String, { nullable: true })
  id?: string | null;

  @Field(() => String, { nullable: true })
  name?: string | null;
}

@ObjectType({ description: "A stored remote forum (query it as `forum(id:)` / `forums` like a configured one)." })
export class StoredForum {
  @Field(() => ID)
  id!: string;

  @Field(() => ForumKind)
  kind!: ForumKind;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  url!: string;
}

@ObjectType({ description: "One outline of an imported OPML that was not added, and why." })
export class OpmlLine {
  @Field(() => String, { description: "The outline's title." })
  outline!: string;

  @Field(() => String, { nullable: true, description: "The outline's xmlUrl when it is an http(s) URL; null otherwise (the reason says why)." })
  url!: string | null;

  @Field(() => String)
  reason!: string;
}

@ObjectType()
export class OpmlImportReport {
  @Field(() => [Source])
  added!: Source[];

  @Field(() => [OpmlLine], { description: "Already subscribed, or repeated in the file." })
  skipped!: OpmlLine[];

  @Field(() => [OpmlLine], { description: "Not a usable feed outline (no URL, not http(s), credentials), or over storedSources.maxSources." })
  failed!: OpmlLine[];
}
