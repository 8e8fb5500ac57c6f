import { migrate, type PortableMigration } from "../db/migrate.js";
import type { SqlDatabase } from "../db/sql.js";

/**
 * The article store's tables, in the same SQL database as the local forum (`<dataDir>/forum.db` by default,
 * PostgreSQL with `forum.store: postgres`). Versions 1001+ so they never meet forum-local's (1, 2, 3, …) or the
 * stored sources' (301+) in `schema_migrations`. Never edit an applied migration: add the next version.
 *
 * - `articles`: one row per article, the whole record as JSON (`record`) plus the columns queries need: `sort_ms`
 *   (publishedAt, else first seen), `listed` (carried by a feed or cited: in the all-sources list), `expires_ms`
 *   (a page only an unfurl knows is dropped after it; NULL = kept), `seq` (the write that last changed it).
 * - `article_sources`: article ↔ source with the sort time: each source's newest-first list is an index range.
 * - `article_guids`: a source's guid → the article it was stored under (identity, src/articles/identify.ts).
 * - `article_links`: an exact feed link → its article, when that entry does not own the canonical URL.
 * - `article_counters`: `*` (listed articles), `s:<source>` (articles of a source), `seq` (last write's number).
 * - `article_deletions`: a tombstone per deleted article, numbered in the same write order as `articles.seq`, so a
 *   search index catching up from that order (every gateway has its own) drops what another gateway deleted.
 */
export const ARTICLE_MIGRATIONS: PortableMigration[] = [
  {
    version: 1001,
    name: "articles as rows: articles, article_sources, article_guids, article_links, article_counters",
    sql: (t) => `
      CREATE TABLE articles (
        key ${t.sortedText} PRIMARY KEY,
        record TEXT NOT NULL,
        sort_ms ${t.int} NOT NULL,
        listed ${t.int} NOT NULL,
        canonical_url ${t.sortedText},
        expires_ms ${t.int},
        seq ${t.int} NOT NULL
      );
      CREATE INDEX articles_listed ON articles (listed, sort_ms DESC, key);
      CREATE INDEX articles_by_seq ON articles (seq, key);
      CREATE INDEX articles_by_canonical ON articles (canonical_url);
      CREATE INDEX articles_expiring ON articles (expires_ms) WHERE expires_ms IS NOT NULL;
      CREATE TABLE article_sources (
        key ${t.sortedText} NOT NULL,
        source_id ${t.sortedText} NOT NULL,
        sort_ms ${t.int} NOT NULL,
        PRIMARY KEY (key, source_id)
      );
      CREATE INDEX article_sources_page ON article_sources (source_id, sort_ms DESC, key);
      CREATE TABLE article_guids (
        source_id ${t.sortedText} NOT NULL,
        guid TEXT NOT NULL,
        key ${t.sortedText} NOT NULL,
        PRIMARY KEY (source_id, guid)
      );
      CREATE INDEX article_guids_by_key ON article_guids (key);
      CREATE TABLE article_links (
        link TEXT PRIMARY KEY,
        key ${t.sortedText} NOT NULL
      );
      CREATE INDEX article_links_by_key ON article_links (key);
      CREATE TABLE article_counters (
        name TEXT PRIMARY KEY,
        value ${t.int} NOT NULL
      );
      INSERT INTO article_counters (name, value) VALUES ('seq', 0), ('*', 0);
    `,
  },
  {
    version: 1002,
    name: "article_deletions: tombstones in the write order",
    sql: (t) => `
      CREATE TABLE article_deletions (
        seq ${t.int} NOT NULL,
        key ${t.sortedText} NOT NULL,
        PRIMARY KEY (seq, key)
      );
    `,
  },
  {
    version: 1003,
    name: "articles announce their writes to the read caches (PostgreSQL; nothing on SQLite)",
    sql: (t) => t.notifyOnChange(["articles"]),
  },
];

/** The advisory lock several gateways on one PostgreSQL database take around these migrations and the upgrade. */
export const ARTICLES_SETUP_LOCK = "crosswire:articles:setup";

export async function migrateArticles(db: SqlDatabase): Promise<number[]> {
  return migrate(db, ARTICLE_MIGRATIONS);
}
