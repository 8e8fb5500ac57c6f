import type { RelatedRecord, RelatedRequest } from "./index.js";
import { fold, terms as groupingTerms } from "./text.js";

/**
 * The index-independent half of `Thread.relatedArticles` (src/search/sqlite/related.ts, src/search/postgres/related.ts):
 * a thread's words, the most telling of them, and the final list from what the index
 * found. Pure functions, so both indexes answer alike.
 */

/** Words taken from a thread for TEXT_MATCH, and how many of them an article must share to count. */
export const QUERY_WORDS = 6;
export const MIN_SHARED = 2;
/** Posts of a thread read for its words (the first ones: they set the topic). */
export const POSTS_READ = 100;

export const threadKey = (sourceId: string, threadId: string) => `${sourceId}\u0000${threadId}`;

export type WordBag = Map<string, { n: number; surface: Map<string, number> }>;
export interface ChosenWord { term: string; weight: number; surface: string }
export interface ThreadLinks { cited: Set<string>; same: RelatedRecord[] }
export interface TextMatch { req: number; key: string; terms: string; story_id: string | null }

/** Each thread's grouping terms with their counts and surface forms: its title counts three times, its posts once. */
export function threadWords(rows: ReadonlyArray<{ source_id: string; thread_ref: string; kind: string; title: string; body: string }>): Map<string, WordBag> {
  const words = new Map<string, WordBag>();
  for (const row of rows) {
    const k = threadKey(row.source_id, row.thread_ref);
    const bag: WordBag = words.get(k) ?? new Map();
    words.set(k, bag);
    const text = row.kind === "THREAD" ? `${row.title} ${row.title} ${row.title}` : row.body;
    for (const surface of fold(text).match(/[\p{L}\p{N}]+/gu) ?? []) {
      const [term] = groupingTerms(surface);
      if (!term) continue;
      const slot = bag.get(term) ?? { n: 0, surface: new Map() };
      slot.n += 1;
      slot.surface.set(surface, (slot.surface.get(surface) ?? 0) + 1);
      bag.set(term, slot);
    }
  }
  return words;
}

/** A thread's most telling words by TF-IDF over the articles; null when fewer than MIN_SHARED are known to them. */
export function chooseWords(bag: WordBag | undefined, dfOf: (term: string) => number, idfOf: (term: string) => number): ChosenWord[] | null {
  if (!bag) return null;
  const chosen = [...bag]
    .filter(([term]) => dfOf(term) > 0)
    .map(([term, slot]) => ({ term, weight: (1 + Math.log(slot.n)) * idfOf(term), surface: mostUsed(slot.surface) }))
    .sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1))
    .slice(0, QUERY_WORDS);
  return chosen.length >= MIN_SHARED ? chosen : null;
}

/** Each thread's list: SAME_STORY first, then text matches sharing at least MIN_SHARED chosen words, nothing cited. */
export function assembleRelated(
  requests: readonly RelatedRequest[],
  links: ReadonlyMap<string, ThreadLinks>,
  queries: ReadonlyArray<ChosenWord[] | null>,
  matches: readonly TextMatch[],
): RelatedRecord[][] {
  return requests.map((r, i) => {
    const e = links.get(threadKey(r.sourceId, r.threadId)) ?? { cited: new Set<string>(), same: [] };
    const out = e.same.slice(0, r.first);
    const taken = new Set([...e.cited, ...out.map((x) => x.articleKey)]);
    const chosen = new Set((queries[i] ?? []).map((c) => c.term));
    for (const m of matches) {
      if (out.length >= r.first) break;
      if (m.req !== i || taken.has(m.key)) continue;
      const shared = Object.keys(JSON.parse(m.terms) as object).filter((t) => chosen.has(t)).length;
      if (shared < MIN_SHARED) continue;
      out.push({ articleKey: m.key, reason: "TEXT_MATCH", storyId: m.story_id });
      taken.add(m.key);
    }
    return out;
  });
}

function mostUsed(surfaces: Map<string, number>): string {
  return [...surfaces].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}
