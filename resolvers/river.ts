import { Args, Ctx, Directive, Query, Resolver } from "type-graphql";
import { ALL_SOURCES } from "../src/articles/store.js";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import type { Post } from "../schema/forum.js";
import { type Article, RiverConnection } from "../schema/news.js";
import { toArticle, toPost } from "./mappers.js";
import { checkCursorShape, encodeCursor } from "../src/model/paging.js";
import { ConnectionArgs, connectionOf, toPageRequest } from "./pagination.js";

type RiverEntry = { t: number; kind: 0 | 1; key: string; node: Post | Article };

@Resolver()
export class RiverResolver {
  @Directive("@cacheControl(maxAge: 30)")
  @Query(() => RiverConnection, { description: "Forum posts and news articles merged, newest first." })
  async river(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest("river", args, ctx.config);
    if (request.last !== undefined) throw new BadUserInputError("last", "the river pages forwards only; use `first` and `after`");
    const after = request.after;
    checkCursorShape(after, ["number", "number", "string"]);
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
    return connectionOf(edges, {
      totalCount: index.length + postPages.reduce((n, p) => n + p.totalCount, 0),
      hasNextPage: merged.length > first || postPages.some((p) => p.hasNextPage),
      hasPreviousPage: cursor !== null,
    });
  }
}

function compareRiver(a: { t: number; kind: number; key: string }, b: { t: number; kind: number; key: string }): number {
  return b.t - a.t || a.kind - b.kind || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

