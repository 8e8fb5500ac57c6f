import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { Author, Forum, Post, PostConnection, Thread, ThreadConnection } from "../schema/forum.js";
import type { Context } from "../src/context.js";
import { postBodies } from "../src/html/rendered.js";
import { decodeIdArgument } from "../src/model/ids.js";
import type { ForumLoaders } from "../src/loaders/index.js";
import { toAuthor, toForum, toPost, toThread } from "./mappers.js";
import { DateTime } from "../schema/scalars.js";
import { ConnectionArgs, toConnection, toPageRequest } from "./pagination.js";

function loaders(ctx: Context, sourceId: string): ForumLoaders {
  const found = ctx.loaders.forSource(sourceId);
  // Objects only come from configured sources, so a miss here is a bug, not user input.
  if (!found) throw new Error(`no forum source "${sourceId}" is configured`);
  return found;
}

/** Loads a related object that must exist; a dangling reference is an internal error, not a null. */
async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const found = await value;
  if (found === null) throw new Error(`${what} is missing from its source`);
  return found;
}

/** A post's body rendered once per post version for the process (src/html/rendered.ts), not once per read. */
function renderedBody(post: Post) {
  return postBodies.get(post.id, post.rawHtml);
}

@Resolver(() => Forum)
export class ForumResolver {
  @Query(() => [Forum], {
    nullable: "items",
    description:
      "Every board of every configured forum source. A source that cannot list its boards gives one null entry, with an " +
      "error (SOURCE_UNAVAILABLE or SERVICE_UNAVAILABLE) at that entry's path, and the other sources' boards are still listed.",
  })
  async forums(@Ctx() ctx: Context): Promise<Array<Forum | null>> {
    const lists = await Promise.all(
      [...ctx.forums.values()].map(async (source): Promise<Array<Forum | Error>> => {
        try {
          return (await source.listForums()).map((f) => toForum(source.id, f));
        } catch (err) {
          // graphql-js turns an Error in a list into a null item plus an error at its path: the failure is
          // reported where it happened and does not null the boards of the forums that answered.
          return [err instanceof Error ? err : new Error(String(err))];
        }
      }),
    );
    return lists.flat() as Array<Forum | null>;
  }

  @Query(() => Forum, { nullable: true })
  async forum(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Forum | null> {
    const gid = decodeIdArgument("id", id, "Forum");
    const l = ctx.loaders.forSource(gid.sourceId);
    const record = l ? await l.forum.load(gid.key) : null;
    return record ? toForum(gid.sourceId, record) : null;
  }

  @FieldResolver(() => ThreadConnection, {
    nullable: true,
    description: "Threads, most recently active first; null when the forum's backend cannot answer (the error names the source; see `source.health`).",
  })
  async threads(@Root() forum: Forum, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(forum.key, args, ctx.config);
    const result = await loaders(ctx, forum.sourceId).threadPagesByForum.load(request);
    return toConnection(result, (r) => toThread(forum.sourceId, r));
  }
}

@Resolver(() => Thread)
export class ThreadResolver {
  @Query(() => Thread, { nullable: true })
  async thread(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Thread | null> {
    const gid = decodeIdArgument("id", id, "Thread");
    const record = await ctx.loaders.forSource(gid.sourceId)?.thread.load(gid.key);
    return record ? toThread(gid.sourceId, record) : null;
  }

  @FieldResolver(() => Forum)
  async forum(@Root() thread: Thread, @Ctx() ctx: Context): Promise<Forum> {
    const record = await required(loaders(ctx, thread.sourceId).forum.load(thread.forumKey), `forum of thread ${thread.id}`);
    return toForum(thread.sourceId, record);
  }

  @FieldResolver(() => Author)
  async author(@Root() thread: Thread, @Ctx() ctx: Context): Promise<Author> {
    const record = await required(loaders(ctx, thread.sourceId).author.load(thread.authorKey), `author of thread ${thread.id}`);
    return toAuthor(thread.sourceId, record);
  }

  @FieldResolver(() => PostConnection, { description: "Posts in thread order." })
  async posts(@Root() thread: Thread, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(thread.key, args, ctx.config);
    const result = await loaders(ctx, thread.sourceId).postPagesByThread.load(request);
    return toConnection(result, (r) => toPost(thread.sourceId, r));
  }
}

@Resolver(() => Post)
export class PostResolver {
  @Query(() => Post, { nullable: true })
  async post(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Post | null> {
    const gid = decodeIdArgument("id", id, "Post");
    const record = await ctx.loaders.forSource(gid.sourceId)?.post.load(gid.key);
    return record ? toPost(gid.sourceId, record) : null;
  }

  @FieldResolver(() => String, { description: "The post as sanitized HTML (safe to insert into a page)." })
  body(@Root() post: Post): string {
    return renderedBody(post).html;
  }

  @FieldResolver(() => String, { description: "The post as plain text." })
  bodyText(@Root() post: Post): string {
    return renderedBody(post).text;
  }

  @FieldResolver(() => Thread)
  async thread(@Root() post: Post, @Ctx() ctx: Context): Promise<Thread> {
    const record = await required(loaders(ctx, post.sourceId).thread.load(post.threadKey), `thread of post ${post.id}`);
    return toThread(post.sourceId, record);
  }

  @FieldResolver(() => Author)
  async author(@Root() post: Post, @Ctx() ctx: Context): Promise<Author> {
    const record = await required(loaders(ctx, post.sourceId).author.load(post.authorKey), `author of post ${post.id}`);
    return toAuthor(post.sourceId, record);
  }
}

/** An author known from post data only (forum-discourse): bio and join date need their profile. */
function profile(ctx: Context, author: Author) {
  return required(loaders(ctx, author.sourceId).authorProfile.load(author.key), `profile of author ${author.id}`);
}

@Resolver(() => Author)
export class AuthorResolver {
  @Query(() => Author, { nullable: true })
  async author(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Author | null> {
    const gid = decodeIdArgument("id", id, "Author");
    const record = await ctx.loaders.forSource(gid.sourceId)?.author.load(gid.key);
    return record ? toAuthor(gid.sourceId, record) : null;
  }

  @FieldResolver(() => String, { nullable: true })
  async bio(@Root() author: Author, @Ctx() ctx: Context): Promise<string | null> {
    return author.partial ? (await profile(ctx, author)).bio : author.bio;
  }

  @FieldResolver(() => DateTime, { nullable: true })
  async joinedAt(@Root() author: Author, @Ctx() ctx: Context): Promise<Date | null> {
    return author.partial ? (await profile(ctx, author)).joinedAt : author.joinedAt;
  }

  @FieldResolver(() => PostConnection, { description: "Posts by this author, newest first." })
  async posts(@Root() author: Author, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const request = toPageRequest(author.key, args, ctx.config);
    const result = await loaders(ctx, author.sourceId).postPagesByAuthor.load(request);
    return toConnection(result, (r) => toPost(author.sourceId, r));
  }
}
