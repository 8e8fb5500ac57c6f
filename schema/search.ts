import { createUnionType, Directive, Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionTypes, PageInfo } from "./connection.js";
import { Post, Thread } from "./forum.js";
import { Article } from "./news.js";
import { Node } from "./node.js";
import { DateTime } from "./scalars.js";

/* Search and stories (src/search; README "Search and stories"). */

export enum SearchType {
  POST = "POST",
  THREAD = "THREAD",
  ARTICLE = "ARTICLE",
}
registerEnumType(SearchType, { name: "SearchType", description: "What `search` may return: forum posts (by text, author and thread title), threads (by title), news articles (by title, summary, author and source)." });

export enum RelatedReason {
  SAME_STORY = "SAME_STORY",
  TEXT_MATCH = "TEXT_MATCH",
}
registerEnumType(RelatedReason, {
  name: "RelatedReason",
  description: "SAME_STORY: another outlet's article about a story the thread cites. TEXT_MATCH: an article sharing the thread's title words and most telling terms.",
});

@Directive("@cacheControl(maxAge: 60)")
@ObjectType({ implements: Node, description: "One event as several outlets told it: articles grouped by URL, then by text similarity within a time window." })
export class Story extends Node {
  readonly __typename = "Story" as const;
  key!: string;
  sourceIds!: string[];

  @Field(() => String, { nullable: true, description: "Headline of the article most typical of the story." })
  title!: string | null;

  @Field(() => Int)
  articleCount!: number;

  @Field(() => Int, { description: "Distinct news sources that carried any of its articles." })
  sourceCount!: number;

  @Field(() => Int, { description: "Forum posts citing any of its articles." })
  postCount!: number;

  @Field(() => DateTime)
  firstPublishedAt!: Date;

  @Field(() => DateTime)
  lastPublishedAt!: Date;
}

export const SearchResult = createUnionType({
  name: "SearchResult",
  description: "A search hit: a forum post, a thread or a news article.",
  types: () => [Post, Thread, Article] as const,
  resolveType: (value) => (value as { __typename: string }).__typename,
});

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ description: "One search hit with its relevance and the passage that matched." })
export class SearchResultEdge {
  // A union has no cache hint of its own: the field inherits the connection's, and each member type adds its own.
  @Directive("@cacheControl(inheritMaxAge: true)")
  @Field(() => SearchResult)
  node!: Post | Thread | Article;

  @Field(() => String, { description: "Opaque cursor for `after`." })
  cursor!: string;

  @Field(() => Float, { description: "Relevance (BM25), higher is better; comparable within one result list only." })
  score!: number;

  @Field(() => String, { description: "The matching passage as HTML: text escaped, matched words in `<mark>`, no other tag." })
  snippet!: string;
}

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ description: "Search hits, most relevant first." })
export class SearchResultConnection {
  @Field(() => [SearchResultEdge])
  edges!: SearchResultEdge[];

  @Directive("@cacheControl(inheritMaxAge: true)")
  @Field(() => [SearchResult], { description: "The nodes of `edges`, for clients that need no cursors." })
  nodes!: Array<Post | Thread | Article>;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Number of hits in the whole list, regardless of the page." })
  totalCount!: number;
}

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ description: "An article a thread does not cite but may want to, and why." })
export class RelatedArticle {
  storyId!: string | null;

  @Field(() => RelatedReason)
  reason!: RelatedReason;

  @Field(() => Article)
  article!: Article;
}

export const { Edge: StoryEdge, Connection: StoryConnection } = connectionTypes("Story", Story);
