import type { SqliteDatabase } from "../../db/sqlite.js";
import { trimCentroid } from "../similarity.js";
import { reshapedStory } from "../clustering-rules.js";
import type { CentroidCache } from "./centroids.js";
import { refreshStories, type ArticleRow } from "./grouping.js";
import type { TermStats } from "./terms.js";

/**
 * Deleted articles leave search.db (a removed source's articles, src/articles/remove.ts): their full-text document,
 * their grouping terms and document frequencies, and their story. A story that loses members gets its centroid
 * recomputed from the members left (and a new lead when its lead went); a story left empty is dropped with the
 * aliases that pointed to it. Runs inside the caller's transaction; the caller flushes `stats`.
 */
export function deleteArticleRows(db: SqliteDatabase, stats: TermStats, centroids: CentroidCache, keys: readonly string[]): number {
  const touched = new Set<string>();
  let deleted = 0;
  for (const key of new Set(keys)) {
    const doc = db.get<{ id: number }>("SELECT id FROM docs WHERE kind = 'ARTICLE' AND source_id = '' AND ref = ?", [key]);
    if (doc) {
      db.run("DELETE FROM docs_fts WHERE rowid = ?", [doc.id]);
      db.run("DELETE FROM doc_sources WHERE doc_id = ?", [doc.id]);
      db.run("DELETE FROM docs WHERE id = ?", [doc.id]);
    }
    const row = db.get<ArticleRow>("SELECT * FROM articles WHERE key = ?", [key]);
    if (!row) {
      if (doc) deleted += 1;
      continue;
    }
    const terms = Object.keys(JSON.parse(row.terms) as object);
    db.run("DELETE FROM article_terms WHERE term IN (SELECT value FROM json_each(?)) AND at_ms = ? AND article_id = ?", [JSON.stringify(terms), row.at_ms, row.id]);
    db.run("DELETE FROM articles WHERE id = ?", [row.id]);
    stats.add(terms, -1);
    stats.documents -= 1;
    if (row.story_id) touched.add(row.story_id);
    deleted += 1;
  }
  const left = [...touched].filter((id) => reshapeStory(db, stats, centroids, id));
  refreshStories(db, left);
  return deleted;
}

/** Recomputes a story's centroid and lead from the members left; drops it when none is. Returns whether it stays. */
function reshapeStory(db: SqliteDatabase, stats: TermStats, centroids: CentroidCache, id: string): boolean {
  const members = db.all<{ key: string; title: string | null; terms: string }>("SELECT key, title, terms FROM articles WHERE story_id = ? ORDER BY at_ms, key", [id]);
  if (members.length === 0) {
    db.run("DELETE FROM stories WHERE id = ?", [id]);
    db.run("DELETE FROM story_aliases WHERE story_id = ?", [id]);
    centroids.drop(id);
    return false;
  }
  const story = db.get<{ lead_key: string; title: string | null }>("SELECT lead_key, title FROM stories WHERE id = ?", [id])!;
  const { centroid, lead } = reshapedStory(members, { key: story.lead_key, title: story.title }, stats.idfOf);
  db.run("UPDATE stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [centroids.set(id, trimCentroid(centroid, stats.idfOf)), lead.key, lead.title, id]);
  return true;
}
