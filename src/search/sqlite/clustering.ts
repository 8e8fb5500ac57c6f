import { createHash } from "node:crypto";
import { placeholders, type SqliteDatabase } from "../../db/sqlite.js";
import {
  addInto, prepareVector, preparedCosine, trimCentroid, unitVector, weightedCosine, weightedNormSq, type PreparedVector, type TermVector,
} from "../similarity.js";
import { bestCandidate, MAX_CANDIDATES, signatureTerms, storyToMerge, type Candidate } from "../clustering-rules.js";
import type { CentroidCache } from "./centroids.js";
import { refreshStories, type ArticleRow, type GroupingOptions } from "./grouping.js";
import type { TermStats } from "./terms.js";

/**
 * The clustering half of story grouping (the rules are in ./grouping.ts): a batch of ungrouped articles, oldest
 * first, in one transaction. Centroids come parsed from the CentroidCache; the stories' counts, dates and sources
 * are recomputed once per touched story at the end of the batch (before a merge reads them), not after each join.
 */

interface Batch {
  db: SqliteDatabase;
  stats: TermStats;
  centroids: CentroidCache;
  options: GroupingOptions;
  /** Stories whose numbers are out of date until refreshed. */
  stale: Set<string>;
}

/** Groups up to `limit` ungrouped articles, oldest first (one transaction). */
export function groupPending(db: SqliteDatabase, stats: TermStats, centroids: CentroidCache, options: GroupingOptions, limit: number): number {
  const rows = db.all<ArticleRow>("SELECT * FROM articles WHERE story_id IS NULL ORDER BY at_ms, key LIMIT ?", [limit]);
  if (rows.length === 0) return 0;
  const batch: Batch = { db, stats, centroids, options, stale: new Set() };
  try {
    db.transaction(() => {
      for (const row of rows) groupOne(batch, row);
      refreshStories(db, batch.stale);
    });
  } catch (err) {
    centroids.clear(); // the rolled-back centroids are not the table's any more
    throw err;
  }
  return rows.length;
}

function groupOne(batch: Batch, row: ArticleRow): void {
  const { db, stats, options } = batch;
  const vector = unitVector(JSON.parse(row.terms) as Record<string, number>);
  const sameUrl = row.url_key
    ? db.get<{ story_id: string }>(
        "SELECT story_id FROM articles WHERE url_key = ? AND key <> ? AND story_id IS NOT NULL ORDER BY at_ms, key LIMIT 1",
        [row.url_key, row.key],
      )
    : undefined;
  const prepared = prepareVector(vector, stats.idfOf);
  if (sameUrl) {
    join(batch, sameUrl.story_id, row, vector, prepared);
    return;
  }

  const candidates = candidateStories(batch, row, vector, prepared);
  const best = bestCandidate(candidates, options.threshold);
  if (!best) {
    found(batch, row, vector);
    return;
  }
  const centroid = join(batch, best.id, row, vector, prepared);
  const other = storyToMerge(candidates, best, centroid, options.threshold, stats.idfOf);
  if (other) mergeStories(batch, best.id, other);
}

/** Stories with an article within the window sharing a signature term, each with its similarity (id order). */
function candidateStories(batch: Batch, row: ArticleRow, vector: TermVector, prepared: PreparedVector): Candidate[] {
  const { db, stats, options } = batch;
  const terms = signatureTerms(vector, stats);
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
  const centroids = batch.centroids.load(ids);
  return ids.flatMap((id) => {
    const c = centroids.get(id);
    return c ? [{ id, centroid: c.vector, similarity: preparedCosine(prepared, c.vector, c.normSq) }] : [];
  });
}

/** Moves every article of one story into the other (the older story survives); the loser's id becomes an alias. */
function mergeStories(batch: Batch, a: string, b: string): void {
  const { db, stats, stale } = batch;
  // Which story is older is read from first_ms: bring both up to date first.
  refreshStories(db, [a, b].filter((id) => stale.delete(id)));
  const [keep, gone] = db.all<{ id: string; lead_key: string; title: string | null }>(
    "SELECT id, lead_key, title FROM stories WHERE id IN (?, ?) ORDER BY first_ms, id",
    [a, b],
  );
  if (!keep || !gone) return;
  const both = batch.centroids.load([keep.id, gone.id]);
  const centroid = new Map(both.get(keep.id)!.vector);
  addInto(centroid, both.get(gone.id)!.vector);
  const lead = db
    .all<{ key: string; title: string | null; terms: string }>("SELECT key, title, terms FROM articles WHERE key IN (?, ?) ORDER BY key", [keep.lead_key, gone.lead_key])
    .map((l) => ({ l, s: weightedCosine(unitVector(JSON.parse(l.terms) as Record<string, number>), centroid, stats.idfOf) }))
    .sort((x, y) => y.s - x.s)[0]?.l;
  db.run("UPDATE articles SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  db.run("UPDATE stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    batch.centroids.set(keep.id, trimCentroid(centroid, stats.idfOf)), lead?.key ?? keep.lead_key, lead ? lead.title : keep.title, keep.id,
  ]);
  db.run("DELETE FROM stories WHERE id = ?", [gone.id]);
  batch.centroids.drop(gone.id);
  db.run("UPDATE story_aliases SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  db.run("INSERT OR REPLACE INTO story_aliases (id, story_id) VALUES (?, ?)", [gone.id, keep.id]);
  stale.add(keep.id);
}

function found(batch: Batch, row: ArticleRow, vector: TermVector): void {
  const id = `s${createHash("sha1").update(row.key).digest("hex").slice(0, 16)}`;
  const sources = JSON.parse(row.sources) as string[];
  batch.db.run(
    `INSERT INTO stories (id, title, lead_key, article_count, sources, source_count, post_count, first_ms, last_ms, centroid)
     VALUES (?, ?, ?, 1, ?, ?, 0, ?, ?, ?)`,
    [id, row.title, row.key, row.sources, sources.length, row.at_ms, row.at_ms, batch.centroids.set(id, vector)],
  );
  batch.db.run("UPDATE articles SET story_id = ? WHERE key = ?", [id, row.key]);
  batch.stale.add(id);
}

/** Adds the article to the story; returns the story's new centroid (untrimmed). */
function join(batch: Batch, id: string, row: ArticleRow, vector: TermVector, prepared: PreparedVector): TermVector {
  const { db, stats } = batch;
  const story = db.get<{ lead_key: string; title: string | null; lead_terms: string | null }>(
    "SELECT s.lead_key, s.title, a.terms AS lead_terms FROM stories s LEFT JOIN articles a ON a.key = s.lead_key WHERE s.id = ?",
    [id],
  )!;
  const centroid = new Map(batch.centroids.load([id]).get(id)!.vector);
  addInto(centroid, vector);
  const norm = weightedNormSq(centroid, stats.idfOf);
  // The headline shown for the story is the member closest to the centroid (the most typical telling).
  const leadSimilarity = story.lead_terms !== null
    ? preparedCosine(prepareVector(unitVector(JSON.parse(story.lead_terms) as Record<string, number>), stats.idfOf), centroid, norm)
    : -1;
  const takesLead = row.title !== null && preparedCosine(prepared, centroid, norm) > leadSimilarity;
  db.run("UPDATE stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    batch.centroids.set(id, trimCentroid(centroid, stats.idfOf)),
    takesLead ? row.key : story.lead_key,
    takesLead ? row.title : story.title,
    id,
  ]);
  db.run("UPDATE articles SET story_id = ? WHERE key = ?", [id, row.key]);
  batch.stale.add(id);
  return centroid;
}
