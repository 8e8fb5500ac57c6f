import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { Thread, ThreadConnection } from "../schema/forum.js";
import { Article, ArticleConnection, Source } from "../schema/news.js";
import { DateTime } from "../schema/scalars.js";
import {
  RelatedArticle, RelatedReason, SearchResultConnection, SearchType, Story, StoryConnection, type SearchResultEdge,
} from "../schema/search.js";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import { SEARCH_KINDS, type SearchHit } from "../src/search/index.js";
import { parseSearchQuery, SearchSyntaxError, type ParsedQuery } from "../src/search/query.js";
import { snippetHtml } from "../src/search/snippet.js";
import { toArticle, toPost, toSource, toStory, toThread } from "./mappers.js";
import { checkCursorShape, encodeCursor } from "../src/model/paging.js";
import { connectionOf, toConnection, toPageRequest } from "./pagination.js";

@ArgsType()
class ForwardArgs {
  @Field(() => Int, { nullable: true, description: "Page size (default and maximum are configured)." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "Return items after this cursor." })
  after?: string | null;
}

@ArgsType()
class SearchArgs extends ForwardArgs {
  @Field(() => String, { description: 'Words, "phrases", -excluded, source:<slug>, forum:<slug>, after:YYYY-MM-DD, before:YYYY-MM-DD (README "Search and stories").' })
  query!: string;

  @Field(() => [SearchType], { nullable: true, description: "Kinds of result wanted; all of them when omitted." })
  types?: SearchType[] | null;
}

@ArgsType()
class StoriesArgs extends ForwardArgs {
  @Field(() => DateTime, { nullable: true, description: "Only stories with an article published at or after this time." })
  since?: Date | null;
}

function parseQueryArgument(ctx: Context, text: string): ParsedQuery {
  let query: ParsedQuery;
  try {
    query = parseSearchQuery(text);
  } catch (err) {
    if (!(err instanceof SearchSyntaxError)) throw err;
    const error = new BadUserInputError("query", err.message);
    (error.extensions as Record<string, unknown>).position = err.position;
    throw error;
  }
  const unknown = query.sources.filter((s) => !ctx.news.sources.has(s) && !ctx.forums.has(s));
  if (unknown.length) {
    const known = [...ctx.news.sources.keys(), ...ctx.forums.keys()].slice(0, 20).join(", ");
    throw new BadUserInputError("query", `unknown source "${unknown[0]}" in source:; configured sources: ${known}`);
  }
  return query;
}

async function loadHit(ctx: Context, hit: SearchHit) {
  if (hit.kind === "ARTICLE") {
    const record = await ctx.loaders.news.article.load(hit.ref);
    return record ? toArticle(record) : null;
  }
  const forum = ctx.loaders.forSource(hit.sourceId);
  if (!forum) return null;
  if (hit.kind === "POST") {
    const record = await forum.post.load(hit.ref);
    return record ? toPost(hit.sourceId, record) : null;
  }
  const record = await forum.thread.load(hit.ref);
  return record ? toThread(hit.sourceId, record) : null;
}

@Resolver()
export class SearchResolver {
  @Directive("@cacheControl(maxAge: 60)")
  @Query(() => SearchResultConnection, { description: "Full-text search over posts, threads and articles, most relevant first." })
  async search(@Args(() => SearchArgs) args: SearchArgs, @Ctx() ctx: Context) {
    const query = parseQueryArgument(ctx, args.query);
    const request = toPageRequest("search", { first: args.first ?? null, after: args.after ?? null }, ctx.config);
    checkCursorShape(request.after, ["number", "number"]);
    const kinds = args.types?.length ? SEARCH_KINDS.filter((k) => args.types!.includes(k as SearchType)) : SEARCH_KINDS;
    const found = await ctx.loaders.search.search.load({ query, kinds, first: request.first!, ...(request.after ? { after: request.after } : {}) });
    const nodes = await Promise.all(found.hits.map((hit) => loadHit(ctx, hit)));
    // A hit whose object has just been deleted from its store is skipped, not an error.
    const edges: SearchResultEdge[] = found.hits.flatMap((hit, i) =>
      nodes[i] ? [{ node: nodes[i]!, cursor: encodeCursor(hit.cursor), score: hit.score, snippet: snippetHtml(hit.rawSnippet) }] : [],
    );
    return connectionOf(edges, { hasNextPage: found.hasNextPage, hasPreviousPage: request.after !== undefined, totalCount: found.totalCount });
  }

