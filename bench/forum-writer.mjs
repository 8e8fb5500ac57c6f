/**
 * Writes the bench's forum straight into forum-local's store (its schema comes from the adapter itself): SQLite
 * `<dataDir>/forum.db`, or the PostgreSQL database of `postgresUrl` (scenarios 9 and 10).
 */
import path from "node:path";
import { createLocalForumSource, openForumDatabase } from "../dist/sources/forum-local/index.js";

/** Writes one board, its authors, its threads and their posts, citations indexed. */
export async function writeForum(dataDir, { authors, forum, threads, posts }, { postgresUrl } = {}) {
  const file = path.join(dataDir, "forum.db");
  const open = () => postgresUrl
    ? createLocalForumSource({ database: openForumDatabase({ store: "postgres", postgresUrl, timeoutMs: 60_000 }), seedDemo: false })
    : createLocalForumSource({ file, seedDemo: false });
  const source = await open();
  await source.database.transaction(async (db) => {
    for (const a of authors) {
      await db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, '', ?)", [a.id, a.username, a.name, a.joinedAt]);
    }
    await db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (?, ?, ?, '', ?)", [forum.id, forum.slug, forum.name, forum.createdAt]);
    for (const t of threads) {
      await db.run(
        "INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [t.id, t.forumId, t.authorId, t.title, t.createdAt, t.lastPostedAt, t.postCount],
      );
    }
    for (const p of posts) {
      await db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?)", [
        p.id, p.threadId, p.authorId, p.position, p.bodyHtml, p.createdAt,
      ]);
    }
  });
  await source.close();
  // The adapter extracts and indexes citations of unindexed posts when it opens the store.
  await (await open()).close();
}
