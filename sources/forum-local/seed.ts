import { readFileSync } from "node:fs";
import type { SqlDatabase } from "../../src/db/sql.js";
import { fromRoot } from "../../src/paths.js";

/** The bundled demo forum, written for crosswire (modelled on a live-blog-quoting politics thread). */
export interface DemoForum {
  authors: Array<{ id: number; username: string; name: string; bio: string; joinedAt: string }>;
  forums: Array<{ id: number; slug: string; name: string; description: string }>;
  threads: Array<{ id: number; forumId: number; title: string; authorId: number; createdAt: string }>;
  posts: Array<{ id: number; threadId: number; authorId: number; createdAt: string; bodyHtml: string }>;
  outlets: Array<{ id: string; name: string; homepage: string }>;
  articles: Array<{ url: string; outletId: string; title: string; summary: string; publishedAt: string; author: string }>;
}

export interface SeedSummary {
  forums: number;
  threads: number;
  posts: number;
  authors: number;
}

export const DEMO_FORUM_FILE = fromRoot("sources", "forum-local", "demo", "forum.json");

export function readDemoForum(file = DEMO_FORUM_FILE): DemoForum {
  return JSON.parse(readFileSync(file, "utf8")) as DemoForum;
}

const iso = (text: string) => new Date(text).toISOString();

/**
 * Seeds the demo forum into an empty store, in one transaction; a store with any forum is left alone. Several
 * processes on one PostgreSQL database call this inside `db.exclusive(...)`, so the check and the inserts are one step.
 */
export async function seedDemoForum(db: SqlDatabase, demo: DemoForum = readDemoForum()): Promise<SeedSummary | null> {
  return db.transaction(async (tx) => {
    const existing = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM forums");
    if (existing && existing.n > 0) return null;
    for (const a of demo.authors) {
      await tx.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (?, ?, ?, ?, ?)", [
        a.id, a.username, a.name, a.bio, iso(a.joinedAt),
      ]);
    }
    const firstThreadAt = new Map<number, string>();
    for (const t of demo.threads) {
      const at = firstThreadAt.get(t.forumId);
      if (!at || t.createdAt < at) firstThreadAt.set(t.forumId, t.createdAt);
    }
    for (const f of demo.forums) {
      await tx.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (?, ?, ?, ?, ?)", [
        f.id, f.slug, f.name, f.description, iso(firstThreadAt.get(f.id) ?? "2026-11-01T00:00:00Z"),
      ]);
    }
    for (const t of demo.threads) {
      await tx.run(
        "INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (?, ?, ?, ?, ?, ?, 0)",
        [t.id, t.forumId, t.authorId, t.title, iso(t.createdAt), iso(t.createdAt)],
      );
    }
    const positions = new Map<number, number>();
    const ordered = [...demo.posts].sort((a, b) => a.threadId - b.threadId || a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
    for (const p of ordered) {
      const position = (positions.get(p.threadId) ?? 0) + 1;
      positions.set(p.threadId, position);
      await tx.run(
        "INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [p.id, p.threadId, p.authorId, position, p.bodyHtml, iso(p.createdAt)],
      );
    }
    await tx.run(`UPDATE threads SET
      post_count = (SELECT COUNT(*) FROM posts WHERE posts.thread_id = threads.id),
      last_posted_at = COALESCE((SELECT MAX(created_at) FROM posts WHERE posts.thread_id = threads.id), created_at)`);
    await syncIdSequences(tx);
    return { forums: demo.forums.length, threads: demo.threads.length, posts: demo.posts.length, authors: demo.authors.length };
  });
}

/**
 * After rows were written with explicit ids: PostgreSQL's identity sequences do not see those, so they are moved
 * past the highest id (a later insert without an id would collide otherwise). SQLite needs nothing.
 */
export async function syncIdSequences(db: Pick<SqlDatabase, "dialect" | "get">): Promise<void> {
  if (db.dialect !== "postgres") return;
  for (const table of ["authors", "forums", "threads", "posts"]) {
    await db.get(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT MAX(id) FROM ${table}), 1))`);
  }
}
