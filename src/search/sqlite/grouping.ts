import { createHash } from "node:crypto";
import { placeholders, type SqliteDatabase } from "../../db/sqlite.js";
import type { ArticleDoc, PostDoc } from "../index.js";
import {
  addInto, articleTermCounts, fromJson, signature, toJson, trimCentroid, unitVector, weightedCosine, type TermVector,
} from "../similarity.js";
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
 */
export interface GroupingOptions {
  threshold: number;
  windowMs: number;
}

/** Terms kept per article to look up candidates with, and candidate stories compared per article. */
const SIGNATURE_SIZE = 12;
const MAX_CANDIDATES = 40;

interface ArticleRow { id: number; key: string; at_ms: number; url_key: string | null; sources: string; title: string | null; terms: string; story_id: string | null }
interface StoryRow {
  id: string; title: string | null; lead_key: string; article_count: number; sources: string; source_count: number;
  post_count: number; first_ms: number; last_ms: number; centroid: string;
}

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

/** Groups up to `limit` ungrouped articles, oldest first (one transaction). */
export function groupPending(db: SqliteDatabase, stats: TermStats, options: GroupingOptions, limit: number): number {
  const rows = db.all<ArticleRow>("SELECT * FROM articles WHERE story_id IS NULL ORDER BY at_ms, key LIMIT ?", [limit]);
  if (rows.length === 0) return 0;
  db.transaction(() => {
    for (const row of rows) groupOne(db, stats, options, row);
  });
  return rows.length;
}

function groupOne(db: SqliteDatabase, stats: TermStats, options: GroupingOptions, row: ArticleRow): void {
  const vector = unitVector(JSON.parse(row.terms) as Record<string, number>);
  const sameUrl = row.url_key
    ? db.get<{ story_id: string }>(
        "SELECT story_id FROM articles WHERE url_key = ? AND key <> ? AND story_id IS NOT NULL ORDER BY at_ms, key LIMIT 1",
        [row.url_key, row.key],
      )
    : undefined;
  if (sameUrl) {
    join(db, stats, sameUrl.story_id, row, vector);
    return;
  }

  const candidates = candidateStories(db, stats, options, row, vector);
  const best = candidates.reduce<Candidate | null>((b, c) => (!b || c.similarity > b.similarity ? c : b), null);
  if (!best || best.similarity < options.threshold) {
    found(db, row, vector);
    return;
  }
  const centroid = join(db, stats, best.story.id, row, vector, best.story);
  // Single-pass clustering splits a story whose first two tellings share few words. An article that belongs to
  // two stories (as similar to the second as a member must be), or whose arrival brings the two centroids that
  // close, shows they are one: merge.
  for (const other of candidates) {
    if (other.story.id === best.story.id || other.similarity < options.threshold / 2) continue;
    if (other.similarity >= options.threshold || weightedCosine(centroid, fromJson(other.story.centroid), stats.idfOf) >= options.threshold) {
      mergeStories(db, stats, best.story.id, other.story.id);
      return; // one merge per article: the merged centroid is compared again when the next article comes
    }
  }
}

interface Candidate {
  story: StoryRow;
  similarity: number;
}

/** Stories with an article within the window sharing a signature term, each with its similarity (id order). */
function candidateStories(db: SqliteDatabase, stats: TermStats, options: GroupingOptions, row: ArticleRow, vector: TermVector): Candidate[] {
  const maxDf = Math.max(20, Math.ceil(stats.documents * 0.05));
  const terms = signature(vector, stats.idfOf, stats.dfOf, maxDf, SIGNATURE_SIZE);
  if (terms.length === 0) return [];
  const ids = db
    .all<{ story_id: string }>(
      `SELECT a.story_id, COUNT(*) AS shared FROM article_terms t JOIN articles a ON a.id = t.article_id
       WHERE t.term IN (${placeholders(terms.length)}) AND t.at_ms BETWEEN ? AND ? AND a.story_id IS NOT NULL
       GROUP BY a.story_id ORDER BY shared DESC, a.story_id LIMIT ?`,
      [...terms, row.at_ms - options.windowMs, row.at_ms + options.windowMs, MAX_CANDIDATES],
    )
    .map((c) => c.story_id)
    .sort();
  if (ids.length === 0) return [];
  return db
    .all<StoryRow>(`SELECT * FROM stories WHERE id IN (${placeholders(ids.length)}) ORDER BY id`, ids)
    .map((story) => ({ story, similarity: weightedCosine(vector, fromJson(story.centroid), stats.idfOf) }));
}

