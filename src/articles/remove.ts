import type { SqlDatabase, SqlQueries } from "../db/sql.js";
import { placeholders } from "../db/sqlite.js";
import type { ArticleRecord } from "../model/news.js";
import { addToCounters, chunks, isListed, nextSeq, readRecords, rowsOf, writeRows, type RowWrite } from "./rows.js";

/**
 * Deletes page-only articles whose time is up (they have no source rows, guids or counters). Returns their keys.
 * No tombstone: such a page was never published, so no search index holds it (catch-up reads listed rows only).
 */
export async function purgeExpired(db: SqlDatabase, nowMs: number): Promise<string[]> {
  const rows = await db.all<{ key: string }>("DELETE FROM articles WHERE expires_ms IS NOT NULL AND expires_ms <= ? AND listed = 0 RETURNING key", [nowMs]);
  return rows.map((r) => r.key);
}

/**
 * A source leaves every article it carried, in one transaction: articles no other source carries and no post cited
 * are deleted (with their links); the others lose the source and its guid. The source's guids and counter go.
 * Returns the keys of the deleted articles (each with a tombstone in `article_deletions`, in the write order the
 * search indexes catch up from) and the records that remain changed.
 */
export async function removeSource(db: SqlDatabase, sourceId: string): Promise<{ deleted: string[]; changed: ArticleRecord[] }> {
  return db.transaction(async (tx) => {
    const keys = (await tx.all<{ key: string }>("SELECT key FROM article_sources WHERE source_id = ?", [sourceId])).map((r) => r.key);
    const changed: RowWrite[] = [];
    const gone: string[] = [];
    for (const part of chunks(keys)) {
      for (const before of (await readRecords(tx, part, Number.NEGATIVE_INFINITY)).values()) {
        const guids = { ...before.guids };
        delete guids[sourceId];
        const after: ArticleRecord = { ...before, sourceIds: before.sourceIds.filter((s) => s !== sourceId), guids };
        if (isListed(after)) changed.push({ before: after, after });
        else gone.push(after.key);
      }
    }
    await deleteArticles(tx, gone);
    // `before: after` leaves the other sources' rows and counters alone; only the record is rewritten.
    await writeRows(tx, changed);
    await tx.run("DELETE FROM article_sources WHERE source_id = ?", [sourceId]);
    await tx.run("DELETE FROM article_guids WHERE source_id = ?", [sourceId]);
    await tx.run("DELETE FROM article_counters WHERE name = ?", [`s:${sourceId}`]);
    await addToCounters(tx, new Map([["*", -gone.length]]));
    return { deleted: gone, changed: changed.map((w) => w.after) };
  });
}

async function deleteArticles(tx: SqlQueries, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const seq = await nextSeq(tx);
  for (const part of chunks(keys)) {
    await tx.run(`INSERT INTO article_deletions (seq, key) VALUES ${rowsOf(part.length, 2)} ON CONFLICT (seq, key) DO NOTHING`, part.flatMap((k) => [seq, k]));
    const list = placeholders(part.length);
    for (const table of ["article_sources", "article_guids", "article_links", "articles"]) {
      await tx.run(`DELETE FROM ${table} WHERE key IN (${list})`, part);
    }
  }
}
