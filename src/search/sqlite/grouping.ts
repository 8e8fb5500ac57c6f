import { placeholders, type SqliteDatabase } from "../../db/sqlite.js";
import type { ArticleDoc, PostDoc } from "../index.js";
import { articleTermCounts } from "../similarity.js";
import type { TermStats } from "./terms.js";

/**
 * Story grouping over search.db (README "Search and stories"), run by the background indexer, never by a
 * GraphQL request:
 *
 * 1. URL equality: an article whose URL, with scheme, `www.`/`m.`/`amp.` and a trailing `/amp` dropped, is
 *    already in a story joins that story (the store already merged exact canonical URLs into one Article).
 * 2. Otherwise single-pass clustering, articles taken oldest first: candidate stories are those holding an
 *    article within ± `windowMs` that shares one of this article's signature terms; the article joins the
 *    candidate whose centroid is most similar (TF-IDF cosine, ./similarity.ts) if that similarity reaches
 *    `threshold`, else it founds a story of its own. Ties go to the smaller story id, so a run is deterministic.
 *
 * This file writes what grouping reads (an article's terms, a post's citations) and keeps stories' numbers right;
 * ./clustering.ts runs the grouping itself.
 */
export interface GroupingOptions {
  threshold: number;
  windowMs: number;
}

export interface ArticleRow { id: number; key: string; at_ms: number; url_key: string | null; sources: string; title: string | null; terms: string; story_id: string | null }

/** The URL as grouping compares it: scheme, mobile/AMP host prefixes and AMP suffixes do not make another story. */
export function storyUrlKey(url: string | null): string | null {
  if (!url || !/^https?:/i.test(url)) return null;
  try {
    const u = new URL(url);
    const host = u.hostname.toLowerCase().replace(/^(www|m|amp|mobile)\./, "");
    const path = u.pathname.replace(/\/amp\/?$/, "").replace(/\/+$/, "");
    return `${host}${path}${u.search}`;
  } catch {
    return null;
  }
}

