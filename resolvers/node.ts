import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { Node } from "../schema/node.js";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import { decodeIdArgument, type GlobalId } from "../src/model/ids.js";
import { toArticle, toAuthor, toForum, toPost, toSource, toStory, toThread } from "./mappers.js";

async function loadNode(ctx: Context, gid: GlobalId): Promise<Node | null> {
  if (gid.type === "Source") {
    const feed = ctx.news.sources.get(gid.key);
    return feed ? toSource(feed.config, await ctx.loaders.news.health.load(gid.key)) : null;
  }
  if (gid.type === "Article") {
    const r = await ctx.loaders.news.article.load(gid.key);
    return r && toArticle(r);
  }
  if (gid.type === "Story") {
    const r = await ctx.loaders.search.story.load(gid.key);
    return r && toStory(r);
  }
  const l = ctx.loaders.forSource(gid.sourceId);
  if (!l) return null; // well-formed but from a source this gateway does not serve: unknown, not an error
  switch (gid.type) {
    case "Forum": {
      const r = await l.forum.load(gid.key);
      return r && toForum(gid.sourceId, r);
    }
    case "Thread": {
      const r = await l.thread.load(gid.key);
      return r && toThread(gid.sourceId, r);
    }
    case "Post": {
      const r = await l.post.load(gid.key);
      return r && toPost(gid.sourceId, r);
    }
    case "Author": {
      const r = await l.author.load(gid.key);
      return r && toAuthor(gid.sourceId, r);
    }
    default:
      return null;
  }
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: "Refetch any object by its global ID; null if it does not exist." })
  async node(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    return loadNode(ctx, decodeIdArgument("id", id));
  }

  @Query(() => [Node], { nullable: "items", description: "Refetch many objects at once, in order; null for each that does not exist." })
  async nodes(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<Array<Node | null>> {
    const max = ctx.config.pagination.maxFirst;
    if (ids.length > max) throw new BadUserInputError("ids", `at most ${max} IDs per call, got ${ids.length}`);
    const decoded = ids.map((id, i) => decodeIdArgument(`ids[${i}]`, id));
    return Promise.all(decoded.map((gid) => loadNode(ctx, gid)));
  }
}
