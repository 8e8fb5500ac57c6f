import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, InputType, Query, Resolver, Root } from "type-graphql";
import { summarySafeHtmlOf, summaryTextOf } from "../src/articles/store.js";
import { articleIndex, readArticlePage, type ArticleList } from "../src/read/articles.js";
import { withCategory } from "../src/news/categories.js";
import type { Context } from "../src/context.js";
import { BadUserInputError, ErrorCode, UnfurlError } from "../src/model/errors.js";
import { canonicalUrl } from "../src/urls/index.js";
import { PostConnection } from "../schema/forum.js";
import { Article, ArticleConnection, Source } from "../schema/news.js";
import { DateTime } from "../schema/scalars.js";
import { toArticle, toPost } from "./mappers.js";
import { ConnectionArgs, toConnection, toPageRequest } from "./pagination.js";
import { loadSource } from "./source-lookup.js";

@ArgsType()
export class TimeWindowArgs extends ConnectionArgs {
  @Field(() => DateTime, { nullable: true, description: "Only articles published at or after this time." })
  since?: Date | null;

  @Field(() => DateTime, { nullable: true, description: "Only articles published before this time." })
  until?: Date | null;
}

@InputType({ description: "Narrows `articles`." })
class ArticleFilter {
  @Field(() => [String], { nullable: true, description: "Source slugs (`Source.slug`); any of them." })
  sources?: string[] | null;

  @Field(() => String, { nullable: true, description: "Only sources in this category (`Source.categories`, case-insensitive); with `sources`, those in both." })
  category?: string | null;

  @Field(() => DateTime, { nullable: true })
  since?: Date | null;

  @Field(() => DateTime, { nullable: true })
  until?: Date | null;

  @Field(() => String, { nullable: true, description: "Case-insensitive words that must all appear in the title, summary or author." })
  text?: string | null;
}

/** Article-list arguments → a read request (src/read/articles), and its page → a connection. */
export async function articlePage(
  ctx: Context,
  list: ArticleList,
  args: ConnectionArgs,
  window: { since?: Date | null; until?: Date | null; text?: string | null },
) {
  const request = toPageRequest("index", args, ctx.config);
  if (request.last !== undefined) throw new BadUserInputError("last", "article lists page forwards only; use `first` and `after`");
  const page = await readArticlePage(ctx.loaders.news, list, { ...window, first: request.first!, after: request.after });
  return toConnection(page, toArticle);
}

@Resolver(() => Article)
export class ArticleResolver {
  @Query(() => Article, { nullable: true, description: "The article for a URL (any spelling of it: tracking parameters, fragment, case of the host)." })
  async article(@Arg("url", () => String) url: string, @Ctx() ctx: Context): Promise<Article | null> {
    const canonical = canonicalUrl(url);
    if (!canonical) throw new BadUserInputError("url", "expected an absolute http(s) URL");
    // An entry whose link another entry of its feed shares (a `#fragment` on one page) is found by its exact link.
    const key = (await ctx.news.store.keyForLink(url)) ?? canonical;
    const record = await ctx.loaders.news.article.load(key);
    return record ? toArticle(record) : null;
  }

  @Query(() => Article, {
    nullable: true,
    description: "The article for any http(s) URL: from the store, else by fetching the page and reading its metadata.",
  })
  async unfurl(@Arg("url", () => String) url: string, @Ctx() ctx: Context): Promise<Article | null> {
    const key = canonicalUrl(url);
    if (!key) throw new BadUserInputError("url", "expected an absolute http(s) URL");
    const known = await ctx.loaders.news.article.load(key);
    if (known) return toArticle(known);
    if (!ctx.news.unfurler) throw new UnfurlError(ErrorCode.UNFURL_FAILED, key, "unfurling is disabled (unfurl.enabled)");
    // The same budget as cited links (unfurl.perClientPerMinute).
    const refused = ctx.allowUnfurl?.() ?? null;
    if (refused) throw new UnfurlError(ErrorCode.UNFURL_FAILED, key, refused);
    const result = await ctx.news.unfurler.unfurl(key);
    if (result.status === "BLOCKED") throw new UnfurlError(ErrorCode.UNFURL_BLOCKED, key, result.error ?? "blocked");
    if (result.status !== "RESOLVED") throw new UnfurlError(ErrorCode.UNFURL_FAILED, key, result.error ?? "failed");
    ctx.loaders.news.article.clear(result.articleKey!); // the miss above is memoized; the unfurl just stored it
    const record = await ctx.loaders.news.article.load(result.articleKey!);
    return record ? toArticle(record) : null;
  }

  @Directive("@cacheControl(maxAge: 300)")
  @Query(() => ArticleConnection, { description: "Stored articles, newest first." })
  async articles(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg("filter", () => ArticleFilter, { nullable: true }) filter: ArticleFilter | null,
    @Ctx() ctx: Context,
  ) {
    const slugs = filter?.sources ?? [];
    const unknown = slugs.filter((s) => !ctx.news.sources.has(s));
    if (unknown.length) throw new BadUserInputError("filter.sources", `unknown source slug(s): ${unknown.join(", ")}`);
    const filtered = withCategory(ctx.news.sources, slugs, filter?.category);
    if (typeof filtered === "string") throw new BadUserInputError("filter.category", filtered);
    return articlePage(ctx, await articleIndex(ctx.loaders.news, filtered), args, filter ?? {});
  }

  @FieldResolver(() => String, { nullable: true, description: "Summary as sanitized HTML." })
  summary(@Root() article: Article): string | null {
    return summarySafeHtmlOf(article.record);
  }

  @FieldResolver(() => String, { nullable: true, description: "Summary as plain text." })
  summaryText(@Root() article: Article): string | null {
    return summaryTextOf(article.record);
  }

  @FieldResolver(() => [Source], { description: "Every source that carried this story." })
  async sources(@Root() article: Article, @Ctx() ctx: Context): Promise<Source[]> {
    const found = await Promise.all(article.sourceIds.map((slug) => loadSource(ctx, slug)));
    return found.filter((s): s is Source => s !== null);
  }

  @FieldResolver(() => PostConnection, { description: "Posts that cite this story, newest first." })
  async citedBy(@Root() article: Article, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(article.canonicalUrl ?? article.key, args, ctx.config);
    const forums = ctx.loaders.allForums();
    const pages = await Promise.all(forums.map((l) => l.citingPostPages.load(request)));
    // One forum source is the common case; with several, pages are merged by time and counts summed.
    const edges = pages
      .flatMap((page, i) => page.edges.map((e) => ({ ...e, sourceId: forums[i]!.source.id })))
      .sort((a, b) => b.node.createdAt.getTime() - a.node.createdAt.getTime())
      .slice(0, request.first ?? request.last);
    return toConnection(
      {
        edges,
        totalCount: pages.reduce((n, p) => n + p.totalCount, 0),
        hasNextPage: pages.some((p) => p.hasNextPage),
        hasPreviousPage: pages.some((p) => p.hasPreviousPage),
      },
      (r) => toPost(edges.find((e) => e.node === r)!.sourceId, r),
    );
  }
}

