import type { SqlQueries } from "../../db/sql.js";
import { toJson, trimCentroid } from "../similarity.js";
import { reshapedStory } from "../clustering-rules.js";
import { inJson, refreshStories, termsOf, type PgArticleRow } from "./grouping.js";
import type { PgTermStats } from "./stats.js";

/**
 * Deleted articles leave the PostgreSQL index (the rules of src/search/sqlite/deletion.ts): their document, their
 * grouping terms and document frequencies, and their story, which gets its centroid and lead recomputed from the
 * members left or is dropped with its aliases when none is. Runs inside PgTermStats.write.
 */
export async function deleteArticleRows(tx: SqlQueries, stats: PgTermStats, keys: readonly string[]): Promise<number> {
  const wanted = JSON.stringify([...new Set(keys)]);
  const docs = new Set(
    (await tx.all<{ ref: string }>(`DELETE FROM search_docs WHERE kind = 'ARTICLE' AND source_id = '' AND ref IN ${inJson} RETURNING ref`, [wanted])).map((r) => r.ref),
  );
  const rows = await tx.all<PgArticleRow>(`DELETE FROM search_articles WHERE key IN ${inJson} RETURNING *`, [wanted]);
  if (rows.length) await tx.run(`DELETE FROM search_article_terms WHERE article_key IN ${inJson}`, [JSON.stringify(rows.map((r) => r.key))]);
  const touched = new Set<string>();
  for (const row of rows) {
    stats.add(termsOf(row), -1);
    stats.documents -= 1;
    if (row.story_id) touched.add(row.story_id);
    docs.add(row.key);
  }
  const left: string[] = [];
  for (const id of [...touched].sort()) if (await reshapeStory(tx, stats, id)) left.push(id);
  await refreshStories(tx, left);
  return docs.size;
}

/** Recomputes a story's centroid and lead from the members left; drops it when none is. Returns whether it stays. */
async function reshapeStory(tx: SqlQueries, stats: PgTermStats, id: string): Promise<boolean> {
  const members = await tx.all<{ key: string; title: string | null; terms: string }>(
    "SELECT key, title, terms FROM search_articles WHERE story_id = ? ORDER BY at_ms, key",
    [id],
  );
  if (members.length === 0) {
    await tx.run("DELETE FROM search_stories WHERE id = ?", [id]);
    await tx.run("DELETE FROM search_story_aliases WHERE story_id = ?", [id]);
    return false;
  }
  const story = (await tx.get<{ lead_key: string; title: string | null }>("SELECT lead_key, title FROM search_stories WHERE id = ?", [id]))!;
  const { centroid, lead } = reshapedStory(members, { key: story.lead_key, title: story.title }, stats.idfOf);
  await tx.run("UPDATE search_stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [toJson(trimCentroid(centroid, stats.idfOf)), lead.key, lead.title, id]);
  return true;
}
