import { migrate, type PortableMigration } from "../db/migrate.js";
import type { SqlDatabase } from "../db/sql.js";

/**
 * The remote forums' post index as rows (src/forums/post-index.ts), in the SQL database of the local forum and the
 * articles (`<dataDir>/forum.db` by default, PostgreSQL with `forum.store: postgres`). Versions 1101+ so they never meet
 * forum-local's (1, 2, …), the stored sources' (301+) or the articles' (1001+) in `schema_migrations`. Never edit an
 * applied migration: add the next version.
 *
 * - `remote_posts`: one row per post a remote source handed over, keyed by (source, post id), with the columns its lists
 *   are keyset pages over: a thread's posts by position, an author's and the source's newest by (created_at, post_id).
 *   `citations` is the post's links as JSON (in order); `seen_ms` when the source last handed it over; `seq` the
 *   source's write that last changed it (the search index reads past it, src/forums/post-search.ts).
 * - `remote_post_cites`: post ↔ canonical URL it cites, with the post's time and thread: posts citing a URL newest
 *   first, and the stories a thread cites, are index ranges.
 * - `remote_threads`: the threads the sources described (title, its board's slug, author), for search; `seq` as for posts.
 * - `remote_post_counters`: `n:<source>` (posts of a source), `seq:<source>` (its last write's number),
 *   `keyv-upgraded:<source>` (its keyv-era index was copied, ./post-upgrade.ts).
 */
export const POST_INDEX_MIGRATIONS: PortableMigration[] = [
  {
    version: 1101,
    name: "remote forums' post index as rows: remote_posts, remote_post_cites, remote_threads, remote_post_counters",
    sql: (t) => `
      CREATE TABLE remote_posts (
        source_id ${t.sortedText} NOT NULL,
        post_id ${t.sortedText} NOT NULL,
        thread_id ${t.sortedText} NOT NULL,
        author_id ${t.sortedText} NOT NULL,
        position ${t.int} NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        edited_at TEXT,
        body_html TEXT NOT NULL,
        citations TEXT NOT NULL,
        url TEXT,
        seen_ms ${t.int} NOT NULL,
        seq ${t.int} NOT NULL,
        PRIMARY KEY (source_id, post_id)
      );
      CREATE INDEX remote_posts_thread ON remote_posts (source_id, thread_id, position);
      CREATE INDEX remote_posts_author ON remote_posts (source_id, author_id, created_at, post_id);
      CREATE INDEX remote_posts_recent ON remote_posts (source_id, created_at, post_id);
      CREATE INDEX remote_posts_seq ON remote_posts (source_id, seq);
      CREATE TABLE remote_post_cites (
        source_id ${t.sortedText} NOT NULL,
        canonical_url ${t.sortedText} NOT NULL,
        post_id ${t.sortedText} NOT NULL,
        thread_id ${t.sortedText} NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        position ${t.int} NOT NULL,
        ord ${t.int} NOT NULL,
        PRIMARY KEY (source_id, canonical_url, post_id)
      );
      CREATE INDEX remote_post_cites_page ON remote_post_cites (source_id, canonical_url, created_at, post_id);
      CREATE INDEX remote_post_cites_thread ON remote_post_cites (source_id, thread_id, canonical_url);
      CREATE INDEX remote_post_cites_post ON remote_post_cites (source_id, post_id);
      CREATE TABLE remote_threads (
        source_id ${t.sortedText} NOT NULL,
        thread_id ${t.sortedText} NOT NULL,
        title TEXT NOT NULL,
        forum_slug TEXT NOT NULL,
        author_id TEXT NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        seq ${t.int} NOT NULL,
        PRIMARY KEY (source_id, thread_id)
      );
      CREATE INDEX remote_threads_seq ON remote_threads (source_id, seq);
      CREATE TABLE remote_post_counters (
        name TEXT PRIMARY KEY,
        value ${t.int} NOT NULL
      );
    `,
  },
];

/** The advisory lock several gateways on one PostgreSQL database take around these migrations. */
export const POST_INDEX_SETUP_LOCK = "crosswire:post-index:setup";

export async function migratePostIndex(db: SqlDatabase): Promise<number[]> {
  return migrate(db, POST_INDEX_MIGRATIONS);
}
