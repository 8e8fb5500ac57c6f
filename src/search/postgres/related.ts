import type { SqlQueries, SqlValue } from "../../db/sql.js";
import type { RelatedRecord, RelatedRequest } from "../index.js";
import { assembleRelated, chooseWords, POSTS_READ, threadKey, threadWords, type TextMatch, type ThreadLinks } from "../related-words.js";
import type { PgTermStats } from "./stats.js";

/**
 * `Thread.relatedArticles` on PostgreSQL: the three steps of src/search/sqlite/related.ts (the thread's stories' other
 * articles, then articles matching the thread's most telling words), three statements per batch of threads.
 * The text matches are ranked by ts_rank, not BM25, so TEXT_MATCH rows may come in another order than on SQLite.
 */
// Long on purpose (70 lines), as its SQLite twin: three numbered steps, each one SQL statement feeding what the next
// reads; most of the length is the SQL text, the pure steps are in ../related-words.ts.
export async function relatedArticles(db: SqlQueries, stats: PgTermStats, requests: readonly RelatedRequest[]): Promise<RelatedRecord[][]> {
  if (requests.length === 0) return [];
  const values = {
    sql: requests.map(() => "(?::text, ?::text)").join(", "),
    params: requests.flatMap((r) => [r.sourceId, r.threadId]),
  };
  const maxFirst = Math.max(...requests.map((r) => r.first));

  // 1. What each thread cites, and the other members of those stories.
  const cited = await db.all<{ source_id: string; thread_id: string; key: string | null; story_id: string | null; cited: number; rn: number }>(
    `WITH threads (source_id, thread_id) AS (VALUES ${values.sql}),
     cites AS (SELECT DISTINCT c.source_id, c.thread_id, c.canonical_url FROM search_post_cites c JOIN threads t ON t.source_id = c.source_id AND t.thread_id = c.thread_id),
     story_weight AS (
       SELECT c.source_id, c.thread_id, a.story_id, COUNT(*) AS n FROM cites c JOIN search_articles a ON a.key = c.canonical_url
       WHERE a.story_id IS NOT NULL GROUP BY c.source_id, c.thread_id, a.story_id
     ),
     members AS (
       SELECT w.source_id, w.thread_id, m.key, m.story_id, 0 AS cited,
         ROW_NUMBER() OVER (PARTITION BY w.source_id, w.thread_id ORDER BY w.n DESC, w.story_id, m.at_ms DESC, m.key) AS rn
       FROM story_weight w JOIN search_articles m ON m.story_id = w.story_id
       WHERE NOT EXISTS (SELECT 1 FROM cites c WHERE c.source_id = w.source_id AND c.thread_id = w.thread_id AND c.canonical_url = m.key)
     )
     SELECT source_id, thread_id, key, story_id, cited, rn FROM members WHERE rn <= ?
     UNION ALL SELECT source_id, thread_id, canonical_url, NULL, 1, 0 FROM cites
     ORDER BY source_id, thread_id, cited DESC, rn`,
    [...values.params, maxFirst],
  );
  const perThread = new Map<string, ThreadLinks>();
  for (const row of cited) {
    const k = threadKey(row.source_id, row.thread_id);
    let e = perThread.get(k);
    if (!e) perThread.set(k, (e = { cited: new Set(), same: [] }));
    if (row.cited) e.cited.add(row.key!);
    else e.same.push({ articleKey: row.key!, reason: "SAME_STORY", storyId: row.story_id });
  }

  // 2. Each thread's words: its title counts three times, its posts once.
  const texts = await db.all<{ source_id: string; thread_ref: string; kind: string; title: string; body: string }>(
    `WITH threads (source_id, thread_id) AS (VALUES ${values.sql}),
     picked AS (
       SELECT d.id, d.source_id, d.thread_ref, d.kind, d.title, d.body,
         ROW_NUMBER() OVER (PARTITION BY d.source_id, d.thread_ref ORDER BY d.kind DESC, d.at_ms, d.id) AS rn
       FROM search_docs d JOIN threads t ON t.source_id = d.source_id AND t.thread_id = d.thread_ref
       WHERE d.kind IN ('THREAD', 'POST')
     )
     SELECT source_id, thread_ref, kind, title, body FROM picked WHERE rn <= ?`,
    [...values.params, POSTS_READ + 1],
  );
  const words = threadWords(texts);

  // 3. One text query per thread, all in one statement: its most telling words (TF-IDF over the articles), any of them.
  await stats.refresh();
  const queries = requests.map((r) => chooseWords(words.get(threadKey(r.sourceId, r.threadId)), stats.dfOf, stats.idfOf));
  const parts: string[] = [];
  const params: SqlValue[] = [];
  queries.forEach((chosen, i) => {
    if (!chosen) return;
    const e = perThread.get(threadKey(requests[i]!.sourceId, requests[i]!.threadId));
    const limit = requests[i]!.first * 3 + (e?.cited.size ?? 0) + (e?.same.length ?? 0);
    parts.push(`SELECT * FROM (SELECT ?::int AS req, d.ref AS key, a.terms, a.story_id FROM search_docs d JOIN search_articles a ON a.key = d.ref
      WHERE d.tsv @@ websearch_to_tsquery('english', ?) AND d.kind = 'ARTICLE'
      ORDER BY ts_rank('{0.125, 0.125, 0.25, 1.0}', d.tsv, websearch_to_tsquery('english', ?), 1) DESC, d.id LIMIT ?) x`);
    const text = chosen.map((c) => `"${c.surface}"`).join(" or ");
    params.push(i, text, text, limit);
  });
  const matches = parts.length
    ? await db.all<TextMatch>(parts.join(" UNION ALL "), params)
    : [];

  return assembleRelated(requests, perThread, queries, matches);
}
