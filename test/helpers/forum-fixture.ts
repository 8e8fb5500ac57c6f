import { createLocalForumSource } from "../../sources/forum-local/index.js";

/**
 * Writes a synthetic forum into `file`: one board, one thread with `posts` posts written round-robin by
 * `authors` authors. Returns the thread's local id.
 */
export function writeBigThread(file: string, posts: number, authors: number): { threadId: string } {
  const source = createLocalForumSource({ file, seedDemo: false });
  const db = source.database;
  const start = Date.parse("2026-11-20T08:00:00Z");
  db.transaction(() => {
    for (let a = 1; a <= authors; a++) {
      db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, '', ?)", [
        a, `user${a}`, `User ${a}`, "2025-01-01T00:00:00.000Z",
      ]);
    }
    db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'big', 'Big board', '', ?)", [
      new Date(start).toISOString(),
    ]);
    db.run(
      "INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, 'Big thread', ?, ?, ?)",
      [new Date(start).toISOString(), new Date(start + posts * 60_000).toISOString(), posts],
    );
    for (let p = 1; p <= posts; p++) {
      db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, ?, ?, ?, ?)", [
        p, ((p - 1) % authors) + 1, p, `<p>Post number ${p}</p>`, new Date(start + p * 60_000).toISOString(),
      ]);
    }
  });
  void source.close();
  return { threadId: "1" };
}

/** Writes one board with one thread whose posts have the given HTML bodies (2 authors, alternating). */
export function writeThreadWithBodies(file: string, bodies: string[]): void {
  const source = createLocalForumSource({ file, seedDemo: false });
  const db = source.database;
  const start = Date.parse("2026-11-21T08:00:00Z");
  db.transaction(() => {
    for (const a of [1, 2]) {
      db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, '', ?)", [a, `reader${a}`, `Reader ${a}`, "2025-01-01T00:00:00.000Z"]);
    }
    db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'news', 'News talk', '', ?)", [new Date(start).toISOString()]);
    db.run("INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, 'Harbour news', ?, ?, ?)", [
      new Date(start).toISOString(), new Date(start + bodies.length * 60_000).toISOString(), bodies.length,
    ]);
    bodies.forEach((body, i) => {
      db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, ?, ?, ?, ?)", [
        i + 1, (i % 2) + 1, i + 1, body, new Date(start + (i + 1) * 60_000).toISOString(),
      ]);
    });
  });
  void source.close();
}
