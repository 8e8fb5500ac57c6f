import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { Citation } from "../schema/news.js";
import {
  CreatePostInput, CreateThreadInput, DeletePostInput, EditPostInput, PostWritePayload, WriteErrorCode, WriteUserError,
} from "../schema/mutations.js";
import type { WriteContext } from "../src/auth/write-context.js";
import type { Context } from "../src/context.js";
import { CrosswireError, ErrorCode } from "../src/model/errors.js";
import { decodeIdArgument } from "../src/model/ids.js";
import { WriteRateLimited, type WriteResult, type Writer } from "../src/model/writes.js";
import { toPost, toThread } from "./mappers.js";

function writing(ctx: Context): WriteContext {
  if (!ctx.write) throw new CrosswireError(ErrorCode.FORBIDDEN, "Writing is not available on this transport.");
  return ctx.write;
}

/** The local forum's key of an ID argument; an ID of another forum source cannot be written through here. */
function localKey(write: WriteContext, argumentName: string, id: string, type: "Forum" | "Thread" | "Post"): string {
  const gid = decodeIdArgument(argumentName, id, type);
  // A key that is not ours reads as "not found" in the store, the same as a deleted one.
  return gid.sourceId === write.sourceId ? gid.key : "-1";
}

async function author(write: WriteContext): Promise<Writer> {
  return write.writer();
}

/** Runs a write, turns the rate limit into RATE_LIMITED with HTTP 429 and Retry-After, and builds the payload. */
async function run(ctx: Context, clientMutationId: string | null | undefined, go: (write: WriteContext, writer: Writer, key: string | null) => Promise<WriteResult>): Promise<PostWritePayload> {
  const write = writing(ctx);
  const writer = await author(write);
  const key = clientMutationId ?? write.idempotencyKey;
  let result: WriteResult;
  try {
    result = await go(write, writer, key);
  } catch (err) {
    if (err instanceof WriteRateLimited) {
      throw new CrosswireError(ErrorCode.RATE_LIMITED, err.message, {
        retryAfterSeconds: err.retryAfterSeconds,
        http: { status: 429, headers: new Map([["retry-after", String(err.retryAfterSeconds)]]) },
      });
    }
    throw err;
  }
  if (result.userErrors.length === 0 && !result.replayed) await write.written(result);
  const loaders = ctx.loaders.forSource(write.sourceId)!;
  const [post, thread] = await Promise.all([
    result.postId ? loaders.post.load(result.postId) : null,
    result.threadId ? loaders.thread.load(result.threadId) : null,
  ]);
  return Object.assign(new PostWritePayload(), {
    post: post ? toPost(write.sourceId, post) : null,
    thread: thread ? toThread(write.sourceId, thread) : null,
    citations: result.citations.map((c) => Object.assign(new Citation(), { url: c.url, canonicalUrl: c.canonicalUrl, articleKey: c.canonicalUrl })),
    userErrors: result.userErrors.map((e) =>
      Object.assign(new WriteUserError(), { code: e.code as WriteErrorCode, field: e.field ? ["input", e.field] : [], message: e.message }),
    ),
    clientMutationId: clientMutationId ?? null,
  });
}

const userOnly = (writer: Writer): Writer => {
  if (writer.kind === "admin") throw new CrosswireError(ErrorCode.FORBIDDEN, "The admin token may edit and delete posts; new posts need a user token.");
  return writer;
};

@Resolver()
export class WriteResolver {
  @Mutation(() => PostWritePayload, { description: "Starts a thread in a local forum with its first post (user token required)." })
  createThread(@Arg("input", () => CreateThreadInput) input: CreateThreadInput, @Ctx() ctx: Context): Promise<PostWritePayload> {
    return run(ctx, input.clientMutationId, (write, writer, key) =>
      write.writes.createThread(userOnly(writer), key, { forumId: localKey(write, "forumId", input.forumId, "Forum"), title: input.title, body: input.body }),
    );
  }

  @Mutation(() => PostWritePayload, { description: "Adds a post to a thread of the local forum (user token required)." })
  createPost(@Arg("input", () => CreatePostInput) input: CreatePostInput, @Ctx() ctx: Context): Promise<PostWritePayload> {
    return run(ctx, input.clientMutationId, (write, writer, key) =>
      write.writes.createPost(userOnly(writer), key, {
        threadId: localKey(write, "threadId", input.threadId, "Thread"),
        body: input.body,
        replyTo: input.replyTo ? localKey(write, "replyTo", input.replyTo, "Post") : null,
      }),
    );
  }

  @Mutation(() => PostWritePayload, { description: "Replaces a post's body (its author, or the admin token)." })
  editPost(@Arg("input", () => EditPostInput) input: EditPostInput, @Ctx() ctx: Context): Promise<PostWritePayload> {
    return run(ctx, input.clientMutationId, (write, writer, key) =>
      write.writes.editPost(writer, key, { postId: localKey(write, "id", input.id, "Post"), body: input.body }),
    );
  }

  @Mutation(() => PostWritePayload, { description: "Deletes a post, leaving a tombstone that keeps positions and cursors (its author, or the admin token)." })
  deletePost(@Arg("input", () => DeletePostInput) input: DeletePostInput, @Ctx() ctx: Context): Promise<PostWritePayload> {
    return run(ctx, input.clientMutationId, (write, writer, key) => write.writes.deletePost(writer, key, { postId: localKey(write, "id", input.id, "Post") }));
  }
}
