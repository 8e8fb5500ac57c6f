import type { SqlQueries, SqlValue } from "../../db/sql.js";
import type { ParsedQuery, SearchTerm } from "../query.js";
import type { ArticleDoc, PostDoc, SearchHit, SearchKind, SearchPage, SearchRequest, ThreadDoc } from "../index.js";
import { stripMarks } from "../snippet.js";

/**
 * The full-text half of the PostgreSQL index: one `search_docs` row per searchable object (its four fields and a
 * generated, GIN-indexed tsvector; ./migrations.ts), and the query that ranks them.
 */

interface DocRow {
  kind: SearchKind;
  source_id: string;
  ref: string;
  forum_slug: string | null;
  thread_ref: string | null;
  at_ms: number;
  sources: string[];
  title: string;
  body: string;
  byline: string;
  context: string;
}

/** PostgreSQL text holds no NUL; the snippet markers are private-use characters no indexed text may fake. */
const clean = (text: string) => stripMarks(text).replaceAll("\u0000", "");

export const articleDocRow = (doc: ArticleDoc): DocRow => ({
  kind: "ARTICLE", source_id: "", ref: doc.key, forum_slug: null, thread_ref: null, at_ms: doc.publishedMs, sources: doc.sourceIds,
  title: clean(doc.title ?? ""), body: clean(doc.summaryText), byline: clean(doc.author ?? ""), context: clean(doc.sourceNames.join(" · ")),
});

export const threadDocRow = (doc: ThreadDoc): DocRow => ({
  kind: "THREAD", source_id: doc.sourceId, ref: doc.id, forum_slug: doc.forumSlug, thread_ref: doc.id, at_ms: doc.createdMs, sources: [],
  title: clean(doc.title), body: "", byline: clean(doc.authorName), context: clean(doc.forumName),
});

export const postDocRow = (doc: PostDoc): DocRow => ({
  kind: "POST", source_id: doc.sourceId, ref: doc.id, forum_slug: doc.forumSlug, thread_ref: doc.threadId, at_ms: doc.createdMs, sources: [],
  title: "", body: clean(doc.text), byline: clean(`${doc.authorName} ${doc.authorUsername}`), context: clean(doc.threadTitle),
});

/**
 * Inserts or replaces documents, one statement per batch; the last of two rows for one document wins. A row whose
 * fields did not change is not rewritten (a second gateway catching up on what the first one indexed writes nothing).
 */
export async function upsertDocs(tx: SqlQueries, rows: readonly DocRow[]): Promise<void> {
  const unique = [...new Map(rows.map((r) => [`${r.kind}\u0000${r.source_id}\u0000${r.ref}`, r])).values()];
  if (unique.length === 0) return;
  await tx.run(
    `INSERT INTO search_docs (kind, source_id, ref, forum_slug, thread_ref, at_ms, sources, title, body, byline, context)
     SELECT r.kind, r.source_id, r.ref, r.forum_slug, r.thread_ref, r.at_ms, ARRAY(SELECT jsonb_array_elements_text(r.sources)), r.title, r.body, r.byline, r.context
     FROM jsonb_to_recordset(?::jsonb) AS r(kind TEXT, source_id TEXT, ref TEXT, forum_slug TEXT, thread_ref TEXT, at_ms BIGINT, sources JSONB,
       title TEXT, body TEXT, byline TEXT, context TEXT)
     ON CONFLICT (kind, source_id, ref) DO UPDATE SET forum_slug = excluded.forum_slug, thread_ref = excluded.thread_ref, at_ms = excluded.at_ms,
       sources = excluded.sources, title = excluded.title, body = excluded.body, byline = excluded.byline, context = excluded.context
     WHERE (search_docs.forum_slug, search_docs.thread_ref, search_docs.at_ms, search_docs.sources, search_docs.title, search_docs.body,
       search_docs.byline, search_docs.context) IS DISTINCT FROM
       (excluded.forum_slug, excluded.thread_ref, excluded.at_ms, excluded.sources, excluded.title, excluded.body, excluded.byline, excluded.context)`,
    [JSON.stringify(unique)],
  );
}

/**
 * The parsed query as `websearch_to_tsquery` input: every word and phrase quoted (user text is never tsquery
 * syntax; the parser keeps `"` out of words and phrases), exclusions with `-`. `any` joins the words with `or`.
 */
export function toWebsearch(query: ParsedQuery, any = false): string {
  const quote = (t: SearchTerm) => `"${t.text.replace(/"/g, " ")}"`;
  const positive = query.terms.map(quote).join(any ? " or " : " ");
  if (any) return positive;
  return [positive, ...query.excluded.map((t) => `-${quote(t)}`)].join(" ");
}