const sortedJson = (counts: Record<string, number>) =>
  JSON.stringify(Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

interface Prepared {
  doc: ArticleDoc;
  terms: string[];
  termsJson: string;
  sources: string;
  urlKey: string | null;
}

function prepare(doc: ArticleDoc): Prepared {
  const counts = articleTermCounts(doc.title, doc.summaryText);
  return {
    doc, terms: Object.keys(counts), termsJson: sortedJson(counts), sources: JSON.stringify(doc.sourceIds),
    urlKey: storyUrlKey(doc.canonicalUrl ?? doc.url),
  };
}

/**
 * Stores a batch's grouping terms (and keeps document frequencies right when an article's text changed), each
 * key once (its last version). The batch's stored rows are read in one statement, new articles and their terms
 * written in two, whatever their number; a changed article costs three more. Returns the stories whose numbers
 * must be recomputed because a member's sources or date changed.
 */
export function writeArticleTermsBatch(db: SqliteDatabase, stats: TermStats, docs: readonly ArticleDoc[]): string[] {
  const latest = new Map<string, ArticleDoc>();
  for (const doc of docs) latest.set(doc.key, doc);
  const before = new Map(
    db.all<ArticleRow>("SELECT * FROM articles WHERE key IN (SELECT value FROM json_each(?))", [JSON.stringify([...latest.keys()])]).map((r) => [r.key, r]),
  );
  const fresh: Prepared[] = [];
  const moved: string[] = [];
  for (const doc of latest.values()) {
    const p = prepare(doc);
    const row = before.get(doc.key);
    if (!row) fresh.push(p);
    else {
      const story = updateArticleTerms(db, stats, p, row);
      if (story) moved.push(story);
    }
  }
  if (fresh.length) insertArticles(db, stats, fresh);
  return moved;
}

/** New articles: one INSERT for the rows (ids in batch order, as one at a time) and one for their terms. */
function insertArticles(db: SqliteDatabase, stats: TermStats, fresh: Prepared[]): void {
  const ids = new Map(
    db
      .all<{ id: number; key: string }>(
        `INSERT INTO articles (key, at_ms, url_key, sources, title, terms)
         SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?) j ORDER BY j.key RETURNING id, key`,
        [JSON.stringify(fresh.map((p) => [p.doc.key, p.doc.publishedMs, p.urlKey, p.sources, p.doc.title, p.termsJson]))],
      )
      .map((r) => [r.key, r.id]),
  );
  const rows: Array<[string, number, number]> = [];
  for (const p of fresh) for (const term of p.terms) rows.push([term, p.doc.publishedMs, ids.get(p.doc.key)!]);
  db.run("INSERT OR IGNORE INTO article_terms (term, at_ms, article_id) SELECT value->>0, value->>1, value->>2 FROM json_each(?)", [JSON.stringify(rows)]);
  for (const p of fresh) {
    stats.documents += 1;
    stats.add(p.terms, 1);
  }
}

/** A stored article again: its terms rewritten if its text or date changed; returns its story if that must be refreshed. */
function updateArticleTerms(db: SqliteDatabase, stats: TermStats, p: Prepared, before: ArticleRow): string | null {
  const { doc } = p;
  if (before.terms !== p.termsJson || before.at_ms !== doc.publishedMs) {
    const old = Object.keys(JSON.parse(before.terms) as object);
    db.run("DELETE FROM article_terms WHERE term IN (SELECT value FROM json_each(?)) AND at_ms = ? AND article_id = ?", [
      JSON.stringify(old), before.at_ms, before.id,
    ]);
    insertTerms(db, before.id, doc.publishedMs, p.terms);
    stats.add(old, -1);
    stats.add(p.terms, 1);
  }
  // A grouped article keeps its story when its text changes: stories are stable, a headline fix is not news.
  db.run("UPDATE articles SET at_ms = ?, url_key = ?, sources = ?, title = ?, terms = ? WHERE key = ?", [
    doc.publishedMs, p.urlKey, p.sources, doc.title, p.termsJson, doc.key,
  ]);
  const moved = before.sources !== p.sources || before.at_ms !== doc.publishedMs;
  return before.story_id && moved ? before.story_id : null;
}

/** One statement per article: the rows are expanded inside SQLite (json_each), not sent one by one. */
function insertTerms(db: SqliteDatabase, id: number, atMs: number, terms: string[]): void {
  db.run("INSERT OR IGNORE INTO article_terms (term, at_ms, article_id) SELECT value, ?, ? FROM json_each(?)", [atMs, id, JSON.stringify(terms)]);
}

/** Replaces a post's citations; returns the stories whose post counts changed. */
export function writePostCitations(db: SqliteDatabase, doc: PostDoc): string[] {
  const before = db.all<{ canonical_url: string }>("SELECT canonical_url FROM post_cites WHERE source_id = ? AND post_id = ?", [doc.sourceId, doc.id]);
  const urls = [...new Set(doc.citations)];
  if (before.length === urls.length && before.every((r) => urls.includes(r.canonical_url))) return [];
  db.run("DELETE FROM post_cites WHERE source_id = ? AND post_id = ?", [doc.sourceId, doc.id]);
  for (const url of urls) {
    db.run("INSERT INTO post_cites (source_id, post_id, thread_id, canonical_url) VALUES (?, ?, ?, ?)", [doc.sourceId, doc.id, doc.threadId, url]);
  }
  const touched = [...new Set([...before.map((r) => r.canonical_url), ...urls])];
  if (touched.length === 0) return [];
  return db
    .all<{ story_id: string }>(`SELECT DISTINCT story_id FROM articles WHERE key IN (${placeholders(touched.length)}) AND story_id IS NOT NULL`, touched)
    .map((r) => r.story_id);
}

/** Recomputes a story's counts, dates and sources from its members and the citation index. */
export function refreshStories(db: SqliteDatabase, ids: Iterable<string>): void {
  for (const id of new Set(ids)) {
    const members = db.all<{ sources: string; at_ms: number }>("SELECT sources, at_ms FROM articles WHERE story_id = ?", [id]);
    if (members.length === 0) continue;
    const sources = unionSources(members.map((m) => m.sources));
    db.run(
      `UPDATE stories SET article_count = ?, sources = ?, source_count = ?, first_ms = ?, last_ms = ?,
         post_count = (SELECT COUNT(*) FROM (SELECT DISTINCT c.source_id, c.post_id FROM articles a JOIN post_cites c ON c.canonical_url = a.key WHERE a.story_id = ?))
       WHERE id = ?`,
      [members.length, JSON.stringify(sources), sources.length, Math.min(...members.map((m) => m.at_ms)), Math.max(...members.map((m) => m.at_ms)), id, id],
    );
  }
}

function unionSources(lists: string[]): string[] {
  const all: string[] = [];
  for (const list of lists) for (const s of JSON.parse(list) as string[]) if (!all.includes(s)) all.push(s);
  return all;
}
