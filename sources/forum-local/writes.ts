import { randomUUID } from "node:crypto";
import type { SqlDatabase, SqlQueries } from "../../src/db/sql.js";
import type { CitationRecord } from "../../src/model/forum.js";
import { WriteRateLimited, type ForumWrites, type UserError, type UserErrorCode, type WriteResult, type Writer } from "../../src/model/writes.js";
import { renderBody, type BodyLimits, type BodyProblem, type RenderedBody } from "./body.js";

/**
 * Writes to forum-local: threads, posts, edits and tombstones, each in one transaction with its citations and its
 * write-request row, so a failure anywhere leaves nothing half-written and a retried request (same author, same
 * request key) gets the first answer back instead of writing twice. Works alike on SQLite and PostgreSQL: the thread
 * row is updated before a post's position is read, which on PostgreSQL locks the thread until commit, so two
 * gateways appending to one thread get different positions.
 */
export interface WriteOptions extends BodyLimits {
  writesPerMinute: number;
  now?: () => Date;
}

/** Thrown inside a transaction to roll it back and answer with user errors. */
class Refused extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join(" "));
  }
}

const refuse = (code: UserErrorCode, field: string | null, message: string): never => {
  throw new Refused([{ code, field, message }]);
};
const bodyOrRefuse = (source: string, limits: BodyLimits): RenderedBody => {
  const body = renderBody(source, limits);
  if ("code" in body) refuse((body as BodyProblem).code, "body", body.message);
  return body as RenderedBody;
};
const numericId = (id: string): number => (/^\d{1,15}$/.test(id) ? Number(id) : -1);

const WINDOW_MS = 60_000;
const MAX_TITLE_CHARS = 300;

