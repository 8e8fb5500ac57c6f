import { placeholders, type SqliteDatabase } from "../../db/sqlite.js";
import type { ArticleDoc, PostDoc } from "../index.js";
import { dict } from "../../model/dict.js";
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

/** The counts as JSON, keys in code-unit order (the default sort's; an object still puts array-index keys first). */
function sortedJson(counts: Record<string, number>): string {
  const sorted = dict<number>();
  for (const term of Object.keys(counts).sort()) sorted[term] = counts[term]!;
  return JSON.stringify(sorted);
}

/**
 * Stores an article's grouping terms (and keeps document frequencies right when its text changed). Returns the
 * story whose numbers must be recomputed because a member's sources or date changed, if any.
 */
export function writeArticleTerms(db: SqliteDatabase, stats: TermStats, doc: ArticleDoc): string | null {
  const counts = articleTermCounts(doc.title, doc.summaryText);
  const terms = sortedJson(counts);
  const sources = JSON.stringify(doc.sourceIds);
  const urlKey = storyUrlKey(doc.canonicalUrl ?? doc.url);
  const before = db.get<ArticleRow>("SELECT * FROM articles WHERE key = ?", [doc.key]);
  if (!before) {
    const { id } = db.get<{ id: number }>("INSERT INTO articles (key, at_ms, url_key, sources, title, terms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", [
      doc.key, doc.publishedMs, urlKey, sources, doc.title, terms,
    ])!;
    insertTerms(db, id, doc.publishedMs, Object.keys(counts));
    stats.documents += 1;
    stats.add(Object.keys(counts), 1);
    return null;
  }
  if (before.terms !== terms || before.at_ms !== doc.publishedMs) {
    db.run("DELETE FROM article_terms WHERE term IN (SELECT value FROM json_each(?)) AND at_ms = ? AND article_id = ?", [
      JSON.stringify(Object.keys(JSON.parse(before.terms) as object)), before.at_ms, before.id,
    ]);
    insertTerms(db, before.id, doc.publishedMs, Object.keys(counts));
    stats.add(Object.keys(JSON.parse(before.terms) as object), -1);
    stats.add(Object.keys(counts), 1);
  }
  // A grouped article keeps its story when its text changes: stories are stable, a headline fix is not news.
  db.run("UPDATE articles SET at_ms = ?, url_key = ?, sources = ?, title = ?, terms = ? WHERE key = ?", [
    doc.publishedMs, urlKey, sources, doc.title, terms, doc.key,
  ]);
  const moved = before.sources !== sources || before.at_ms !== doc.publishedMs;
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
