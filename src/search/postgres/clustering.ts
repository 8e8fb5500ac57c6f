import { createHash } from "node:crypto";
import type { SqlQueries } from "../../db/sql.js";
import {
  addInto, fromJson, prepareVector, preparedCosine, toJson, trimCentroid, unitVector, weightedCosine, weightedNormSq,
  type PreparedVector, type TermVector,
} from "../similarity.js";
import { bestCandidate, MAX_CANDIDATES, signatureTerms, storyToMerge, type Candidate } from "../clustering-rules.js";
import type { GroupingOptions } from "../sqlite/grouping.js";
import { inJson, refreshStories, type PgArticleRow } from "./grouping.js";
import type { PgTermStats } from "./stats.js";

/**
 * Story grouping (rules: src/search/sqlite/grouping.ts) on PostgreSQL: the same steps as src/search/sqlite/clustering.ts
 * with the same pure functions (../similarity.ts), so the same input gives the same stories. The caller runs it inside
 * PgTermStats.write: under the cluster-wide lock, so an article is grouped once, by one gateway. Centroids are read
 * from the table when compared (no per-process cache: another gateway may have changed them since).
 */

interface Batch {
  tx: SqlQueries;
  stats: PgTermStats;
  options: GroupingOptions;
  stale: Set<string>;
}

/** Groups up to `limit` ungrouped articles, oldest first. */
export async function groupPending(tx: SqlQueries, stats: PgTermStats, options: GroupingOptions, limit: number): Promise<number> {
  const rows = await tx.all<PgArticleRow>("SELECT * FROM search_articles WHERE story_id IS NULL ORDER BY at_ms, key LIMIT ?", [limit]);
  const batch: Batch = { tx, stats, options, stale: new Set() };
  for (const row of rows) await groupOne(batch, row);
  await refreshStories(tx, batch.stale);
  return rows.length;
}

async function groupOne(batch: Batch, row: PgArticleRow): Promise<void> {
  const { tx, stats, options } = batch;
  const vector = unitVector(JSON.parse(row.terms) as Record<string, number>);
  const sameUrl = row.url_key
    ? await tx.get<{ story_id: string }>(
        "SELECT story_id FROM search_articles WHERE url_key = ? AND key <> ? AND story_id IS NOT NULL ORDER BY at_ms, key LIMIT 1",
        [row.url_key, row.key],
      )
    : undefined;
  const prepared = prepareVector(vector, stats.idfOf);
  if (sameUrl) {
    await join(batch, sameUrl.story_id, row, vector, prepared);
    return;
  }
  const candidates = await candidateStories(batch, row, vector, prepared);
  const best = bestCandidate(candidates, options.threshold);
  if (!best) {
    await found(batch, row, vector);
    return;
  }
  const centroid = await join(batch, best.id, row, vector, prepared);
  const other = storyToMerge(candidates, best, centroid, options.threshold, stats.idfOf);
  if (other) await mergeStories(batch, best.id, other);
}

async function loadCentroids(tx: SqlQueries, ids: readonly string[]): Promise<Map<string, TermVector>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.all<{ id: string; centroid: string }>(`SELECT id, centroid FROM search_stories WHERE id IN ${inJson}`, [JSON.stringify(ids)]);
  return new Map(rows.map((r) => [r.id, fromJson(r.centroid)]));
}

async function candidateStories(batch: Batch, row: PgArticleRow, vector: TermVector, prepared: PreparedVector): Promise<Candidate[]> {
  const { tx, stats, options } = batch;
  const terms = signatureTerms(vector, stats);
  if (terms.length === 0) return [];
  const ids = (
    await tx.all<{ story_id: string }>(
      // Each term row looks its article up by key (LATERAL … OFFSET 0 keeps the planner from a hash join over every
      // article, whose rows carry their terms: 2–4× slower at 10,000 articles).
      `SELECT a.story_id, COUNT(*) AS shared FROM search_article_terms t
       CROSS JOIN LATERAL (SELECT story_id FROM search_articles WHERE key = t.article_key OFFSET 0) a
       WHERE t.term IN ${inJson} AND t.at_ms BETWEEN ? AND ? AND a.story_id IS NOT NULL
       GROUP BY a.story_id ORDER BY shared DESC, a.story_id LIMIT ?`,
      [JSON.stringify(terms), row.at_ms - options.windowMs, row.at_ms + options.windowMs, MAX_CANDIDATES],
    )
  )
    .map((c) => c.story_id)
    .sort();
  const centroids = await loadCentroids(tx, ids);
  return ids.flatMap((id) => {
    const c = centroids.get(id);
    return c ? [{ id, centroid: c, similarity: preparedCosine(prepared, c, weightedNormSq(c, stats.idfOf)) }] : [];
  });
}

