import { dict } from "../model/dict.js";
import { terms } from "./text.js";

/**
 * Story grouping's similarity: TF-IDF cosine between an article and a story's centroid (README "Search and
 * stories"). Pure functions over plain maps, so every index implementation groups the same way.
 *
 * - An article is its title (each word counted twice: headlines carry the event) and its summary.
 * - Term weight: (1 + ln tf), normalized to unit length per article, times the term's IDF, ln(1 + N / df),
 *   over the articles indexed so far.
 * - A story's centroid is the sum of its members' unit vectors (IDF is applied at comparison time, so a
 *   centroid stored yesterday is compared with today's IDF).
 */
export type TermVector = Map<string, number>;

/** Raw term counts of an article, as stored. */
export function articleTermCounts(title: string | null, summary: string | null): Record<string, number> {
  // Keyed by words of untrusted text ("constructor" is a word): no prototype (src/model/dict.ts).
  const counts = dict<number>();
  for (const t of terms(title ?? "")) counts[t] = (counts[t] ?? 0) + 2;
  for (const t of terms(summary ?? "")) counts[t] = (counts[t] ?? 0) + 1;
  return counts;
}

/** Sublinear term frequency, unit length. */
export function unitVector(counts: Record<string, number>): TermVector {
  const vector: TermVector = new Map();
  let norm = 0;
  for (const [term, n] of Object.entries(counts)) {
    const w = 1 + Math.log(n);
    vector.set(term, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [term, w] of vector) vector.set(term, w / norm);
  return vector;
}

export function addInto(target: TermVector, vector: TermVector): void {
  for (const [term, w] of vector) target.set(term, (target.get(term) ?? 0) + w);
}

export function idf(df: number, documents: number): number {
  return Math.log(1 + documents / Math.max(1, df));
}

/** Cosine of two vectors with every term weighted by its IDF. */
export function weightedCosine(a: TermVector, b: TermVector, idfOf: (term: string) => number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [term, w] of a) {
    const i = idfOf(term);
    const x = w * i;
    na += x * x;
    const v = b.get(term);
    if (v !== undefined) dot += x * v * i;
  }
  for (const [term, v] of b) {
    const y = v * idfOf(term);
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Σ (weight · IDF)² of a vector: the denominator half `weightedCosine` computes for `b`, kept to compare many times. */
export function weightedNormSq(b: TermVector, idfOf: (term: string) => number): number {
  let nb = 0;
  for (const [term, v] of b) {
    const y = v * idfOf(term);
    nb += y * y;
  }
  return nb;
}

/** A vector with its IDF weights looked up once, to compare with many centroids (`preparedCosine`). */
export interface PreparedVector {
  terms: Array<[term: string, weighted: number, idf: number]>;
  normSq: number;
}

export function prepareVector(a: TermVector, idfOf: (term: string) => number): PreparedVector {
  const terms: PreparedVector["terms"] = [];
  let na = 0;
  for (const [term, w] of a) {
    const i = idfOf(term);
    const x = w * i;
    na += x * x;
    terms.push([term, x, i]);
  }
  return { terms, normSq: na };
}

/**
 * `weightedCosine(a, b, idfOf)` with `a` prepared and `b`'s weighted norm known: the same operations in the same
 * order, so the same bits, without a Map lookup per term of `b`.
 */
export function preparedCosine(a: PreparedVector, b: TermVector, bNormSq: number): number {
  let dot = 0;
  for (const [term, x, i] of a.terms) {
    const v = b.get(term);
    if (v !== undefined) dot += x * v * i;
  }
  return a.normSq > 0 && bNormSq > 0 ? dot / Math.sqrt(a.normSq * bNormSq) : 0;
}

/**
 * The article's most telling terms (highest tf·idf first), among those rare enough to find candidates with:
 * a term in more than `maxDf` articles ("report", "officials") points at half the corpus.
 */
export function signature(vector: TermVector, idfOf: (term: string) => number, dfOf: (term: string) => number, maxDf: number, size: number): string[] {
  const weighted: Array<[string, number]> = [];
  for (const [term, w] of vector) if (dfOf(term) <= maxDf) weighted.push([term, w * idfOf(term)]);
  return weighted
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, size)
    .map(([term]) => term);
}

/** Centroids stored as JSON keep their heaviest terms only (a long-running story must not grow without end). */
export function trimCentroid(centroid: TermVector, idfOf: (term: string) => number, max = 300): TermVector {
  if (centroid.size <= max) return centroid;
  // Each weight times its IDF once, not once per comparison (the same products, so the same order).
  const ranked = [...centroid].map(([term, w]) => ({ term, w, key: w * idfOf(term) }));
  ranked.sort((x, y) => y.key - x.key || (x.term < y.term ? -1 : 1));
  return new Map(ranked.slice(0, max).map((r) => [r.term, r.w]));
}

export const toJson = (v: TermVector): string => JSON.stringify(Object.fromEntries(v));
export const fromJson = (text: string): TermVector => new Map(Object.entries(JSON.parse(text) as Record<string, number>));
