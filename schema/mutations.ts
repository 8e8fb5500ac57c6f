import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { Post, Thread } from "./forum.js";
import { Citation } from "./news.js";

/*
 * The local forum's write mutations, in the Relay convention: one `input` argument, a payload with the changed
 * objects, the client's `clientMutationId` echoed, and `userErrors` for what the user can fix (typed codes, never
 * to be parsed from messages). Authentication and rate failures are GraphQL errors (UNAUTHENTICATED, FORBIDDEN,
 * RATE_LIMITED), since no payload field could hold them.
 */

export enum WriteErrorCode {
  EMPTY_BODY = "EMPTY_BODY",
  BODY_TOO_LONG = "BODY_TOO_LONG",
  TOO_MANY_LINKS = "TOO_MANY_LINKS",
  EMPTY_TITLE = "EMPTY_TITLE",
  TITLE_TOO_LONG = "TITLE_TOO_LONG",
  FORUM_NOT_FOUND = "FORUM_NOT_FOUND",
  THREAD_NOT_FOUND = "THREAD_NOT_FOUND",
  THREAD_DELETED = "THREAD_DELETED",
  THREAD_LOCKED = "THREAD_LOCKED",
  POST_NOT_FOUND = "POST_NOT_FOUND",
  POST_DELETED = "POST_DELETED",
  REPLY_NOT_IN_THREAD = "REPLY_NOT_IN_THREAD",
  NOT_THE_AUTHOR = "NOT_THE_AUTHOR",
}
registerEnumType(WriteErrorCode, { name: "WriteErrorCode", description: "Why a write was refused; nothing was written." });

@ObjectType({ description: "A problem with the input the user can fix; when any is listed, nothing was written." })
export class WriteUserError {
  @Field(() => WriteErrorCode)
  code!: WriteErrorCode;

  @Field(() => [String], { description: "Path to the input field at fault, e.g. [\"input\", \"body\"]." })
  field!: string[];

  @Field(() => String)
  message!: string;
}

@InputType({ description: "A new thread with its first post." })
export class CreateThreadInput {
  @Field(() => ID)
  forumId!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { description: "Markdown (raw HTML is shown as text)." })
  body!: string;

  @Field(() => String, { nullable: true, description: "Echoed in the payload; a retried request with the same value does not write twice." })
  clientMutationId?: string | null;
}

@InputType()
export class CreatePostInput {
  @Field(() => ID)
  threadId!: string;

  @Field(() => String, { description: "Markdown (raw HTML is shown as text)." })
  body!: string;

  @Field(() => ID, { nullable: true, description: "The post this one answers (same thread)." })
  replyTo?: string | null;

  @Field(() => String, { nullable: true, description: "Echoed in the payload; a retried request with the same value does not write twice." })
  clientMutationId?: string | null;
}

@InputType()
export class EditPostInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The new Markdown body." })
  body!: string;

  @Field(() => String, { nullable: true })
  clientMutationId?: string | null;
}

@InputType()
export class DeletePostInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  clientMutationId?: string | null;
}

@ObjectType({ description: "What a write changed. `userErrors` empty: it was written; otherwise nothing was." })
export class PostWritePayload {
  @Field(() => Post, { nullable: true, description: "The post written, edited or deleted (a tombstone keeps its position)." })
  post!: Post | null;

  @Field(() => Thread, { nullable: true })
  thread!: Thread | null;

  @Field(() => [Citation], { description: "The links the post cites, each with its status (RESOLVED when the article is known)." })
  citations!: Citation[];

  @Field(() => [WriteUserError])
  userErrors!: WriteUserError[];

  @Field(() => String, { nullable: true })
  clientMutationId!: string | null;
}
