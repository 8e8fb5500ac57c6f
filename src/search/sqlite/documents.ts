import { placeholders, type SqliteDatabase, type SqlValue } from "../../db/sqlite.js";
import type { ParsedQuery } from "../query.js";
import type { ArticleDoc, PostDoc, SearchHit, SearchKind, SearchPage, SearchRequest, ThreadDoc } from "../index.js";
import { stripMarks } from "../snippet.js";

/**
 * The full-text half of search.db: one row in `docs` (kind, owner, filters) and one in `docs_fts` (text) per
 * searchable object, and the query that ranks them.
 */

interface DocFields {
  title: string;
  body: string;
  byline: string;
  context: string;
}

/** Inserts or replaces one document; returns its rowid. */
function upsertDoc(
  db: SqliteDatabase,
  doc: { kind: SearchKind; sourceId: string; ref: string; forumSlug: string | null; threadRef: string | null; atMs: number },
  fields: DocFields,
): number {
  const row = db.get<{ id: number }>(
    `INSERT INTO docs (kind, source_id, ref, forum_slug, thread_ref, at_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, source_id, ref) DO UPDATE SET forum_slug = excluded.forum_slug, thread_ref = excluded.thread_ref, at_ms = excluded.at_ms
     RETURNING id`,
    [doc.kind, doc.sourceId, doc.ref, doc.forumSlug, doc.threadRef, doc.atMs],
  )!;
  db.run("DELETE FROM docs_fts WHERE rowid = ?", [row.id]);
  // The snippet markers are private-use characters; text that already holds them must not fake a highlight.
  db.run("INSERT INTO docs_fts (rowid, title, body, byline, context) VALUES (?, ?, ?, ?, ?)", [
    row.id, stripMarks(fields.title), stripMarks(fields.body), stripMarks(fields.byline), stripMarks(fields.context),
  ]);
  return row.id;
}

export function writeArticleDoc(db: SqliteDatabase, doc: ArticleDoc): void {
  const id = upsertDoc(
    db,
    { kind: "ARTICLE", sourceId: "", ref: doc.key, forumSlug: null, threadRef: null, atMs: doc.publishedMs },
    { title: doc.title ?? "", body: doc.summaryText, byline: doc.author ?? "", context: doc.sourceNames.join(" · ") },
  );
  db.run("DELETE FROM doc_sources WHERE doc_id = ?", [id]);
  db.run("INSERT OR IGNORE INTO doc_sources (source_slug, doc_id) SELECT value, ? FROM json_each(?)", [id, JSON.stringify(doc.sourceIds)]);
}

export function writeThreadDoc(db: SqliteDatabase, doc: ThreadDoc): void {
  upsertDoc(
    db,
    { kind: "THREAD", sourceId: doc.sourceId, ref: doc.id, forumSlug: doc.forumSlug, threadRef: doc.id, atMs: doc.createdMs },
    { title: doc.title, body: "", byline: doc.authorName, context: doc.forumName },
  );
}

export function writePostDoc(db: SqliteDatabase, doc: PostDoc): void {
  upsertDoc(
    db,
    { kind: "POST", sourceId: doc.sourceId, ref: doc.id, forumSlug: doc.forumSlug, threadRef: doc.threadId, atMs: doc.createdMs },
    { title: "", body: doc.text, byline: `${doc.authorName} ${doc.authorUsername}`, context: doc.threadTitle },
  );
}

/** Every word and phrase a quoted FTS5 string: user text is never FTS5 syntax. */
export function quoteFts(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

export function toFtsMatch(query: ParsedQuery): string {
  const positive = query.terms.map((t) => quoteFts(t.text)).join(" AND ");
  if (query.excluded.length === 0) return positive;
  return `(${positive}) NOT (${query.excluded.map((t) => quoteFts(t.text)).join(" OR ")})`;
}

/** WHERE conditions on `d` (docs) for the query's filters and the requested kinds. */
function filters(request: SearchRequest): { sql: string; params: SqlValue[] } {
  const { query } = request;
  const parts: string[] = [`d.kind IN (${placeholders(request.kinds.length)})`];
  const params: SqlValue[] = [...request.kinds];
  const origins: string[] = [];
  if (query.sources.length) {
    origins.push(
      `(d.kind = 'ARTICLE' AND d.id IN (SELECT doc_id FROM doc_sources WHERE source_slug IN (${placeholders(query.sources.length)})))`,
      `(d.kind <> 'ARTICLE' AND d.source_id IN (${placeholders(query.sources.length)}))`,
    );
    params.push(...query.sources, ...query.sources);
  }
  if (query.forums.length) {
    origins.push(`(d.kind <> 'ARTICLE' AND d.forum_slug IN (${placeholders(query.forums.length)}))`);
    params.push(...query.forums);
  }
  if (origins.length) parts.push(`(${origins.join(" OR ")})`);
  if (query.afterMs !== null) {
    parts.push("d.at_ms >= ?");
    params.push(query.afterMs);
  }
  if (query.beforeMs !== null) {
    parts.push("d.at_ms < ?");
    params.push(query.beforeMs);
  }
  return { sql: parts.join(" AND "), params };
}

interface HitRow { id: number; kind: SearchKind; source_id: string; ref: string; score: number; total: number; snip: string }

/**
 * One statement per search: rank every match (BM25 with the column weights set in the migration), count them,
 * cut the page, and build snippets for the page's rows only.
 */
export function runSearch(db: SqliteDatabase, request: SearchRequest): SearchPage {
  const match = toFtsMatch(request.query);
  const where = filters(request);
  const after = request.after;
  const cursor = after ? "WHERE score < ? OR (score = ? AND id > ?)" : "";
  const cursorParams: SqlValue[] = after ? [after[0] as number, after[0] as number, after[1] as number] : [];
  const rows = db.all<HitRow>(
    `WITH hits AS (
       SELECT d.id, d.kind, d.source_id, d.ref, -docs_fts.rank AS score
       FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid
       WHERE docs_fts MATCH ? AND ${where.sql}
     ), counted AS (SELECT hits.*, COUNT(*) OVER () AS total FROM hits),
     page AS (SELECT * FROM counted ${cursor} ORDER BY score DESC, id LIMIT ?)
     SELECT page.*, snippet(docs_fts, -1, char(57344), char(57345), '…', 20) AS snip
     FROM page JOIN docs_fts ON docs_fts.rowid = page.id
     WHERE docs_fts MATCH ?
     ORDER BY page.score DESC, page.id`,
    [match, ...where.params, ...cursorParams, request.first + 1, match],
  );
  let totalCount = rows[0]?.total ?? 0;
  if (rows.length === 0 && after) {
    // A cursor past the last hit: the page is empty, but totalCount still counts the whole list.
    totalCount = db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid WHERE docs_fts MATCH ? AND ${where.sql}`,
      [match, ...where.params],
    )!.n;
  }
  const hits: SearchHit[] = rows.slice(0, request.first).map((r) => ({
    kind: r.kind, sourceId: r.source_id, ref: r.ref, score: r.score, rawSnippet: r.snip, cursor: [r.score, r.id],
  }));
  return { hits, totalCount, hasNextPage: rows.length > request.first };
}
