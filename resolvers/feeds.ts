import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { FeedLinks } from "../schema/feeds.js";
import { Forum, Thread } from "../schema/forum.js";
import { Source } from "../schema/news.js";
import type { Context } from "../src/context.js";
import { feedLinks, feedPath } from "../src/syndication/links.js";

/** The syndication URLs of threads, boards and sources (src/syndication serves them). */
function links(ctx: Context, kind: "threads" | "forums" | "sources", id: string): FeedLinks {
  return Object.assign(new FeedLinks(), feedLinks(ctx.config, feedPath(kind, id)));
}

@Resolver(() => Thread)
export class ThreadFeedsResolver {
  @FieldResolver(() => FeedLinks, { description: "This thread's posts as a feed, newest first." })
  feeds(@Root() thread: Thread, @Ctx() ctx: Context): FeedLinks {
    return links(ctx, "threads", thread.id);
  }
}

@Resolver(() => Forum)
export class ForumFeedsResolver {
  @FieldResolver(() => FeedLinks, { description: "This board's threads as a feed, most recently active first." })
  feeds(@Root() forum: Forum, @Ctx() ctx: Context): FeedLinks {
    return links(ctx, "forums", forum.id);
  }
}

@Resolver(() => Source)
export class SourceFeedsResolver {
  @FieldResolver(() => FeedLinks, { description: "This source's stored articles as a feed (sanitized, kept after they leave the upstream feed)." })
  feeds(@Root() source: Source, @Ctx() ctx: Context): FeedLinks {
    return links(ctx, "sources", source.id);
  }
}
