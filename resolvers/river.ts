import { Arg, Args, Ctx, Directive, Query, Resolver } from "type-graphql";
import { withCategory } from "../src/news/categories.js";
import { compareRiver, riverArticles, riverCursor, riverCursorKey } from "../src/read/river.js";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import type { Post } from "../schema/forum.js";
import { type Article, RiverConnection } from "../schema/news.js";
import { toArticle, toPost } from "./mappers.js";
import { encodeCursor } from "../src/model/paging.js";
import { ConnectionArgs, connectionOf, toPageRequest } from "./pagination.js";

type RiverEntry = { t: number; kind: 0 | 1; key: string; node: Post | Article };

@Resolver()
export class RiverResolver {
  @Directive("@cacheControl(maxAge: 30)")
  @Query(() => RiverConnection, { description: "Forum posts and news articles merged, newest first. With `category`: that category's articles only." })
  async river(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: Context,
    @Arg("category", () => String, { nullable: true, description: "Only articles of sources in this category (`Source.categories`); forum posts, which have none, are left out." }) category?: string | null,
  ) {
    // A category stands for its sources (src/news/categories.ts); posts have no category.
    const slugs = withCategory(ctx.news.sources, [], category);
    if (typeof slugs === "string") throw new BadUserInputError("category", slugs);
    const request = toPageRequest("river", args, ctx.config);
    if (request.last !== undefined) throw new BadUserInputError("last", "the river pages forwards only; use `first` and `after`");
    const first = request.first!;
    const cursor = riverCursor(request.after);
    const beyond = (e: RiverEntry) => !cursor || compareRiver(e, cursor) > 0;

    // Ask each side for the page plus slack: items sharing the cursor's timestamp are filtered here exactly.
    const postRequest = { parentId: "*", first: Math.min(first + 20, 1000), ...(cursor ? { after: [new Date(cursor.t).toISOString(), Number.MAX_SAFE_INTEGER] } : {}) };
    const forums = category == null ? ctx.loaders.allForums() : [];
    const [articleHalf, ...postPages] = await Promise.all([
      riverArticles(ctx.loaders.news, slugs, cursor, first),
      ...forums.map((l) => l.recentPostPages.load(postRequest)),
    ]);
    const posts: RiverEntry[] = postPages.flatMap((page, i) =>
      page.edges.map((e) => ({ t: e.node.createdAt.getTime(), kind: 1 as const, key: `${forums[i]!.source.id}:${e.node.id}`, node: toPost(forums[i]!.source.id, e.node) })),
    );
    const articleEntries = articleHalf.entries;
    const records = await ctx.loaders.news.article.loadMany(articleEntries.map((e) => e.k));
    const articles: RiverEntry[] = articleEntries.flatMap((e, i) => {
      const r = records[i];
      return r && !(r instanceof Error) ? [{ t: e.t, kind: 0 as const, key: e.k, node: toArticle(r) }] : [];
    });
    const merged = [...posts.filter(beyond), ...articles].sort(compareRiver);
    const page = merged.slice(0, first);
    const edges = page.map((e) => ({ node: e.node, cursor: encodeCursor(riverCursorKey(e)) }));
    return connectionOf(edges, {
      totalCount: articleHalf.total + postPages.reduce((n, p) => n + p.totalCount, 0),
      hasNextPage: merged.length > first || postPages.some((p) => p.hasNextPage),
      hasPreviousPage: cursor !== null,
    });
  }
}