/** WHERE conditions on `d` (search_docs) for the query's filters and the requested kinds. */
function filters(request: SearchRequest): { sql: string; params: SqlValue[] } {
  const { query } = request;
  const parts: string[] = ["d.kind IN (SELECT jsonb_array_elements_text(?::jsonb))"];
  const params: SqlValue[] = [JSON.stringify(request.kinds)];
  const origins: string[] = [];
  if (query.sources.length) {
    origins.push(
      "(d.kind = 'ARTICLE' AND d.sources && ARRAY(SELECT jsonb_array_elements_text(?::jsonb)))",
      "(d.kind <> 'ARTICLE' AND d.source_id IN (SELECT jsonb_array_elements_text(?::jsonb)))",
    );
    params.push(JSON.stringify(query.sources), JSON.stringify(query.sources));
  }
  if (query.forums.length) {
    origins.push("(d.kind <> 'ARTICLE' AND d.forum_slug IN (SELECT jsonb_array_elements_text(?::jsonb)))");
    params.push(JSON.stringify(query.forums));
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

/**
 * ts_rank's weights for D, C, B, A: context 0.5, body and byline 1, title 4 — search.db's BM25 column weights,
 * scaled into ts_rank's [0, 1]. Normalization 1 divides by 1 + log(length), as BM25 discounts long documents.
 * Ranked by the words taken apart (`qa`, any of them): ts_rank scores an AND query by how close its words stand,
 * which put a post saying "Rusk … rates" in one sentence above the article titled with one and telling the other;
 * BM25 adds up each word's weight, and so does ts_rank over an OR query.
 */
const RANK = "ts_rank('{0.125, 0.125, 0.25, 1.0}', d.tsv, q.qa, 1)::float8";

/** `<`/`>` as U+E002/U+E003, as the tsvector reads them (./migrations.ts), so ts_headline keeps `<script>` as text. */
const ANGLES = "'<>', chr(57346) || chr(57347)";
const HEADLINE_OPTIONS = "'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=20, MinWords=8, MaxFragments=1'";
const headlineOf = (column: string) => `ts_headline('english', translate(page.${column}, ${ANGLES}), q.qa, ${HEADLINE_OPTIONS})`;
/** The snippet comes from the first field holding any of the words, body first (FTS5's snippet picks one column too). */
const SNIPPET = `CASE
  WHEN to_tsvector('english', translate(page.body, ${ANGLES})) @@ q.qa THEN ${headlineOf("body")}
  WHEN to_tsvector('english', translate(page.title, ${ANGLES})) @@ q.qa THEN ${headlineOf("title")}
  WHEN to_tsvector('english', translate(page.byline, ${ANGLES})) @@ q.qa THEN ${headlineOf("byline")}
  ELSE ${headlineOf("context")} END`;

interface HitRow { id: number; kind: SearchKind; source_id: string; ref: string; score: number; total: number; snip: string }

/** One statement per search: rank every match, count them, cut the page, headline the page's rows only. */
export async function runSearch(db: SqlQueries, request: SearchRequest): Promise<SearchPage> {
  const where = filters(request);
  const after = request.after;
  const cursor = after ? "WHERE score < ? OR (score = ? AND id > ?)" : "";
  const cursorParams: SqlValue[] = after ? [after[0] as number, after[0] as number, after[1] as number] : [];
  const rows = await db.all<HitRow>(
    `WITH q AS (SELECT websearch_to_tsquery('english', ?) AS q, websearch_to_tsquery('english', ?) AS qa),
     hits AS (
       SELECT d.id, d.kind, d.source_id, d.ref, ${RANK} AS score FROM search_docs d, q
       WHERE d.tsv @@ q.q AND ${where.sql}
     ), counted AS (SELECT hits.*, COUNT(*) OVER () AS total FROM hits),
     page AS (
       SELECT p.*, dd.title, dd.body, dd.byline, dd.context
       FROM (SELECT * FROM counted ${cursor} ORDER BY score DESC, id LIMIT ?) p JOIN search_docs dd ON dd.id = p.id
     )
     SELECT page.id, page.kind, page.source_id, page.ref, page.score, page.total, ${SNIPPET} AS snip
     FROM page, q ORDER BY page.score DESC, page.id`,
    [toWebsearch(request.query), toWebsearch(request.query, true), ...where.params, ...cursorParams, request.first + 1],
  );
  let totalCount = rows[0]?.total ?? 0;
  if (rows.length === 0 && after) {
    // A cursor past the last hit: the page is empty, but totalCount still counts the whole list.
    totalCount = (await db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM search_docs d WHERE d.tsv @@ websearch_to_tsquery('english', ?) AND ${where.sql}`,
      [toWebsearch(request.query), ...where.params],
    ))!.n;
  }
  const hits: SearchHit[] = rows.slice(0, request.first).map((r) => ({
    kind: r.kind, sourceId: r.source_id, ref: r.ref, score: r.score, rawSnippet: fromAngles(r.snip), cursor: [r.score, r.id],
  }));
  return { hits, totalCount, hasNextPage: rows.length > request.first };
}

const fromAngles = (text: string) => text.replace(/\uE002/g, "<").replace(/\uE003/g, ">");
