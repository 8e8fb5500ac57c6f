import type { SqlQueries, SqlValue } from "../db/sql.js";
import { placeholders } from "../db/sqlite.js";
import type { ArticleRecord } from "../model/news.js";

/**
 * Reading and writing the article rows (tables: ./schema.ts). Every write of one poll or page goes through
 * writeRows inside one transaction: a few multi-row statements, whatever the size of the store.
 */

/** IN lists and multi-row VALUES are cut into chunks of this many rows (SQLite's and pg's parameter limits). */
const CHUNK = 200;
/**
 * Keys per read in readRecords: a page's citations (1,500 at 500 posts × 3) are one statement, so the round trips
 * of a page stay flat with its size on PostgreSQL (bench scenario 10); both drivers take far more parameters.
 */
const READ_CHUNK = 5_000;

export interface ArticleRow {
  key: string;
  record: string;
  expires_ms: number | null;
}

/** Published: carried by a feed, or cited by a post (ArticleStore.publishCited). */
export function isListed(record: ArticleRecord): boolean {
  return record.sourceIds.length > 0 || record.cited === true;
}

/** Sort time in ms: publishedAt, else first seen. */
export function sortTime(record: ArticleRecord): number {
  const t = Date.parse(record.publishedAt ?? record.firstSeenAt);
  return Number.isFinite(t) ? t : Date.parse(record.firstSeenAt) || 0;
}

export function chunks<T>(values: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** A stored record and when it expires (ms since the epoch; null: kept). */
export interface StoredRecord {
  record: ArticleRecord;
  expiresMs: number | null;
}

/** The stored records of these keys, expired ones included (missing ones absent). */
export async function readStoredRecords(db: SqlQueries, keys: readonly string[]): Promise<Map<string, StoredRecord>> {
  const found = new Map<string, StoredRecord>();
  for (const part of chunks([...new Set(keys)], READ_CHUNK)) {
    const rows = await db.all<ArticleRow>(`SELECT key, record, expires_ms FROM articles WHERE key IN (${placeholders(part.length)})`, part);
    for (const row of rows) found.set(row.key, { record: JSON.parse(row.record) as ArticleRecord, expiresMs: row.expires_ms });
  }
  return found;
}

export const isLive = (stored: StoredRecord, nowMs: number): boolean => stored.expiresMs === null || stored.expiresMs > nowMs;

/** The stored records of these keys (missing and expired ones absent). */
export async function readRecords(db: SqlQueries, keys: readonly string[], nowMs = Date.now()): Promise<Map<string, ArticleRecord>> {
  const found = new Map<string, ArticleRecord>();
  for (const [key, stored] of await readStoredRecords(db, keys)) if (isLive(stored, nowMs)) found.set(key, stored.record);
  return found;
}

/** The article each of a source's guids was stored under. */
export async function readGuidKeys(db: SqlQueries, sourceId: string, guids: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const part of chunks([...new Set(guids)])) {
    const rows = await db.all<{ guid: string; key: string }>(
      `SELECT guid, key FROM article_guids WHERE source_id = ? AND guid IN (${placeholders(part.length)})`, [sourceId, ...part],
    );
    for (const row of rows) found.set(row.guid, row.key);
  }
  return found;
}

export async function readLinkKey(db: SqlQueries, link: string): Promise<string | null> {
  return (await db.get<{ key: string }>("SELECT key FROM article_links WHERE link = ?", [link]))?.key ?? null;
}

export interface RowWrite {
  /** The record as stored before this write (null: new, or expired). */
  before: ArticleRecord | null;
  after: ArticleRecord;
  /** When an unlisted page-only article is dropped (ms since the epoch); null keeps it. */
  expiresMs?: number | null;
}

export interface Mapping {
  sourceId: string;
  guid: string;
  key: string;
}

/**
 * Writes records (and their source rows, counters and the write's sequence number), guid and link mappings, in
 * the caller's transaction. Returns the sequence number given to the written records (0 when none).
 */
