import type { SqlQueries, SqlValue } from "../db/sql.js";
import { placeholders } from "../db/sqlite.js";
import type { ArticleRecord } from "../model/news.js";


/**
 * Newest-first article lists as keyset queries with LIMIT: the all-sources list is a range of the index
 * `articles (listed, sort_ms DESC, key)`, a source's list one of `article_sources (source_id, sort_ms DESC, key)`.
 * What a page costs depends on its size, not on the store's.
 */

/** One list entry: sort time in ms (publishedAt, else first seen) and article key. */
export interface IndexEntry {
  t: number;
  k: string;
}

/** The list of every published article (a feed carried it or a post cited it). */
export const ALL_SOURCES = "*";

export interface ListQuery {
  /** Sources whose articles are listed (an article in two of them once); ALL_SOURCES (or none) for every published one. */
  sourceIds: readonly string[];
  /** Entries strictly after this one in list order. */
  after?: IndexEntry | null;
  /** Sort time at or after (ms). */
  since?: number | null;
  /** Sort time before (ms). */
  until?: number | null;
  limit: number;
}

/** Newest first; ties broken by key so the order (and so cursors) is stable. */
export function compareEntries(a: IndexEntry, b: IndexEntry): number {
  return b.t - a.t || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
}

const isAll = (sourceIds: readonly string[]) => sourceIds.length === 0 || sourceIds.includes(ALL_SOURCES);

function windowSql(q: Omit<ListQuery, "sourceIds" | "limit">, params: SqlValue[]): string {
  let sql = "";
  if (q.since != null && Number.isFinite(q.since)) {
    sql += " AND sort_ms >= ?";
    params.push(Math.ceil(q.since));
  }
  if (q.until != null && Number.isFinite(q.until)) {
    sql += " AND sort_ms < ?";
    params.push(Math.ceil(q.until));
  }
  if (q.after) {
    sql += " AND (sort_ms < ? OR (sort_ms = ? AND key > ?))";
    params.push(q.after.t, q.after.t, q.after.k);
  }
  return sql;
}

/** Up to `limit` entries of the list, in list order. */
export async function page(db: SqlQueries, q: ListQuery): Promise<IndexEntry[]> {
  const limit = Math.max(0, Math.floor(q.limit));
  if (limit === 0) return [];
  if (isAll(q.sourceIds)) {
    const params: SqlValue[] = [];
    const where = windowSql(q, params);
    return rowsToEntries(await db.all(`SELECT key, sort_ms FROM articles WHERE listed = 1${where} ORDER BY sort_ms DESC, key LIMIT ?`, [...params, limit]));
  }
  // Each source's first `limit` entries hold the union's first `limit` (an article ranks no lower in a source
  // than in the union), so a per-source range and a merge give the exact page.
  const lists = await Promise.all([...new Set(q.sourceIds)].map(async (sourceId) => {
    const params: SqlValue[] = [sourceId];
    const where = windowSql(q, params);
    return rowsToEntries(await db.all(
      `SELECT key, sort_ms FROM article_sources WHERE source_id = ?${where} ORDER BY sort_ms DESC, key LIMIT ?`, [...params, limit],
    ));
  }));
  if (lists.length === 1) return lists[0]!;
  const merged = new Map<string, IndexEntry>();
  for (const list of lists) for (const e of list) merged.set(e.k, e);
  return [...merged.values()].sort(compareEntries).slice(0, limit);
}

function rowsToEntries(rows: Array<{ key: string; sort_ms: number }>): IndexEntry[] {
  return rows.map((r) => ({ t: Number(r.sort_ms), k: r.key }));
}

/**
 * How many articles the list holds (in the window, when one is given). Without a window: one counter row for
 * one source or all; several sources are counted (an article in two of them once).
 */
export async function count(db: SqlQueries, q: Omit<ListQuery, "limit" | "after">): Promise<number> {
  const windowed = (q.since != null && Number.isFinite(q.since)) || (q.until != null && Number.isFinite(q.until));
  const ids = [...new Set(q.sourceIds)];
  if (!windowed && (isAll(ids) || ids.length === 1)) {
    const name = isAll(ids) ? ALL_SOURCES : `s:${ids[0]}`;
    return (await db.get<{ value: number }>("SELECT value FROM article_counters WHERE name = ?", [name]))?.value ?? 0;
  }
  const params: SqlValue[] = [];
  if (isAll(ids)) {
    const where = windowSql(q, params);
    return Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM articles WHERE listed = 1${where}`, params))!.n);
  }
  params.push(...ids);
  const where = windowSql(q, params);
  return Number((await db.get<{ n: number }>(
    `SELECT COUNT(DISTINCT key) AS n FROM article_sources WHERE source_id IN (${placeholders(ids.length)})${where}`, params,
  ))!.n);
}

/** A position in the write order: the write's sequence number and the article key. */
export interface ChangePosition {
  seq: number;
  key: string;
}

/** One step of the write order: a published article written (its record), or an article deleted (null). */
export interface Change {
  position: ChangePosition;
  key: string;
  record: ArticleRecord | null;
}

/**
 * Published articles written, and articles deleted (tombstones), after a position, in write order, up to `limit`
 * (the search index's catch-up: it keeps the last position it read instead of reading every article at start).
 * Two keyset ranges of `limit` rows each, merged here: neither reads past what it returns.
 */
export async function changedSince(db: SqlQueries, after: ChangePosition, limit: number): Promise<Change[]> {
  const range = "(seq > ? OR (seq = ? AND key > ?)) ORDER BY seq, key LIMIT ?";
  const params = [after.seq, after.seq, after.key, limit];
  const written = await db.all<{ key: string; seq: number; record: string }>(`SELECT key, seq, record FROM articles WHERE listed = 1 AND ${range}`, params);
  const deleted = await db.all<{ key: string; seq: number }>(`SELECT key, seq FROM article_deletions WHERE ${range}`, params);
  const changes: Change[] = [
    ...written.map((r) => ({ position: { seq: Number(r.seq), key: r.key }, key: r.key, record: JSON.parse(r.record) as ArticleRecord })),
    ...deleted.map((r) => ({ position: { seq: Number(r.seq), key: r.key }, key: r.key, record: null })),
  ];
  // A write and a deletion never share a seq (each transaction takes its own): (seq, key) orders them all.
  changes.sort((a, b) => a.position.seq - b.position.seq || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return changes.slice(0, limit);
}

/** Every entry of a list (tools and tests; proportional to the list, so no request path uses it). */
export async function wholeList(db: SqlQueries, sourceId: string): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  for (;;) {
    const next = await page(db, { sourceIds: [sourceId], after: out.at(-1) ?? null, limit: 5_000 });
    out.push(...next);
    if (next.length < 5_000) return out;
  }
}

