import { addInto, signature, unitVector, weightedCosine, type TermVector } from "./similarity.js";

/**
 * The decisions of story grouping that do not depend on where the index lives: which stories an article is compared
 * with, which one it joins, and which other one that join shows to be the same story. The SQLite index
 * (./sqlite/clustering.ts) and the PostgreSQL one (./postgres/clustering.ts) read and write their own tables around
 * these, so the same input gives the same stories on both.
 */

/** Terms kept per article to look up candidates with, and candidate stories compared per article. */
export const SIGNATURE_SIZE = 12;
export const MAX_CANDIDATES = 40;

export interface Candidate {
  id: string;
  centroid: TermVector;
  similarity: number;
}

/** The terms an article looks candidate stories up by: its most telling ones, leaving out those in over 5 % of articles. */
export function signatureTerms(vector: TermVector, stats: { documents: number; idfOf(term: string): number; dfOf(term: string): number }): string[] {
  const maxDf = Math.max(20, Math.ceil(stats.documents * 0.05));
  return signature(vector, stats.idfOf, stats.dfOf, maxDf, SIGNATURE_SIZE);
}

/** The story the article joins: the most similar candidate at or above the threshold; null: it starts a story of its own. */
export function bestCandidate(candidates: readonly Candidate[], threshold: number): Candidate | null {
  const best = candidates.reduce<Candidate | null>((b, c) => (!b || c.similarity > b.similarity ? c : b), null);
  return best && best.similarity >= threshold ? best : null;
}

/**
 * Single-pass clustering splits a story whose first two tellings share few words. An article that belongs to two stories
 * (as similar to the second as a member must be), or whose arrival brings the two centroids that close, shows they are
 * one: the story to merge into `best` (whose centroid now includes the article), or null. One merge per article: the
 * merged centroid is compared again when the next article comes.
 */
export function storyToMerge(
  candidates: readonly Candidate[], best: Candidate, centroid: TermVector, threshold: number, idfOf: (term: string) => number,
): string | null {
  for (const other of candidates) {
    if (other.id === best.id || other.similarity < threshold / 2) continue;
    if (other.similarity >= threshold || weightedCosine(centroid, other.centroid, idfOf) >= threshold) return other.id;
  }
  return null;
}

export interface Member {
  key: string;
  title: string | null;
  /** The article's grouping terms, as stored (JSON of term → weight). */
  terms: string;
}

/**
 * A story after some of its articles left (deletions): its centroid is the sum of the members left (untrimmed), and its
 * headline stays unless it was a departed member's, in which case it is the member closest to the new centroid (the
 * most typical telling). `members` is not empty.
 */
export function reshapedStory(
  members: readonly Member[], lead: { key: string; title: string | null }, idfOf: (term: string) => number,
): { centroid: TermVector; lead: { key: string; title: string | null } } {
  const vectors = members.map((m) => unitVector(JSON.parse(m.terms) as Record<string, number>));
  const centroid: TermVector = new Map();
  for (const v of vectors) addInto(centroid, v);
  if (members.some((m) => m.key === lead.key)) return { centroid, lead };
  let best = -Infinity;
  let chosen = lead;
  members.forEach((m, i) => {
    const similarity = m.title === null ? -1 : weightedCosine(vectors[i]!, centroid, idfOf);
    if (similarity > best) {
      best = similarity;
      chosen = { key: m.key, title: m.title };
    }
  });
  return { centroid, lead: chosen };
}
