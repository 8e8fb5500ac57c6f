import type { SqlQueries } from "../../db/sql.js";
import type { ArticleDoc, PostDoc } from "../index.js";
import { articleTermCounts } from "../similarity.js";
import { storyUrlKey } from "../sqlite/grouping.js";
import type { PgTermStats } from "./stats.js";

/**
 * What story grouping reads (an article's terms, a post's citations) and the stories' numbers, in PostgreSQL: the
 * rules of src/search/sqlite/grouping.ts, applied a batch at a time (a few statements per batch, not per article,
 * since every statement is a round trip here). ./clustering.ts runs the grouping itself.
 */

export interface PgArticleRow { key: string; at_ms: number; url_key: string | null; sources: string; title: string | null; terms: string; story_id: string | null }

const sortedJson = (counts: Record<string, number>) =>
  JSON.stringify(Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

export const termsOf = (row: { terms: string }): string[] => Object.keys(JSON.parse(row.terms) as object);

/** `IN (…)` over a JSON array parameter: one placeholder whatever the list's length. */
export const inJson = "(SELECT jsonb_array_elements_text(?::jsonb))";

/**
 * Stores the articles' grouping terms, keeping document frequencies right when a text changed; an article that did
 * not change is not written. Returns the stories whose numbers must be recomputed (a member's sources or date changed).
 */
export async function writeArticleTerms(tx: SqlQueries, stats: PgTermStats, docs: readonly ArticleDoc[]): Promise<string[]> {
  const keys = [...new Set(docs.map((d) => d.key))];
  const rows = new Map(
    (await tx.all<PgArticleRow>(`SELECT * FROM search_articles WHERE key IN ${inJson}`, [JSON.stringify(keys)])).map((r) => [r.key, r]),
  );
  const written = new Map<string, PgArticleRow>();
  const retermed = new Set<string>();
  const moved: string[] = [];
  for (const doc of docs) {
    const counts = articleTermCounts(doc.title, doc.summaryText);
    const next: PgArticleRow = {
      key: doc.key, at_ms: doc.publishedMs, url_key: storyUrlKey(doc.canonicalUrl ?? doc.url), sources: JSON.stringify(doc.sourceIds),
      title: doc.title, terms: sortedJson(counts), story_id: null,
    };
    const before = rows.get(doc.key);
    if (!before) {
      stats.documents += 1;
      stats.add(Object.keys(counts), 1);
      retermed.add(doc.key);
    } else {
      if (before.terms !== next.terms || before.at_ms !== next.at_ms) {
        stats.add(termsOf(before), -1);
        stats.add(Object.keys(counts), 1);
        retermed.add(doc.key);
      }
      // A grouped article keeps its story when its text changes: stories are stable, a headline fix is not news.
      next.story_id = before.story_id;
      const same = before.url_key === next.url_key && before.sources === next.sources && before.title === next.title && before.terms === next.terms && before.at_ms === next.at_ms;
      if (same) continue;
      if (before.story_id && (before.sources !== next.sources || before.at_ms !== next.at_ms)) moved.push(before.story_id);
    }
    rows.set(doc.key, next);
    written.set(doc.key, next);
  }
  if (written.size === 0) return moved;
  await tx.run(
    `INSERT INTO search_articles (key, at_ms, url_key, sources, title, terms)
     SELECT r.key, r.at_ms, r.url_key, r.sources, r.title, r.terms
     FROM jsonb_to_recordset(?::jsonb) AS r(key TEXT, at_ms BIGINT, url_key TEXT, sources TEXT, title TEXT, terms TEXT)
     ON CONFLICT (key) DO UPDATE SET at_ms = excluded.at_ms, url_key = excluded.url_key, sources = excluded.sources, title = excluded.title, terms = excluded.terms`,
    [JSON.stringify([...written.values()])],
  );
  if (retermed.size) {
    await tx.run(`DELETE FROM search_article_terms WHERE article_key IN ${inJson}`, [JSON.stringify([...retermed])]);
    const terms = [...retermed].flatMap((key) => {
      const row = rows.get(key)!;
      return termsOf(row).map((term) => ({ term, at_ms: row.at_ms, key }));
    });
    await insertTerms(tx, terms);
  }
  return moved;
}

/** Grouping terms, one statement for any number (jsonb_to_recordset). */
export async function insertTerms(tx: SqlQueries, terms: ReadonlyArray<{ term: string; at_ms: number; key: string }>): Promise<void> {
  if (terms.length === 0) return;
  await tx.run(
    `INSERT INTO search_article_terms (term, at_ms, article_key)
     SELECT r.term, r.at_ms, r.key FROM jsonb_to_recordset(?::jsonb) AS r(term TEXT, at_ms BIGINT, key TEXT) ON CONFLICT DO NOTHING`,
    [JSON.stringify(terms)],
  );
}

/** Replaces the posts' citations; returns the stories whose post counts changed. */
export async function writePostCitations(tx: SqlQueries, docs: readonly PostDoc[]): Promise<string[]> {
  if (docs.length === 0) return [];
  const ids = docs.map((d) => [d.sourceId, d.id]);
  const before = new Map<string, string[]>();
  for (const r of await tx.all<{ source_id: string; post_id: string; canonical_url: string }>(
    `SELECT c.source_id, c.post_id, c.canonical_url FROM search_post_cites c
     JOIN jsonb_array_elements(?::jsonb) p ON c.source_id = p->>0 AND c.post_id = p->>1`,
    [JSON.stringify(ids)],
  )) {
    const k = `${r.source_id}\u0000${r.post_id}`;
    before.set(k, [...(before.get(k) ?? []), r.canonical_url]);
  }
  const latest = new Map(docs.map((d) => [`${d.sourceId}\u0000${d.id}`, d]));
  const touched = new Set<string>();
  const replaced: PostDoc[] = [];
  for (const [k, doc] of latest) {
    const was = before.get(k) ?? [];
    const urls = [...new Set(doc.citations)];
    if (was.length === urls.length && was.every((u) => urls.includes(u))) continue;
    replaced.push(doc);
    for (const u of [...was, ...urls]) touched.add(u);
  }
  if (replaced.length === 0) return [];
  await tx.run(
    `DELETE FROM search_post_cites c USING jsonb_array_elements(?::jsonb) p WHERE c.source_id = p->>0 AND c.post_id = p->>1`,
    [JSON.stringify(replaced.map((d) => [d.sourceId, d.id]))],
  );
  const cites = replaced.flatMap((d) => [...new Set(d.citations)].map((url) => ({ source_id: d.sourceId, post_id: d.id, thread_id: d.threadId, url })));
  if (cites.length) {
    await tx.run(
      `INSERT INTO search_post_cites (source_id, post_id, thread_id, canonical_url)
       SELECT r.source_id, r.post_id, r.thread_id, r.url FROM jsonb_to_recordset(?::jsonb) AS r(source_id TEXT, post_id TEXT, thread_id TEXT, url TEXT)`,
      [JSON.stringify(cites)],
    );
  }
  if (touched.size === 0) return [];
  return (
    await tx.all<{ story_id: string }>(`SELECT DISTINCT story_id FROM search_articles WHERE key IN ${inJson} AND story_id IS NOT NULL`, [JSON.stringify([...touched])])
  ).map((r) => r.story_id);
}

/** Recomputes stories' counts, dates and sources from their members and the citation index: two statements per batch. */
export async function refreshStories(tx: SqlQueries, ids: Iterable<string>): Promise<void> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return;
  const members = await tx.all<{ story_id: string; sources: string; at_ms: number }>(
    `SELECT story_id, sources, at_ms FROM search_articles WHERE story_id IN ${inJson} ORDER BY story_id, at_ms DESC, key`,
    [JSON.stringify(wanted)],
  );
  const byStory = new Map<string, Array<{ sources: string; at_ms: number }>>();
  for (const m of members) byStory.set(m.story_id, [...(byStory.get(m.story_id) ?? []), m]);
  const updates = [...byStory].map(([id, list]) => {
    const sources = unionSources(list.map((m) => m.sources));
    return {
      id, article_count: list.length, sources: JSON.stringify(sources), source_count: sources.length,
      first_ms: Math.min(...list.map((m) => m.at_ms)), last_ms: Math.max(...list.map((m) => m.at_ms)),
    };
  });
  if (updates.length === 0) return;
  await tx.run(
    `UPDATE search_stories s SET article_count = u.article_count, sources = u.sources, source_count = u.source_count,
       first_ms = u.first_ms, last_ms = u.last_ms,
       post_count = (SELECT COUNT(*) FROM (SELECT DISTINCT c.source_id, c.post_id FROM search_articles a
         JOIN search_post_cites c ON c.canonical_url = a.key WHERE a.story_id = s.id) x)
     FROM jsonb_to_recordset(?::jsonb) AS u(id TEXT, article_count BIGINT, sources TEXT, source_count BIGINT, first_ms BIGINT, last_ms BIGINT)
     WHERE s.id = u.id`,
    [JSON.stringify(updates)],
  );
}

function unionSources(lists: string[]): string[] {
  const all: string[] = [];
  for (const list of lists) for (const s of JSON.parse(list) as string[]) if (!all.includes(s)) all.push(s);
  return all;
}
