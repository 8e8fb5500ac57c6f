import type { CitationRecord } from "./forum.js";

/**
 * Writing to a forum (forum-local's writes.ts implements it; resolvers/mutations.ts calls it): who writes, what a
 * write answers, and the typed user errors of the Relay mutation convention.
 */
export type UserErrorCode =
  | "EMPTY_BODY" | "BODY_TOO_LONG" | "TOO_MANY_LINKS" | "EMPTY_TITLE" | "TITLE_TOO_LONG"
  | "FORUM_NOT_FOUND" | "THREAD_NOT_FOUND" | "THREAD_DELETED" | "THREAD_LOCKED"
  | "POST_NOT_FOUND" | "POST_DELETED" | "REPLY_NOT_IN_THREAD" | "NOT_THE_AUTHOR";

export interface UserError {
  code: UserErrorCode;
  /** The input field at fault ("body", "threadId"), as the Relay convention's userErrors carry it. */
  field: string | null;
  message: string;
}

/** Who writes: an Author keyed by token subject, or the admin token (edit and delete only). */
export type Writer = { kind: "user"; subject: string; username: string; name: string } | { kind: "admin" };

/** What a write changed: enough to load the objects and announce the post. */
export interface WriteResult {
  threadId: string | null;
  postId: string | null;
  citations: CitationRecord[];
  userErrors: UserError[];
  /** True when this answer is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** The author's write budget is spent; `retryAfterSeconds` says when the oldest write of the window leaves it. */
export class WriteRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many writes: try again in ${retryAfterSeconds} s.`);
  }
}

export interface ForumWrites {
  createThread(writer: Writer, requestKey: string | null, input: { forumId: string; title: string; body: string }): Promise<WriteResult>;
  createPost(writer: Writer, requestKey: string | null, input: { threadId: string; body: string; replyTo?: string | null }): Promise<WriteResult>;
  editPost(writer: Writer, requestKey: string | null, input: { postId: string; body: string }): Promise<WriteResult>;
  deletePost(writer: Writer, requestKey: string | null, input: { postId: string }): Promise<WriteResult>;
}

