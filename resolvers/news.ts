import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { IndexEntry } from "../src/articles/store.js";
import { ALL_SOURCES, compareEntries } from "../src/articles/store.js";
import type { Context } from "../src/context.js";
import { BadUserInputError, ErrorCode, UnauthenticatedError, UnfurlError } from "../src/errors.js";
import { htmlToText, sanitizeHtml } from "../src/html/index.js";
import { decodeIdArgument } from "../src/ids/index.js";
import { canonicalUrl } from "../src/urls/index.js";
import { emptyHealth } from "../sources/rss/index.js";
import type { ArticleRecord } from "../sources/news.js";
import { Post, PostConnection, Thread } from "../schema/forum.js";
import {
  Article, ArticleConnection, Citation, CitationStatus, CitedStory, HealthStatus, RiverConnection, Source, SourceHealth,
} from "../schema/news.js";
import { DateTime } from "../schema/scalars.js";
import { toArticle, toPost, toSource } from "./mappers.js";
import { ConnectionArgs, encodeCursor, toConnection, toPageRequest } from "./pagination.js";

@ArgsType()
class TimeWindowArgs extends ConnectionArgs {
  @Field(() => DateTime, { nullable: true, description: "Only articles published at or after this time." })
  since?: Date | null;

  @Field(() => DateTime, { nullable: true, description: "Only articles published before this time." })
  until?: Date | null;
}

@InputType({ description: "Narrows `articles`." })
class ArticleFilter {
  @Field(() => [String], { nullable: true, description: "Source slugs (`Source.slug`); any of them." })
  sources?: string[] | null;

  @Field(() => DateTime, { nullable: true })
  since?: Date | null;

  @Field(() => DateTime, { nullable: true })
  until?: Date | null;

  @Field(() => String, { nullable: true, description: "Case-insensitive words that must all appear in the title, summary or author." })
  text?: string | null;
}

