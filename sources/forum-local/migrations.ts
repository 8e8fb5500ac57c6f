import type { PortableMigration } from "../../src/db/migrate.js";

/**
 * forum-local's schema, one entry per change, the same versions on SQLite and PostgreSQL (only the column types in
 * `t` differ; on SQLite they read exactly as before). Never edit an applied migration: add the next version.
 */
export const MIGRATIONS: PortableMigration[] = [
  {
    version: 1,
    name: "forums, threads, posts, authors",
    sql: (t) => `
      CREATE TABLE authors (
        id ${t.id},
        username TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        bio TEXT NOT NULL DEFAULT '',
        joined_at ${t.sortedText} NOT NULL
      );
      CREATE TABLE forums (
        id ${t.id},
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at ${t.sortedText} NOT NULL
      );
      CREATE TABLE threads (
        id ${t.id},
        forum_id ${t.int} NOT NULL REFERENCES forums(id),
        author_id ${t.int} NOT NULL REFERENCES authors(id),
        title TEXT NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        last_posted_at ${t.sortedText} NOT NULL,
        post_count ${t.int} NOT NULL DEFAULT 0
      );
      CREATE INDEX threads_by_forum ON threads (forum_id, last_posted_at DESC, id DESC);
      CREATE TABLE posts (
        id ${t.id},
        thread_id ${t.int} NOT NULL REFERENCES threads(id),
        author_id ${t.int} NOT NULL REFERENCES authors(id),
        position ${t.int} NOT NULL,
        body_html TEXT NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        edited_at ${t.sortedText},
        UNIQUE (thread_id, position)
      );
      CREATE INDEX posts_by_author ON posts (author_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: "citation index: the links each post cites, both ways",
    sql: (t) => `
      CREATE TABLE post_citations (
        post_id ${t.int} NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        thread_id ${t.int} NOT NULL,
        ordinal ${t.int} NOT NULL,
        url TEXT NOT NULL,
        canonical_url ${t.sortedText} NOT NULL,
        PRIMARY KEY (post_id, canonical_url)
      );
      CREATE INDEX post_citations_by_url ON post_citations (canonical_url);
      CREATE INDEX post_citations_by_thread ON post_citations (thread_id, canonical_url);
      -- 0 until the post's links have been extracted; the adapter indexes such posts on open.
      ALTER TABLE posts ADD COLUMN links_indexed ${t.int} NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 3,
    name: "writes: Markdown bodies, tombstones, locked threads, authors keyed by token subject, write requests",
    sql: (t) => `
      ALTER TABLE posts ADD COLUMN body_markdown TEXT;
      ALTER TABLE posts ADD COLUMN body_text TEXT;
      ALTER TABLE posts ADD COLUMN reply_to ${t.int};
      ALTER TABLE posts ADD COLUMN deleted_at ${t.sortedText};
      ALTER TABLE threads ADD COLUMN locked ${t.int} NOT NULL DEFAULT 0;
      ALTER TABLE threads ADD COLUMN deleted_at ${t.sortedText};
      -- The token subject (auth.subjectClaim) of authors who write through the API; NULL for seeded or imported ones.
      ALTER TABLE authors ADD COLUMN subject TEXT;
      CREATE UNIQUE INDEX authors_by_subject ON authors (subject);
      -- One row per write: idempotency (a retried request finds its answer) and the per-author write rate.
      CREATE TABLE write_requests (
        author_id ${t.int} NOT NULL,
        request_key TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        PRIMARY KEY (author_id, request_key)
      );
      CREATE INDEX write_requests_by_time ON write_requests (author_id, created_at);
    `,
  },
  {
    version: 4,
    name: "the tables read through the read cache announce their writes (PostgreSQL; nothing on SQLite)",
    sql: (t) => t.notifyOnChange(["forums", "threads", "posts", "authors", "post_citations"]),
  },
];
