import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Post, Thread } from "../schema/forum.js";
import type { Context } from "../src/context.js";
import { toGlobalId } from "../src/model/ids.js";
import { httpUrlOrNull } from "../src/urls/index.js";
import { feedLinks, feedPath } from "../src/syndication/links.js";

/*
 * `url` on Post and Thread: the page a frontend links to. A forum that has pages (Discourse, a forum read from
 * its feed) gives its own; the local forum has no web pages in crosswire, so its permalink is the thread's Atom
 * feed (with `#post-<position>` for a post), the same link crosswire's feeds give as the entry's alternate.
 */

const DESCRIPTION =
  "Permalink: the page on the forum itself (Discourse, forum feeds); for the local forum, the thread's Atom feed on this gateway. Null when a forum-feed entry had no link.";

function ownUrl(ctx: Context, sourceId: string, threadKey: string, position?: number): string {
  const atom = feedLinks(ctx.config, feedPath("threads", toGlobalId("Thread", sourceId, threadKey))).atom;
  return position === undefined ? atom : `${atom}#post-${position}`;
}

function forumUrl(ctx: Context, sourceId: string, threadId: string, postId?: string): string | null | undefined {
  const source = ctx.forums.get(sourceId);
  if (!source?.pageUrl) return undefined;
  return source.pageUrl(postId === undefined ? { threadId } : { threadId, postId });
}

@Resolver(() => Thread)
export class ThreadPermalinkResolver {
  @FieldResolver(() => String, { nullable: true, description: DESCRIPTION })
  url(@Root() thread: Thread, @Ctx() ctx: Context): string | null {
    // A forum-feed entry's link is whatever the feed says: http(s) or null (src/urls, issue 18 item 5).
    if (thread.pageUrl) return httpUrlOrNull(thread.pageUrl);
    const fromSource = forumUrl(ctx, thread.sourceId, thread.key);
    if (fromSource !== undefined) return httpUrlOrNull(fromSource);
    return ctx.forums.get(thread.sourceId)?.kind === "local" ? ownUrl(ctx, thread.sourceId, thread.key) : null;
  }
}

@Resolver(() => Post)
export class PostPermalinkResolver {
  @FieldResolver(() => String, { nullable: true, description: DESCRIPTION })
  url(@Root() post: Post, @Ctx() ctx: Context): string | null {
    if (post.pageUrl) return httpUrlOrNull(post.pageUrl);
    const fromSource = forumUrl(ctx, post.sourceId, post.threadKey, post.key);
    if (fromSource !== undefined) return httpUrlOrNull(fromSource);
    return ctx.forums.get(post.sourceId)?.kind === "local" ? ownUrl(ctx, post.sourceId, post.threadKey, post.position) : null;
  }
}