export async function writeRows(
  tx: SqlQueries,
  writes: readonly RowWrite[],
  guids: readonly Mapping[] = [],
  links: ReadonlyArray<{ link: string; key: string }> = [],
): Promise<number> {
  let seq = 0;
  if (writes.length) {
    seq = await nextSeq(tx);
    await upsertArticles(tx, writes, seq);
    await upsertSources(tx, writes);
    await addToCounters(tx, counterChanges(writes));
  }
  await upsertPairs(tx, "article_guids (source_id, guid, key)", "(source_id, guid)", guids.map((g) => [g.sourceId, g.guid, g.key]));
  await upsertPairs(tx, "article_links (link, key)", "(link)", links.map((l) => [l.link, l.key]));
  return seq;
}

/** The next number of the write order (articles.seq, article_deletions.seq), in the caller's transaction. */
export async function nextSeq(tx: SqlQueries): Promise<number> {
  await tx.run("UPDATE article_counters SET value = value + 1 WHERE name = 'seq'");
  return Number((await tx.get<{ value: number }>("SELECT value FROM article_counters WHERE name = 'seq'"))!.value);
}

async function upsertArticles(tx: SqlQueries, writes: readonly RowWrite[], seq: number): Promise<void> {
  for (const part of chunks(writes)) {
    const params: SqlValue[] = [];
    for (const { after, expiresMs } of part) {
      const listed = isListed(after);
      params.push(after.key, JSON.stringify(after), sortTime(after), listed ? 1 : 0, after.canonicalUrl, listed ? null : expiresMs ?? null, seq);
    }
    await tx.run(
      `INSERT INTO articles (key, record, sort_ms, listed, canonical_url, expires_ms, seq) VALUES ${rowsOf(part.length, 7)}
       ON CONFLICT (key) DO UPDATE SET record = excluded.record, sort_ms = excluded.sort_ms, listed = excluded.listed,
         canonical_url = excluded.canonical_url, expires_ms = excluded.expires_ms, seq = excluded.seq`,
      params,
    );
  }
}

/** Source rows of new sources, and of every source of a record whose sort time changed. */
async function upsertSources(tx: SqlQueries, writes: readonly RowWrite[]): Promise<void> {
  const rows: SqlValue[][] = [];
  for (const { before, after } of writes) {
    const moved = before !== null && sortTime(before) !== sortTime(after);
    for (const sourceId of after.sourceIds) {
      if (moved || !before || !before.sourceIds.includes(sourceId)) rows.push([after.key, sourceId, sortTime(after)]);
    }
  }
  for (const part of chunks(rows)) {
    await tx.run(
      `INSERT INTO article_sources (key, source_id, sort_ms) VALUES ${rowsOf(part.length, 3)}
       ON CONFLICT (key, source_id) DO UPDATE SET sort_ms = excluded.sort_ms`,
      part.flat(),
    );
  }
}

function counterChanges(writes: readonly RowWrite[]): Map<string, number> {
  const changes = new Map<string, number>();
  const add = (name: string, n: number) => changes.set(name, (changes.get(name) ?? 0) + n);
  for (const { before, after } of writes) {
    if (isListed(after) !== (before !== null && isListed(before))) add("*", isListed(after) ? 1 : -1);
    for (const sourceId of after.sourceIds) if (!before?.sourceIds.includes(sourceId)) add(`s:${sourceId}`, 1);
  }
  return changes;
}

export async function addToCounters(tx: SqlQueries, changes: ReadonlyMap<string, number>): Promise<void> {
  const rows = [...changes].filter(([, n]) => n !== 0);
  for (const part of chunks(rows)) {
    await tx.run(
      `INSERT INTO article_counters (name, value) VALUES ${rowsOf(part.length, 2)}
       ON CONFLICT (name) DO UPDATE SET value = article_counters.value + excluded.value`,
      part.flat(),
    );
  }
}

async function upsertPairs(tx: SqlQueries, table: string, conflict: string, rows: SqlValue[][]): Promise<void> {
  for (const part of chunks(rows)) {
    await tx.run(
      `INSERT INTO ${table} VALUES ${rowsOf(part.length, part[0]!.length)} ON CONFLICT ${conflict} DO UPDATE SET key = excluded.key`,
      part.flat(),
    );
  }
}

/** `(?, ?), (?, ?)` for `rows` rows of `columns` values. */
export function rowsOf(rows: number, columns: number): string {
  const one = `(${placeholders(columns)})`;
  return Array.from({ length: rows }, () => one).join(", ");
}