// Long on purpose (~155 lines): a factory whose four mutations share one database handle, the per-author write
// window and the idempotency lookup inside each write's transaction; each method is short, and splitting the factory
// would pass that shared transaction state around. A candidate for a split into writes/{threads,posts}.ts.
export function createForumWrites(database: SqlDatabase, options: WriteOptions): ForumWrites {
  const now = options.now ?? (() => new Date());

  /** Finds or creates the writer's Author (first write); the admin writes as nobody (-1). */
  async function authorOf(tx: SqlQueries, writer: Writer, at: string): Promise<number> {
    if (writer.kind === "admin") return -1;
    const found = await tx.get<{ id: number }>("SELECT id FROM authors WHERE subject = ?", [writer.subject]);
    if (found) return found.id;
    // Usernames are unique: a token whose username an older author holds gets the subject's tail appended.
    const taken = await tx.get<{ id: number }>("SELECT id FROM authors WHERE username = ?", [writer.username]);
    const username = taken ? `${writer.username}-${writer.subject.replace(/[^\w-]/g, "").slice(-8) || randomUUID().slice(0, 8)}` : writer.username;
    await tx.run("INSERT INTO authors (username, name, bio, joined_at, subject) VALUES (?, ?, '', ?, ?) ON CONFLICT (subject) DO NOTHING", [
      username, writer.name, at, writer.subject,
    ]);
    return (await tx.get<{ id: number }>("SELECT id FROM authors WHERE subject = ?", [writer.subject]))!.id;
  }

  /**
   * One write: rate and idempotency against write_requests, then `work`, then the answer stored under the request key,
   * all in one transaction. A refused write (user errors) rolls back and is not counted.
   */
  async function write(writer: Writer, requestKey: string | null, work: (tx: SqlQueries, authorId: number, at: string) => Promise<WriteResult>): Promise<WriteResult> {
    const at = now().toISOString();
    try {
      return await database.transaction(async (tx) => {
        const authorId = await authorOf(tx, writer, at);
        const key = requestKey ?? `auto:${randomUUID()}`;
        // Claims the key first: on PostgreSQL a concurrent retry waits here until this one commits, then finds its answer.
        const claimed = await tx.run("INSERT INTO write_requests (author_id, request_key, result, created_at) VALUES (?, ?, '', ?) ON CONFLICT DO NOTHING", [
          authorId, key, at,
        ]);
        if (claimed === 0) {
          const earlier = await tx.get<{ result: string }>("SELECT result FROM write_requests WHERE author_id = ? AND request_key = ?", [authorId, key]);
          return { ...(JSON.parse(earlier!.result) as WriteResult), replayed: true };
        }
        if (writer.kind === "user") {
          const since = new Date(Date.parse(at) - WINDOW_MS).toISOString();
          const recent = await tx.all<{ created_at: string }>(
            "SELECT created_at FROM write_requests WHERE author_id = ? AND created_at > ? ORDER BY created_at LIMIT ?",
            [authorId, since, options.writesPerMinute + 1],
          );
          if (recent.length > options.writesPerMinute) {
            throw new WriteRateLimited(Math.max(1, Math.ceil((Date.parse(recent[0]!.created_at) + WINDOW_MS - Date.parse(at)) / 1000)));
          }
        }
        const result = await work(tx, authorId, at);
        await tx.run("UPDATE write_requests SET result = ? WHERE author_id = ? AND request_key = ?", [JSON.stringify(result), authorId, key]);
        return result;
      });
    } catch (err) {
      if (err instanceof Refused) return { threadId: null, postId: null, citations: [], userErrors: err.errors, replayed: false };
      throw err;
    }
  }

  async function insertPost(tx: SqlQueries, threadId: number, authorId: number, body: RenderedBody, at: string, replyTo: number | null): Promise<number> {
    // The thread row first: on PostgreSQL this locks it until commit, so the position read next is ours alone.
    await tx.run("UPDATE threads SET post_count = post_count + 1, last_posted_at = ? WHERE id = ?", [at, threadId]);
    const next = await tx.get<{ n: number }>("SELECT COALESCE(MAX(position), 0) + 1 AS n FROM posts WHERE thread_id = ?", [threadId]);
    const row = await tx.get<{ id: number }>(
      `INSERT INTO posts (thread_id, author_id, position, body_html, body_markdown, body_text, created_at, reply_to, links_indexed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
      [threadId, authorId, Number(next!.n), body.html, body.markdown, body.text, at, replyTo],
    );
    await insertCitations(tx, row!.id, threadId, body.citations);
    return row!.id;
  }

  async function insertCitations(tx: SqlQueries, postId: number, threadId: number, citations: readonly CitationRecord[]): Promise<void> {
    await tx.run("DELETE FROM post_citations WHERE post_id = ?", [postId]);
    for (const [ordinal, c] of citations.entries()) {
      await tx.run("INSERT INTO post_citations (post_id, thread_id, ordinal, url, canonical_url) VALUES (?, ?, ?, ?, ?)", [
        postId, threadId, ordinal, c.url, c.canonicalUrl,
      ]);
    }
  }

  async function openThread(tx: SqlQueries, threadId: string): Promise<number> {
    const thread = await tx.get<{ id: number; locked: number; deleted_at: string | null }>("SELECT id, locked, deleted_at FROM threads WHERE id = ?", [numericId(threadId)]);
    if (!thread) refuse("THREAD_NOT_FOUND", "threadId", "No such thread.");
    if (thread!.deleted_at) refuse("THREAD_DELETED", "threadId", "The thread has been deleted.");
    if (thread!.locked) refuse("THREAD_LOCKED", "threadId", "The thread is locked: no new posts.");
    return thread!.id;
  }

  /** The post an edit or delete is about, when the writer may change it. */
  async function ownPost(tx: SqlQueries, writer: Writer, authorId: number, postId: string) {
    const post = await tx.get<{ id: number; thread_id: number; author_id: number; deleted_at: string | null }>(
      "SELECT id, thread_id, author_id, deleted_at FROM posts WHERE id = ?", [numericId(postId)],
    );
    if (!post) refuse("POST_NOT_FOUND", "id", "No such post.");
    if (post!.deleted_at) refuse("POST_DELETED", "id", "The post has been deleted.");
    if (writer.kind !== "admin" && post!.author_id !== authorId) refuse("NOT_THE_AUTHOR", "id", "Only the post's author (or the admin token) may change it.");
    await openThread(tx, String(post!.thread_id)).catch((err: unknown) => {
      // A locked thread still lets authors delete (moderation asks for it); edits are refused.
      if (!(err instanceof Refused && err.errors[0]!.code === "THREAD_LOCKED")) throw err;
    });
    return post!;
  }

  return {
    createThread(writer, requestKey, input) {
      return write(writer, requestKey, async (tx, authorId, at) => {
        const title = input.title.trim();
        if (title.length === 0) refuse("EMPTY_TITLE", "title", "The title is empty.");
        if (title.length > MAX_TITLE_CHARS) refuse("TITLE_TOO_LONG", "title", `The title is ${title.length} characters; at most ${MAX_TITLE_CHARS} are allowed.`);
        const body = bodyOrRefuse(input.body, options);
        const forum = await tx.get<{ id: number }>("SELECT id FROM forums WHERE id = ?", [numericId(input.forumId)]);
        if (!forum) refuse("FORUM_NOT_FOUND", "forumId", "No such forum.");
        const thread = await tx.get<{ id: number }>(
          "INSERT INTO threads (forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (?, ?, ?, ?, ?, 0) RETURNING id",
          [forum!.id, authorId, title, at, at],
        );
        const postId = await insertPost(tx, thread!.id, authorId, body, at, null);
        return { threadId: String(thread!.id), postId: String(postId), citations: body.citations, userErrors: [], replayed: false };
      });
    },
    createPost(writer, requestKey, input) {
      return write(writer, requestKey, async (tx, authorId, at) => {
        const body = bodyOrRefuse(input.body, options);
        const threadId = await openThread(tx, input.threadId);
        let replyTo: number | null = null;
        if (input.replyTo) {
          const parent = await tx.get<{ id: number; thread_id: number }>("SELECT id, thread_id FROM posts WHERE id = ?", [numericId(input.replyTo)]);
          if (!parent || parent.thread_id !== threadId) refuse("REPLY_NOT_IN_THREAD", "replyTo", "The post replied to is not in this thread.");
          replyTo = parent!.id;
        }
        const postId = await insertPost(tx, threadId, authorId, body, at, replyTo);
        return { threadId: String(threadId), postId: String(postId), citations: body.citations, userErrors: [], replayed: false };
      });
    },
    editPost(writer, requestKey, input) {
      return write(writer, requestKey, async (tx, authorId, at) => {
        const body = bodyOrRefuse(input.body, options);
        const post = await ownPost(tx, writer, authorId, input.postId);
        const locked = await tx.get<{ locked: number }>("SELECT locked FROM threads WHERE id = ?", [post.thread_id]);
        if (locked?.locked) refuse("THREAD_LOCKED", "id", "The thread is locked: posts cannot be edited.");
        await tx.run("UPDATE posts SET body_html = ?, body_markdown = ?, body_text = ?, edited_at = ?, links_indexed = 1 WHERE id = ?", [
          body.html, body.markdown, body.text, at, post.id,
        ]);
        await insertCitations(tx, post.id, post.thread_id, body.citations);
        return { threadId: String(post.thread_id), postId: String(post.id), citations: body.citations, userErrors: [], replayed: false };
      });
    },
    deletePost(writer, requestKey, input) {
      return write(writer, requestKey, async (tx, authorId, at) => {
        const post = await ownPost(tx, writer, authorId, input.postId);
        // A tombstone: the row, its position and so every cursor stay; the body and citations go.
        await tx.run("UPDATE posts SET body_html = '', body_markdown = '', body_text = '', deleted_at = ?, edited_at = ? WHERE id = ?", [at, at, post.id]);
        await tx.run("DELETE FROM post_citations WHERE post_id = ?", [post.id]);
        return { threadId: String(post.thread_id), postId: String(post.id), citations: [], userErrors: [], replayed: false };
      });
    },
  };
}
