import { createLocalForumSource, openForumDatabase } from "../../sources/forum-local/index.js";
import { syncIdSequences } from "../../sources/forum-local/seed.js";
import type { SqlQueries } from "../../src/db/sql.js";

/** Where a fixture forum is written: a forum-local SQLite file, or `{ postgresUrl }` (a database of its own). */
export type ForumTarget = string | { postgresUrl: string };

/** Opens the target as forum-local does (migrations run), lets `write` fill it in one transaction, closes it. */
export async function writeForum(target: ForumTarget, write: (tx: SqlQueries) => Promise<void>): Promise<void> {
  const database = typeof target === "string"
    ? openForumDatabase({ store: "sqlite", file: target, timeoutMs: 10_000 })
    : openForumDatabase({ store: "postgres", file: "", postgresUrl: target.postgresUrl, timeoutMs: 10_000 });
  const source = await createLocalForumSource({ database, seedDemo: false });
  try {
    await source.database.transaction(async (tx) => {
      await write(tx);
      await syncIdSequences(tx);
    });
  } finally {
    await source.close();
  }
}

/**
 * Writes a synthetic forum: one board, one thread with `posts` posts written round-robin by `authors` authors.
 * Returns the thread's local id.
 */
export async function writeBigThread(target: ForumTarget, posts: number, authors: number): Promise<{ threadId: string }> {
  const start = Date.parse("2026-11-20T08:00:00Z");
  await writeForum(target, async (db) => {
    for (let a = 1; a <= authors; a++) {
      await db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, '', ?)", [
        a, `user${a}`, `User ${a}`, "2025-01-01T00:00:00.000Z",
      ]);
    }
    await db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'big', 'Big board', '', ?)", [
      new Date(start).toISOString(),
    ]);
    await db.run(
      "INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, 'Big thread', ?, ?, ?)",
      [new Date(start).toISOString(), new Date(start + posts * 60_000).toISOString(), posts],
    );
    for (let p = 1; p <= posts; p++) {
      await db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, ?, ?, ?, ?)", [
        p, ((p - 1) % authors) + 1, p, `<p>Post number ${p}</p>`, new Date(start + p * 60_000).toISOString(),
      ]);
    }
  });
  return { threadId: "1" };
}

/** Writes one board with one thread whose posts have the given HTML bodies (2 authors, alternating). */
export async function writeThreadWithBodies(target: ForumTarget, bodies: string[]): Promise<void> {
  const start = Date.parse("2026-11-21T08:00:00Z");
  await writeForum(target, async (db) => {
    for (const a of [1, 2]) {
      await db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, '', ?)", [a, `reader${a}`, `Reader ${a}`, "2025-01-01T00:00:00.000Z"]);
    }
    await db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'news', 'News talk', '', ?)", [new Date(start).toISOString()]);
    await db.run("INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, 'Harbour news', ?, ?, ?)", [
      new Date(start).toISOString(), new Date(start + bodies.length * 60_000).toISOString(), bodies.length,
    ]);
    for (const [i, body] of bodies.entries()) {
      await db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, ?, ?, ?, ?)", [
        i + 1, (i % 2) + 1, i + 1, body, new Date(start + (i + 1) * 60_000).toISOString(),
      ]);
    }
  });
}
