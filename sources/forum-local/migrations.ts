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
  {
    version: 2,
    name: "citation index: the links each post cites, both ways",
    sql: `
      CREATE TABLE post_citations (
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        thread_id INTEGER NOT NULL,
        ordinal INTEGER NOT NULL,
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        PRIMARY KEY (post_id, canonical_url)
      );
      CREATE INDEX post_citations_by_url ON post_citations (canonical_url);
      CREATE INDEX post_citations_by_thread ON post_citations (thread_id, canonical_url);
      -- 0 until the post's links have been extracted; the adapter indexes such posts on open.
      ALTER TABLE posts ADD COLUMN links_indexed INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
