import type { Migration } from "../../src/db/sqlite.js";

/** forum-local's schema, one entry per change; never edit an applied migration, add the next version. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "forums, threads, posts, authors",
    sql: `
      CREATE TABLE authors (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        bio TEXT NOT NULL DEFAULT '',
        joined_at TEXT NOT NULL
      );
      CREATE TABLE forums (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
      );
      CREATE TABLE threads (
        id INTEGER PRIMARY KEY,
        forum_id INTEGER NOT NULL REFERENCES forums(id),
        author_id INTEGER NOT NULL REFERENCES authors(id),
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_posted_at TEXT NOT NULL,
        post_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX threads_by_forum ON threads (forum_id, last_posted_at DESC, id DESC);
      CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        thread_id INTEGER NOT NULL REFERENCES threads(id),
        author_id INTEGER NOT NULL REFERENCES authors(id),
        position INTEGER NOT NULL,
        body_html TEXT NOT NULL,
        created_at TEXT NOT NULL,
        edited_at TEXT,
        UNIQUE (thread_id, position)
      );
      CREATE INDEX posts_by_author ON posts (author_id, created_at DESC, id DESC);
    `,
  },
];
