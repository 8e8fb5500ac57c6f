import { SqliteDatabase, type Migration } from "../../db/sqlite.js";

/** Page cache per connection to search.db (KiB): the term rows' B-tree is written at random places. */
const CACHE_KIB = 65_536;

/**
 * A connection to search.db (the main thread's, or the writer thread's), migrated and tuned. The index is derived
 * data (rebuilt from the stores when lost): a power cut may cost the last batches, which the next start indexes
 * again, but every commit need not wait for the disk. A page cache larger than SQLite's 2 MB default keeps the
 * grouping terms' B-tree in memory (1.2–1.5× cheaper indexing at 10,000 articles, bench/index-cost.mjs), and
 * grouping's GROUP BY / ORDER BY sort in memory.
 */
export function openSearchDatabase(file: string): SqliteDatabase {
  const db = new SqliteDatabase(file, MIGRATIONS);
  db.db.pragma("synchronous = NORMAL");
  db.db.pragma(`cache_size = -${CACHE_KIB}`);
  db.db.pragma("temp_store = MEMORY");
  return db;
}

/** search.db's schema, one entry per change; never edit an applied migration, add the next version. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "full-text documents, article vectors, stories, post citations",
    sql: `
      -- One row per searchable object; its text lives in docs_fts under the same rowid. One FTS table for all
      -- three kinds, so BM25 scores share their statistics and rank posts and articles on one scale.
      CREATE TABLE docs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('ARTICLE', 'POST', 'THREAD')),
        source_id TEXT NOT NULL,
        ref TEXT NOT NULL,
        forum_slug TEXT,
        thread_ref TEXT,
        at_ms INTEGER NOT NULL,
        UNIQUE (kind, source_id, ref)
      );
      CREATE INDEX docs_by_thread ON docs (source_id, thread_ref) WHERE thread_ref IS NOT NULL;
      -- Article doc → every news source that carried it (source: filter).
      CREATE TABLE doc_sources (
        doc_id INTEGER NOT NULL,
        source_slug TEXT NOT NULL,
        PRIMARY KEY (doc_id, source_slug)
      ) WITHOUT ROWID;
      CREATE INDEX doc_sources_by_slug ON doc_sources (source_slug, doc_id);
      CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, byline, context, tokenize = 'porter unicode61 remove_diacritics 2');
      -- Titles weigh most; bylines as much as bodies; context (thread title of a post, source names) least.
      INSERT INTO docs_fts (docs_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 1.0, 0.5)');

      CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        at_ms INTEGER NOT NULL,
        url_key TEXT,
        sources TEXT NOT NULL,
        title TEXT,
        terms TEXT NOT NULL,
        story_id TEXT
      );
      CREATE INDEX articles_ungrouped ON articles (at_ms, key) WHERE story_id IS NULL;
      CREATE INDEX articles_by_story ON articles (story_id, at_ms DESC, key);
      CREATE INDEX articles_by_url ON articles (url_key);
      -- Every grouping term of every article, by time: finds candidate stories within the window.
      CREATE TABLE article_terms (
        term TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (term, at_ms, article_id)
      ) WITHOUT ROWID;
      CREATE TABLE term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;

      CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        title TEXT,
        lead_key TEXT NOT NULL,
        article_count INTEGER NOT NULL,
        sources TEXT NOT NULL,
        source_count INTEGER NOT NULL,
        post_count INTEGER NOT NULL DEFAULT 0,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        centroid TEXT NOT NULL
      );
      CREATE INDEX stories_by_rank ON stories ((source_count + post_count) DESC, last_ms DESC, id);
      -- A story merged into another keeps answering to its old id (a client may hold its global ID).
      CREATE TABLE story_aliases (id TEXT PRIMARY KEY, story_id TEXT NOT NULL) WITHOUT ROWID;

      CREATE TABLE post_cites (
        source_id TEXT NOT NULL,
        post_id TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        PRIMARY KEY (source_id, post_id, canonical_url)
      ) WITHOUT ROWID;
      CREATE INDEX post_cites_by_url ON post_cites (canonical_url);
      CREATE INDEX post_cites_by_thread ON post_cites (source_id, thread_id);

      CREATE TABLE sync_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
];
