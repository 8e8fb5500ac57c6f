import type { SqlQueries, SqlValue } from "../db/sql.js";
import { placeholders } from "../db/sqlite.js";
import { chunks, rowsOf } from "../articles/rows.js";
import type { CitationRecord, PostRecord } from "../model/forum.js";

/**
 * Reading and writing the post index's rows (tables: ./schema.ts). A put is one transaction of a few multi-row
 * statements, whatever the size of the store: the rows it replaces read by primary key, only new and changed
 * rows written, their citation rows replaced, the source's counters moved.
 */

export interface PostRow {
  source_id: string;
  post_id: string;
  thread_id: string;
  author_id: string;
  position: number;
  created_at: string;
  edited_at: string | null;
  body_html: string;
  citations: string;
  url: string | null;
  seen_ms: number;
  seq: number;
}

export type NewPostRow = Omit<PostRow, "seq">;

/** Keys per read (both drivers take far more parameters than this). */
const READ_CHUNK = 5_000;

export function toRow(sourceId: string, p: PostRecord, citations: CitationRecord[], seenMs: number): NewPostRow {
  return {
    source_id: sourceId, post_id: p.id, thread_id: p.threadId, author_id: p.authorId, position: p.position,
    created_at: p.createdAt.toISOString(), edited_at: p.editedAt ? p.editedAt.toISOString() : null, body_html: p.bodyHtml,
    citations: JSON.stringify(citations), url: p.url ?? null, seen_ms: seenMs,
  };
}

export function toRecord(row: Pick<PostRow, Exclude<keyof PostRow, "source_id" | "seen_ms" | "seq">>): PostRecord {
  return {
    id: row.post_id, threadId: row.thread_id, authorId: row.author_id, position: Number(row.position), bodyHtml: row.body_html,
    createdAt: new Date(row.created_at), editedAt: row.edited_at ? new Date(row.edited_at) : null,
    citations: JSON.parse(row.citations) as CitationRecord[], url: row.url ?? null,
  };
}

/** The stored rows of these posts of one source. */
export async function readRows(db: SqlQueries, sourceId: string, ids: readonly string[]): Promise<Map<string, PostRow>> {
  const found = new Map<string, PostRow>();
  for (const part of chunks([...new Set(ids)], READ_CHUNK)) {
    const rows = await db.all<PostRow>(`SELECT * FROM remote_posts WHERE source_id = ? AND post_id IN (${placeholders(part.length)})`, [sourceId, ...part]);
    for (const row of rows) found.set(row.post_id, row);
  }
  return found;
}

/** Whether a post's row differs in anything but when it was last handed over. */
export function rowChanged(old: PostRow, next: NewPostRow): boolean {
  return old.thread_id !== next.thread_id || old.author_id !== next.author_id || Number(old.position) !== next.position
    || old.created_at !== next.created_at || old.edited_at !== next.edited_at || old.body_html !== next.body_html
    || old.citations !== next.citations || (old.url ?? null) !== next.url;
}

/** Whether a changed post's citation rows must be rewritten (what they copy from the post moved). */
function citesMoved(old: PostRow | undefined, next: NewPostRow): boolean {
  return !old || old.citations !== next.citations || old.created_at !== next.created_at || old.thread_id !== next.thread_id
    || Number(old.position) !== next.position;
}

/**
 * Reserves `n` numbers of a source's write order, in the caller's transaction; resolves with the first. Each written
 * row gets its own number, so the search index's high-water mark never falls between rows of one write.
 */
export async function nextSeq(tx: SqlQueries, sourceId: string, n: number): Promise<number> {
  const name = `seq:${sourceId}`;
  await tx.run(
    "INSERT INTO remote_post_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = remote_post_counters.value + excluded.value",
    [name, n],
  );
  return Number((await tx.get<{ value: number }>("SELECT value FROM remote_post_counters WHERE name = ?", [name]))!.value) - n + 1;
}

/**
 * Writes new and changed rows (`before`: the stored rows of the same posts), refreshes when the unchanged ones were
 * seen, in the caller's transaction.
 */
export async function writeRows(tx: SqlQueries, sourceId: string, rows: readonly NewPostRow[], before: ReadonlyMap<string, PostRow>): Promise<void> {
  const changed = rows.filter((r) => { const old = before.get(r.post_id); return !old || rowChanged(old, r); });
  const seen = rows.filter((r) => !changed.includes(r)).map((r) => r.post_id);
  if (changed.length) {
    let seq = await nextSeq(tx, sourceId, changed.length);
    for (const part of chunks(changed)) {
      const params: SqlValue[] = part.flatMap((r) => [
        r.source_id, r.post_id, r.thread_id, r.author_id, r.position, r.created_at, r.edited_at, r.body_html, r.citations, r.url, r.seen_ms, seq++,
      ]);
      await tx.run(
        `INSERT INTO remote_posts (source_id, post_id, thread_id, author_id, position, created_at, edited_at, body_html, citations, url, seen_ms, seq)
         VALUES ${rowsOf(part.length, 12)}
         ON CONFLICT (source_id, post_id) DO UPDATE SET thread_id = excluded.thread_id, author_id = excluded.author_id,
           position = excluded.position, created_at = excluded.created_at, edited_at = excluded.edited_at, body_html = excluded.body_html,
           citations = excluded.citations, url = excluded.url, seen_ms = excluded.seen_ms, seq = excluded.seq`,
        params,
      );
    }
    await writeCites(tx, sourceId, changed.filter((r) => citesMoved(before.get(r.post_id), r)), before);
    const added = changed.filter((r) => !before.has(r.post_id)).length;
    if (added) {
      await tx.run(
        "INSERT INTO remote_post_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = remote_post_counters.value + excluded.value",
        [`n:${sourceId}`, added],
      );
    }
  }
  if (seen.length && rows[0]) {
    for (const part of chunks(seen, READ_CHUNK)) {
      await tx.run(`UPDATE remote_posts SET seen_ms = ? WHERE source_id = ? AND post_id IN (${placeholders(part.length)})`, [rows[0].seen_ms, sourceId, ...part]);
    }
  }
}

/** Replaces the citation rows of these posts: one per (post, canonical URL), with its place among the post's links. */
async function writeCites(tx: SqlQueries, sourceId: string, rows: readonly NewPostRow[], before: ReadonlyMap<string, PostRow>): Promise<void> {
  const stale = rows.filter((r) => before.has(r.post_id)).map((r) => r.post_id);
  for (const part of chunks(stale, READ_CHUNK)) {
    await tx.run(`DELETE FROM remote_post_cites WHERE source_id = ? AND post_id IN (${placeholders(part.length)})`, [sourceId, ...part]);
  }
  const cites: SqlValue[][] = [];
  for (const r of rows) {
    const urls = new Set<string>();
    for (const c of JSON.parse(r.citations) as CitationRecord[]) urls.add(c.canonicalUrl);
    [...urls].forEach((url, ord) => cites.push([sourceId, url, r.post_id, r.thread_id, r.created_at, r.position, ord]));
  }
  for (const part of chunks(cites)) {
    await tx.run(
      `INSERT INTO remote_post_cites (source_id, canonical_url, post_id, thread_id, created_at, position, ord) VALUES ${rowsOf(part.length, 7)}`,
      part.flat(),
    );
  }
}