/** Moves every article of one story into the other (the older story survives); the loser's id becomes an alias. */
async function mergeStories(batch: Batch, a: string, b: string): Promise<void> {
  const { tx, stats, stale } = batch;
  await refreshStories(tx, [a, b].filter((id) => stale.delete(id)));
  const [keep, gone] = await tx.all<{ id: string; lead_key: string; title: string | null }>(
    "SELECT id, lead_key, title FROM search_stories WHERE id IN (?, ?) ORDER BY first_ms, id",
    [a, b],
  );
  if (!keep || !gone) return;
  const both = await loadCentroids(tx, [keep.id, gone.id]);
  const centroid = new Map(both.get(keep.id)!);
  addInto(centroid, both.get(gone.id)!);
  const lead = (
    await tx.all<{ key: string; title: string | null; terms: string }>("SELECT key, title, terms FROM search_articles WHERE key IN (?, ?) ORDER BY key", [keep.lead_key, gone.lead_key])
  )
    .map((l) => ({ l, s: weightedCosine(unitVector(JSON.parse(l.terms) as Record<string, number>), centroid, stats.idfOf) }))
    .sort((x, y) => y.s - x.s)[0]?.l;
  await tx.run("UPDATE search_articles SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  await tx.run("UPDATE search_stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    toJson(trimCentroid(centroid, stats.idfOf)), lead?.key ?? keep.lead_key, lead ? lead.title : keep.title, keep.id,
  ]);
  await tx.run("DELETE FROM search_stories WHERE id = ?", [gone.id]);
  await tx.run("UPDATE search_story_aliases SET story_id = ? WHERE story_id = ?", [keep.id, gone.id]);
  await tx.run(
    "INSERT INTO search_story_aliases (id, story_id) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET story_id = excluded.story_id",
    [gone.id, keep.id],
  );
  stale.add(keep.id);
}

async function found(batch: Batch, row: PgArticleRow, vector: TermVector): Promise<void> {
  const id = `s${createHash("sha1").update(row.key).digest("hex").slice(0, 16)}`;
  const sources = JSON.parse(row.sources) as string[];
  await batch.tx.run(
    `INSERT INTO search_stories (id, title, lead_key, article_count, sources, source_count, post_count, first_ms, last_ms, centroid)
     VALUES (?, ?, ?, 1, ?, ?, 0, ?, ?, ?)`,
    [id, row.title, row.key, row.sources, sources.length, row.at_ms, row.at_ms, toJson(vector)],
  );
  await batch.tx.run("UPDATE search_articles SET story_id = ? WHERE key = ?", [id, row.key]);
  batch.stale.add(id);
}

/** Adds the article to the story; returns the story's new centroid (untrimmed). */
async function join(batch: Batch, id: string, row: PgArticleRow, vector: TermVector, prepared: PreparedVector): Promise<TermVector> {
  const { tx, stats } = batch;
  const story = (await tx.get<{ lead_key: string; title: string | null; lead_terms: string | null; centroid: string }>(
    "SELECT s.lead_key, s.title, s.centroid, a.terms AS lead_terms FROM search_stories s LEFT JOIN search_articles a ON a.key = s.lead_key WHERE s.id = ?",
    [id],
  ))!;
  const centroid = fromJson(story.centroid);
  addInto(centroid, vector);
  const norm = weightedNormSq(centroid, stats.idfOf);
  const leadSimilarity = story.lead_terms !== null
    ? preparedCosine(prepareVector(unitVector(JSON.parse(story.lead_terms) as Record<string, number>), stats.idfOf), centroid, norm)
    : -1;
  const takesLead = row.title !== null && preparedCosine(prepared, centroid, norm) > leadSimilarity;
  await tx.run("UPDATE search_stories SET centroid = ?, lead_key = ?, title = ? WHERE id = ?", [
    toJson(trimCentroid(centroid, stats.idfOf)),
    takesLead ? row.key : story.lead_key,
    takesLead ? row.title : story.title,
    id,
  ]);
  await tx.run("UPDATE search_articles SET story_id = ? WHERE key = ?", [id, row.key]);
  batch.stale.add(id);
  return centroid;
}