  @Directive("@cacheControl(maxAge: 60)")
  @Query(() => StoryConnection, { description: "Stories, most carried first: distinct sources plus citing forum posts, then the newest." })
  async stories(@Args(() => StoriesArgs) args: StoriesArgs, @Ctx() ctx: Context) {
    const request = toPageRequest("*", { first: args.first ?? null, after: args.after ?? null }, ctx.config);
    checkCursorShape(request.after, ["number", "number", "string"]);
    const result = await ctx.loaders.search.stories.load({ ...request, ...(args.since ? { sinceMs: args.since.getTime() } : {}) });
    return toConnection(result, toStory);
  }
}

@Resolver(() => Story)
export class StoryResolver {
  @FieldResolver(() => ArticleConnection, { description: "The story's articles, newest first." })
  async articles(@Root() story: Story, @Args(() => ForwardArgs) args: ForwardArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(story.key, { first: args.first ?? null, after: args.after ?? null }, ctx.config);
    const keys = await ctx.loaders.search.storyArticles.load(request);
    const records = await ctx.loaders.news.article.loadMany(keys.edges.map((e) => e.node));
    const edges = keys.edges.flatMap((e, i) => {
      const r = records[i];
      return r && !(r instanceof Error) ? [{ node: toArticle(r), cursor: encodeCursor(e.cursor) }] : [];
    });
    return connectionOf(edges, keys);
  }

  @FieldResolver(() => ThreadConnection, {
    // Nullable like Forum.threads (both are Node members: the same field name must have the same type).
    nullable: true,
    description: "Forum threads whose posts cite any of its articles, most citing posts first.",
  })
  async threads(@Root() story: Story, @Args(() => ForwardArgs) args: ForwardArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(story.key, { first: args.first ?? null, after: args.after ?? null }, ctx.config);
    const refs = await ctx.loaders.search.storyThreads.load(request);
    const threads = await Promise.all(refs.edges.map((e) => ctx.loaders.forSource(e.node.sourceId)?.thread.load(e.node.threadId) ?? null));
    const edges = refs.edges.flatMap((e, i) => {
      const r = threads[i];
      return r ? [{ node: toThread(e.node.sourceId, r), cursor: encodeCursor(e.cursor) }] : [];
    });
    return connectionOf(edges, refs);
  }

  @FieldResolver(() => [Source], { description: "Every news source that carried any of its articles." })
  async sources(@Root() story: Story, @Ctx() ctx: Context): Promise<Source[]> {
    const feeds = story.sourceIds.map((slug) => ctx.news.sources.get(slug)).filter((f) => f !== undefined);
    const health = await ctx.loaders.news.health.loadMany(feeds.map((f) => f.config.id));
    return feeds.map((f, i) => toSource(f.config, health[i] instanceof Error ? null : health[i] ?? null));
  }
}

@Resolver(() => Article)
export class ArticleStoryResolver {
  @FieldResolver(() => Story, { nullable: true, description: "The story this article belongs to; null until grouping has seen it (moments after ingestion)." })
  async story(@Root() article: Article, @Ctx() ctx: Context): Promise<Story | null> {
    const record = await ctx.loaders.search.storyByArticle.load(article.key);
    return record ? toStory(record) : null;
  }
}

@Resolver(() => Thread)
export class ThreadRelatedResolver {
  @FieldResolver(() => [RelatedArticle], { description: "Articles the thread does not cite: same stories as its citations first, then text matches." })
  async relatedArticles(
    @Root() thread: Thread,
    @Arg("first", () => Int, { defaultValue: 5 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<RelatedArticle[]> {
    const request = toPageRequest(thread.key, { first }, ctx.config);
    const related = await ctx.loaders.search.related.load({ sourceId: thread.sourceId, threadId: thread.key, first: request.first! });
    const records = await ctx.loaders.news.article.loadMany(related.map((r) => r.articleKey));
    return related.flatMap((r, i) => {
      const record = records[i];
      if (!record || record instanceof Error) return [];
      return [Object.assign(new RelatedArticle(), { reason: r.reason as RelatedReason, storyId: r.storyId, article: toArticle(record) })];
    });
  }
}

@Resolver(() => RelatedArticle)
export class RelatedArticleResolver {
  @FieldResolver(() => Story, { nullable: true })
  async story(@Root() related: RelatedArticle, @Ctx() ctx: Context): Promise<Story | null> {
    if (!related.storyId) return null;
    const record = await ctx.loaders.search.story.load(related.storyId);
    return record ? toStory(record) : null;
  }
}
