import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { Context } from "../src/context.js";
import { Post, Thread } from "../schema/forum.js";
import { Article, Citation, CitationStatus, CitedStory } from "../schema/news.js";
import { MAX_CITATIONS_PER_POST } from "../src/urls/index.js";
import { toArticle } from "./mappers.js";
import { toPageRequest } from "./pagination.js";
import type { CitationResolution } from "../src/loaders/index.js";
import type { CitationRecord } from "../src/model/forum.js";

@Resolver(() => Post)
export class PostCitationsResolver {
  @FieldResolver(() => [Citation], { description: "Links this post cites, in order, each with its article when known." })
  async citations(@Root() post: Post, @Ctx() ctx: Context): Promise<Citation[]> {
    const forum = ctx.loaders.forSource(post.sourceId);
    return toCitations(forum ? await forum.citations.load(post.key) : [], ctx.config.unfurl.maxLinksPerPost);
  }
}

/**
 * A post's citation records as schema objects. Posts indexed before the cap existed may hold more: the cost model
 * counts on the cap (src/server/limits.ts). Of those, only the first `cap` (unfurl.maxLinksPerPost) are fetched; the
 * rest are answered from the store: a post of 200 links once made 200 upstream fetches from one query.
 */
export function toCitations(records: readonly CitationRecord[], cap: number): Citation[] {
  return records.slice(0, MAX_CITATIONS_PER_POST).map((c, i) => Object.assign(new Citation(), { url: c.url, canonicalUrl: c.canonicalUrl, articleKey: c.canonicalUrl, fetch: i < cap }));
}

export async function resolveCitation(ctx: Context, citation: Citation): Promise<CitationResolution> {
  if (citation.fetch) return ctx.loaders.news.citation.load(citation.articleKey);
  const record = await ctx.loaders.news.article.load(citation.articleKey);
  if (record) return { status: "RESOLVED", articleKey: record.key, error: null, record };
  const error = `not fetched: only the first ${ctx.config.unfurl.maxLinksPerPost} links of a post are unfurled (unfurl.maxLinksPerPost)`;
  return { status: "FAILED", articleKey: null, error, record: null };
}

@Resolver(() => Citation)
export class CitationResolver {
  @FieldResolver(() => Article, { nullable: true, description: "The story; null while PENDING, or when BLOCKED or FAILED (see `status`)." })
  async article(@Root() citation: Citation, @Ctx() ctx: Context): Promise<Article | null> {
    const { record } = await resolveCitation(ctx, citation);
    return record ? toArticle(record) : null;
  }

  @FieldResolver(() => CitationStatus, { description: "Whether the article is known, so a frontend can say why a link has no card." })
  async status(@Root() citation: Citation, @Ctx() ctx: Context): Promise<CitationStatus> {
    return (await resolveCitation(ctx, citation)).status as CitationStatus;
  }

  @FieldResolver(() => String, { nullable: true, description: "Why the citation is BLOCKED, FAILED or PENDING." })
  async error(@Root() citation: Citation, @Ctx() ctx: Context): Promise<string | null> {
    return (await resolveCitation(ctx, citation)).error;
  }
}

@Resolver(() => CitedStory)
export class CitedStoryResolver {
  @FieldResolver(() => Article, { nullable: true })
  async article(@Root() story: CitedStory, @Ctx() ctx: Context): Promise<Article | null> {
    const record = await ctx.loaders.news.article.load(story.canonicalUrl);
    return record ? toArticle(record) : null;
  }
}

@Resolver(() => Thread)
export class ThreadCitationsResolver {
  @FieldResolver(() => [CitedStory], { description: "Stories this thread's posts cite, most-cited first." })
  async citedArticles(
    @Root() thread: Thread,
    @Arg("first", () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<CitedStory[]> {
    const request = toPageRequest(thread.key, { first }, ctx.config);
    const forum = ctx.loaders.forSource(thread.sourceId);
    const rows = forum ? await forum.citedUrlsByThread.load(request) : [];
    return rows.map((r) => Object.assign(new CitedStory(), { canonicalUrl: r.canonicalUrl, citationCount: r.postCount }));
  }
}