/** Moves every article of one story into the other (the older story survives); the loser's id becomes an alias. */
function mergeStories(db: SqliteDatabase, stats: TermStats, a: string, b: string): void {
  const [keep, gone] = db.all<StoryRow>("SELECT * FROM stories WHERE id IN (?, ?) ORDER BY first_ms, id", [a, b]);
  if (!keep || !gone) return;
  const centroid = fromJson(keep.centroid);
  addInto(centroid, fromJson(gone.centroid));
  const lead = db
    .all<{ key: string; title: string | null; terms: string }>("SELECT key, title, terms FROM articles WHERE key IN (?, ?) ORDER BY key", [keep.lead_key, gone.lead_key])
    .map((l) => ({ l, s: weightedCosine(unitVector(JSON.parse(l.terms) as Record<string, number>), centroid, stats.idfOf) }))
    .sort((x, y) => y.s - x.s)[0]?.l;
  db.run("UPDATE articles SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  db.run("UPDATE stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    toJson(trimCentroid(centroid, stats.idfOf)), lead?.key ?? keep.lead_key, lead ? lead.title : keep.title, keep.id,
  ]);
  db.run("DELETE FROM stories WHERE id = ?", [gone.id]);
  db.run("UPDATE story_aliases SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  db.run("INSERT OR REPLACE INTO story_aliases (id, story_id) VALUES (?, ?)", [gone.id, keep.id]);
  refreshStories(db, [keep.id]);
}

function found(db: SqliteDatabase, row: ArticleRow, vector: TermVector): void {
  const id = `s${createHash("sha1").update(row.key).digest("hex").slice(0, 16)}`;
  const sources = JSON.parse(row.sources) as string[];
  db.run(
    `INSERT INTO stories (id, title, lead_key, article_count, sources, source_count, post_count, first_ms, last_ms, centroid)
     VALUES (?, ?, ?, 1, ?, ?, 0, ?, ?, ?)`,
    [id, row.title, row.key, row.sources, sources.length, row.at_ms, row.at_ms, toJson(vector)],
  );
  db.run("UPDATE articles SET story_id = ? WHERE key = ?", [id, row.key]);
  refreshStories(db, [id]);
}

/** Adds the article to the story; returns the story's new centroid. */
function join(db: SqliteDatabase, stats: TermStats, id: string, row: ArticleRow, vector: TermVector, known?: StoryRow): TermVector {
  const story = known ?? db.get<StoryRow>("SELECT * FROM stories WHERE id = ?", [id])!;
  const centroid = fromJson(story.centroid);
  addInto(centroid, vector);
  // The headline shown for the story is the member closest to the centroid (the most typical telling).
  const lead = db.get<{ terms: string; title: string | null }>("SELECT terms, title FROM articles WHERE key = ?", [story.lead_key]);
  const leadSimilarity = lead ? weightedCosine(unitVector(JSON.parse(lead.terms) as Record<string, number>), centroid, stats.idfOf) : -1;
  const takesLead = row.title !== null && weightedCosine(vector, centroid, stats.idfOf) > leadSimilarity;
  db.run("UPDATE stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    toJson(trimCentroid(centroid, stats.idfOf)),
    takesLead ? row.key : story.lead_key,
    takesLead ? row.title : story.title,
    id,
  ]);
  db.run("UPDATE articles SET story_id = ? WHERE key = ?", [id, row.key]);
  refreshStories(db, [id]);
  return centroid;
}