/** Pages through an article index (newest first) after filters, loading only the page's articles. */
async function articlePage(
  ctx: Context,
  entries: IndexEntry[],
  args: ConnectionArgs,
  window: { since?: Date | null; until?: Date | null; text?: string | null },
) {
  const request = toPageRequest("index", args, ctx.config);
  if (request.last !== undefined) throw new BadUserInputError("last", "article lists page forwards only; use `first` and `after`");
  const after = request.after;
  if (after && (after.length !== 2 || typeof after[0] !== "number" || typeof after[1] !== "string")) {
    throw new BadUserInputError("after", "cursor does not belong to this list; pass a cursor returned by this same connection");
  }
  const since = window.since?.getTime() ?? -Infinity;
  const until = window.until?.getTime() ?? Infinity;
  let candidates = entries.filter((e) => e.t >= since && e.t < until);
  const totalBeforeText = candidates.length;
  if (after) candidates = candidates.filter((e) => compareEntries(e, { t: after[0] as number, k: after[1] as string }) > 0);
  const first = request.first!;
  const words = (window.text ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const picked: Array<{ entry: IndexEntry; record: ArticleRecord }> = [];
  let hasNextPage = false;
  // With a text filter the page is found by reading articles in chunks; without, exactly one batch is read.
  for (let offset = 0; offset < candidates.length && picked.length <= first; offset += words.length ? 200 : first + 1) {
    const chunk = candidates.slice(offset, offset + (words.length ? 200 : first + 1));
    const records = await ctx.loaders.news.article.loadMany(chunk.map((e) => e.k));
    chunk.forEach((entry, i) => {
      const record = records[i];
      if (!record || record instanceof Error) return;
      if (words.length && !matchesText(record, words)) return;
      if (picked.length < first) picked.push({ entry, record });
      else hasNextPage = true;
    });
    if (!words.length) break;
  }
  const edges = picked.map(({ entry, record }) => ({ node: toArticle(record), cursor: encodeCursor([entry.t, entry.k]) }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    totalCount: words.length ? picked.length + (hasNextPage ? 1 : 0) : totalBeforeText,
    pageInfo: {
      hasNextPage: words.length ? hasNextPage : candidates.length > first,
      hasPreviousPage: after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

function matchesText(record: ArticleRecord, words: string[]): boolean {
  const haystack = `${record.title ?? ""} ${record.author ?? ""} ${record.summaryHtml ? htmlToText(record.summaryHtml) : ""}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}

function requireAdmin(ctx: Context): void {
  if (!ctx.config.adminToken) throw new UnauthenticatedError("admin operations are disabled: no adminToken is configured");
  if (!ctx.isAdmin) throw new UnauthenticatedError("this operation needs the admin token: send `Authorization: Bearer <adminToken>`");
}

async function loadSource(ctx: Context, slug: string, fresh = false): Promise<Source | null> {
  const feed = ctx.news.sources.get(slug);
  if (!feed) return null;
  const health = fresh ? (await ctx.news.store.health([slug]))[0] ?? null : await ctx.loaders.news.health.load(slug);
  return toSource(feed.config, health);
}

@Resolver(() => Source)
export class SourceResolver {
  @Query(() => [Source], { description: "Every configured news source, with its health." })
  async sources(@Ctx() ctx: Context): Promise<Source[]> {
    const all = await Promise.all([...ctx.news.sources.keys()].map((slug) => loadSource(ctx, slug)));
    return all.filter((s): s is Source => s !== null);
  }

  @Query(() => Source, { nullable: true })
  async source(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Source | null> {
    return loadSource(ctx, decodeIdArgument("id", id, "Source").key);
  }

  @FieldResolver(() => SourceHealth)
  async health(@Root() source: Source, @Ctx() ctx: Context): Promise<SourceHealth> {
    const record = (await ctx.loaders.news.health.load(source.slug)) ?? emptyHealth();
    const date = (v: string | null) => (v ? new Date(v) : null);
    return {
      status: (source.enabled ? record.status : "DISABLED") as HealthStatus,
      lastSuccessAt: date(record.lastSuccessAt),
      lastAttemptAt: date(record.lastAttemptAt),
      lastError: record.lastError,
      consecutiveFailures: record.consecutiveFailures,
      itemCount: record.itemCount,
    };
  }

  @FieldResolver(() => ArticleConnection, { description: "Articles from this source, newest first, including those no longer in its feed." })
  async articles(@Root() source: Source, @Args(() => TimeWindowArgs) args: TimeWindowArgs, @Ctx() ctx: Context) {
    return articlePage(ctx, await ctx.loaders.news.index.load(source.slug), args, args);
  }

  @Mutation(() => Source, { description: "Polls a source now (admin token required). Returns it with its new health." })
  async refreshSource(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Source> {
    requireAdmin(ctx);
    const slug = decodeIdArgument("id", id, "Source").key;
    if (!ctx.news.sources.has(slug)) throw new BadUserInputError("id", `no source "${slug}" is configured`);
    await ctx.news.refresh(slug);
    return (await loadSource(ctx, slug, true))!;
  }

  @Mutation(() => [Source], { description: "Polls every enabled source now (admin token required)." })
  async refreshAllSources(@Ctx() ctx: Context): Promise<Source[]> {
    requireAdmin(ctx);
    const slugs = [...ctx.news.sources.values()].filter((s) => s.config.enabled).map((s) => s.config.id);
    await Promise.all(slugs.map((slug) => ctx.news.refresh(slug)));
    return (await Promise.all(slugs.map((slug) => loadSource(ctx, slug, true)))).filter((s): s is Source => s !== null);
  }
}

@Resolver(() => Article)
export class ArticleResolver {
  @Query(() => Article, { nullable: true, description: "The article for a URL (any spelling of it: tracking parameters, fragment, case of the host)." })
  async article(@Arg("url", () => String) url: string, @Ctx() ctx: Context): Promise<Article | null> {
    const key = canonicalUrl(url);
    if (!key) throw new BadUserInputError("url", "expected an absolute http(s) URL");
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
    let entries: IndexEntry[];
    if (filter?.sources?.length) {
      const unknown = filter.sources.filter((s) => !ctx.news.sources.has(s));
      if (unknown.length) throw new BadUserInputError("filter.sources", `unknown source slug(s): ${unknown.join(", ")}`);
      const lists = await ctx.loaders.news.index.loadMany(filter.sources);
      const merged = new Map<string, IndexEntry>();
      for (const list of lists) if (!(list instanceof Error)) for (const e of list) merged.set(e.k, e);
      entries = [...merged.values()].sort(compareEntries);
    } else {
      entries = await ctx.loaders.news.index.load(ALL_SOURCES);
    }
    return articlePage(ctx, entries, args, filter ?? {});
  }

  @FieldResolver(() => String, { nullable: true, description: "Summary as sanitized HTML." })
  summary(@Root() article: Article): string | null {
    return article.rawSummary ? sanitizeHtml(article.rawSummary) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: "Summary as plain text." })
  summaryText(@Root() article: Article): string | null {
    return article.rawSummary ? htmlToText(sanitizeHtml(article.rawSummary)) : null;
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

@Resolver(() => Post)
export class PostCitationsResolver {
  @FieldResolver(() => [Citation], { description: "Links this post cites, in order, each with its article when known." })
  async citations(@Root() post: Post, @Ctx() ctx: Context): Promise<Citation[]> {
    const forum = ctx.loaders.forSource(post.sourceId);
    const records = forum ? await forum.citations.load(post.key) : [];
    return records.map((c) => Object.assign(new Citation(), { url: c.url, canonicalUrl: c.canonicalUrl, articleKey: c.canonicalUrl }));
  }
}

const resolveCitation = (ctx: Context, canonical: string) => ctx.loaders.news.citation.load(canonical);

@Resolver(() => Citation)
export class CitationResolver {
  @FieldResolver(() => Article, { nullable: true, description: "The story; null while PENDING, or when BLOCKED or FAILED (see `status`)." })
  async article(@Root() citation: Citation, @Ctx() ctx: Context): Promise<Article | null> {
    const { record } = await resolveCitation(ctx, citation.articleKey);
    return record ? toArticle(record) : null;
  }

  @FieldResolver(() => CitationStatus, { description: "Whether the article is known, so a frontend can say why a link has no card." })
  async status(@Root() citation: Citation, @Ctx() ctx: Context): Promise<CitationStatus> {
    return (await resolveCitation(ctx, citation.articleKey)).status as CitationStatus;
  }

  @FieldResolver(() => String, { nullable: true, description: "Why the citation is BLOCKED, FAILED or PENDING." })
  async error(@Root() citation: Citation, @Ctx() ctx: Context): Promise<string | null> {
    return (await resolveCitation(ctx, citation.articleKey)).error;
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

type RiverEntry = { t: number; kind: 0 | 1; key: string; node: Post | Article };

@Resolver()
export class RiverResolver {
  @Directive("@cacheControl(maxAge: 30)")
  @Query(() => RiverConnection, { description: "Forum posts and news articles merged, newest first." })
  async river(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest("river", args, ctx.config);
    if (request.last !== undefined) throw new BadUserInputError("last", "the river pages forwards only; use `first` and `after`");
    const after = request.after;
    if (after && (after.length !== 3 || typeof after[0] !== "number" || typeof after[2] !== "string")) {
      throw new BadUserInputError("after", "cursor does not belong to this list; pass a cursor returned by this same connection");
    }
    const first = request.first!;
    const cursor = after ? { t: after[0] as number, kind: after[1] as 0 | 1, key: after[2] as string } : null;
    const beyond = (e: RiverEntry) => !cursor || compareRiver(e, cursor) > 0;

    // Ask each side for the page plus slack: items sharing the cursor's timestamp are filtered here exactly.
    const postRequest = { parentId: "*", first: Math.min(first + 20, 1000), ...(cursor ? { after: [new Date(cursor.t).toISOString(), Number.MAX_SAFE_INTEGER] } : {}) };
    const forums = ctx.loaders.allForums();
    const [index, ...postPages] = await Promise.all([
      ctx.loaders.news.index.load(ALL_SOURCES),
      ...forums.map((l) => l.recentPostPages.load(postRequest)),
    ]);
    const posts: RiverEntry[] = postPages.flatMap((page, i) =>
      page.edges.map((e) => ({ t: e.node.createdAt.getTime(), kind: 1 as const, key: `${forums[i]!.source.id}:${e.node.id}`, node: toPost(forums[i]!.source.id, e.node) })),
    );
    const articleEntries = index.filter((e) => beyond({ t: e.t, kind: 0, key: e.k, node: null as never })).slice(0, first + 1);
    const records = await ctx.loaders.news.article.loadMany(articleEntries.map((e) => e.k));
    const articles: RiverEntry[] = articleEntries.flatMap((e, i) => {
      const r = records[i];
      return r && !(r instanceof Error) ? [{ t: e.t, kind: 0 as const, key: e.k, node: toArticle(r) }] : [];
    });
    const merged = [...posts.filter(beyond), ...articles].sort(compareRiver);
    const page = merged.slice(0, first);
    const edges = page.map((e) => ({ node: e.node, cursor: encodeCursor([e.t, e.kind, e.key]) }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      totalCount: index.length + postPages.reduce((n, p) => n + p.totalCount, 0),
      pageInfo: {
        hasNextPage: merged.length > first || postPages.some((p) => p.hasNextPage),
        hasPreviousPage: cursor !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }
}

function compareRiver(a: { t: number; kind: number; key: string }, b: { t: number; kind: number; key: string }): number {
  return b.t - a.t || a.kind - b.kind || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
