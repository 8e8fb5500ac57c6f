import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import { Post, Thread } from "../schema/forum.js";
import { Article, Source } from "../schema/news.js";
import { ThreadCitation, ThreadCitedReason } from "../schema/subscriptions.js";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import { decodeIdArgument } from "../src/model/ids.js";
import {
  Topic, type ArticleAddedEvent, type PostAddedEvent, type SourceHealthChangedEvent, type ThreadCitedEvent, type ThreadCitedItem,
} from "../src/live/events.js";
import { subscriptionStream } from "../src/live/stream.js";
import type { ArticleRecord } from "../src/model/news.js";
import { toArticle, toPost, toSource, toThread } from "./mappers.js";

/**
 * Subscriptions (README "Live updates"). Each `subscribe` checks its arguments (a malformed id is a
 * BAD_USER_INPUT error message, before anything is subscribed) and listens on the gateway's pub/sub
 * (src/live), which the context carries: type-graphql's schema is built once per process, while pub/sub is
 * per gateway. Each event is resolved with fresh loaders (`renewLoaders`), so nothing read for one event is
 * served stale for the next.
 */

/** The topic's events, unpacked into items, in this subscription's bounded queue. */
function listen<E, T>(ctx: Context, topic: string, unpack: (event: E) => readonly T[]) {
  if (!ctx.live) throw new Error("subscriptions need the gateway's live events (src/live)");
  return subscriptionStream(ctx.live.pubSub.subscribe(topic), unpack, ctx.config.subscriptions.maxQueuedEvents);
}

interface PostItem {
  sourceId: string;
  postKey: string;
}
type CitedItem = ThreadCitedItem & { sourceId: string; threadKey: string; at: number };

/** A Thread's or Source's id argument, checked, as the source id and local key. */
function threadArg(ctx: Context, id: string): { sourceId: string; key: string } {
  const gid = decodeIdArgument("threadId", id, "Thread");
  if (!ctx.forums.has(gid.sourceId)) throw new BadUserInputError("threadId", `no forum source "${gid.sourceId}" is configured`);
  return gid;
}

function sourceSlugs(ctx: Context, argumentName: string, ids: readonly string[] | null | undefined): Set<string> | null {
  if (ids === null || ids === undefined) return null;
  if (ids.length > 1000) throw new BadUserInputError(argumentName, "at most 1000 ids");
  return new Set(ids.map((id) => {
    const slug = decodeIdArgument(argumentName, id, "Source").key;
    if (!ctx.news.sources.has(slug)) throw new BadUserInputError(argumentName, `no source "${slug}" is configured`);
    return slug;
  }));
}

async function postOf(ctx: Context, sourceId: string, key: string): Promise<Post> {
  const record = await ctx.loaders.forSource(sourceId)?.post.load(key);
  if (!record) throw new Error(`post ${sourceId}:${key} is not in this gateway's forum store`);
  return toPost(sourceId, record);
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => Post, {
    description: "Posts added to a thread, as the forum store reports them (forum-local: within `search.postSyncSeconds`).",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      const thread = threadArg(ctx, args.threadId as string);
      return listen(ctx, Topic.postAdded(thread.sourceId, thread.key), (e: PostAddedEvent) => e.postKeys.map((postKey) => ({ sourceId: e.sourceId, postKey })));
    },
  })
  async postAdded(@Root() event: PostItem, @Arg("threadId", () => ID) _threadId: string, @Ctx() ctx: Context): Promise<Post> {
    ctx.renewLoaders?.();
    return postOf(ctx, event.sourceId, event.postKey);
  }

  @Subscription(() => Article, {
    description: "Articles stored for the first time from a source's feed (polled or pushed by WebSub). `sourceIds`: only these sources (Source ids); omitted: every source.",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      const wanted = sourceSlugs(ctx, "sourceIds", args.sourceIds as string[] | null | undefined);
      return listen(ctx, Topic.articleAdded, (e: ArticleAddedEvent) => (!wanted || wanted.has(e.sourceId) ? e.records : []));
    },
  })
  articleAdded(
    @Root() record: ArticleRecord,
    @Arg("sourceIds", () => [ID], { nullable: true }) _sourceIds: string[] | null,
    @Ctx() ctx: Context,
  ): Article {
    ctx.renewLoaders?.();
    return toArticle(record);
  }

  @Subscription(() => ThreadCitation, {
    description: "A thread's posts and the news they cite: fires when an article arrives that a post of the thread cites, or a new post in the thread cites a stored article.",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      const thread = threadArg(ctx, args.threadId as string);
      return listen(ctx, Topic.threadCited(thread.sourceId, thread.key), (e: ThreadCitedEvent) =>
        e.citations.map((c): CitedItem => ({ ...c, sourceId: e.sourceId, threadKey: e.threadKey, at: e.at })));
    },
  })
  threadCited(@Root() event: CitedItem, @Arg("threadId", () => ID) _threadId: string, @Ctx() ctx: Context): ThreadCitation {
    ctx.renewLoaders?.();
    if (event.record) ctx.loaders.news.article.prime(event.record.key, event.record);
    return Object.assign(new ThreadCitation(), {
      sourceId: event.sourceId, threadKey: event.threadKey, postKey: event.postKey, articleKey: event.articleKey,
      reason: event.reason as ThreadCitedReason, at: new Date(event.at),
    });
  }

  @Subscription(() => Source, {
    description: "A source's health changed (status, failure count or error). `sourceIds`: only these sources; omitted: every source.",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      const wanted = sourceSlugs(ctx, "sourceIds", args.sourceIds as string[] | null | undefined);
      return listen(ctx, Topic.sourceHealthChanged, (e: SourceHealthChangedEvent) =>
        (ctx.news.sources.has(e.sourceId) && (!wanted || wanted.has(e.sourceId)) ? [e] : []));
    },
  })
  sourceHealthChanged(
    @Root() event: SourceHealthChangedEvent,
    @Arg("sourceIds", () => [ID], { nullable: true }) _sourceIds: string[] | null,
    @Ctx() ctx: Context,
  ): Source {
    ctx.renewLoaders?.();
    // The health in the event is the one that changed; Source.health reads it through the (fresh) loader.
    ctx.loaders.news.health.prime(event.sourceId, event.health);
    return toSource(ctx.news.sources.get(event.sourceId)!.config, event.health);
  }
}

@Resolver(() => ThreadCitation)
export class ThreadCitationResolver {
  @FieldResolver(() => Thread)
  async thread(@Root() c: ThreadCitation, @Ctx() ctx: Context): Promise<Thread> {
    const record = await ctx.loaders.forSource(c.sourceId)?.thread.load(c.threadKey);
    if (!record) throw new Error(`thread ${c.sourceId}:${c.threadKey} is not in this gateway's forum store`);
    return toThread(c.sourceId, record);
  }

  @FieldResolver(() => Post)
  post(@Root() c: ThreadCitation, @Ctx() ctx: Context): Promise<Post> {
    return postOf(ctx, c.sourceId, c.postKey);
  }

  @FieldResolver(() => Article, { nullable: true, description: "The cited article (null if this gateway's store does not hold it)." })
  async article(@Root() c: ThreadCitation, @Ctx() ctx: Context): Promise<Article | null> {
    const record = await ctx.loaders.news.article.load(c.articleKey);
    return record ? toArticle(record) : null;
  }
}
