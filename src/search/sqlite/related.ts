import type { SqliteDatabase, SqlValue } from "../../db/sqlite.js";
import type { RelatedRecord, RelatedRequest } from "../index.js";
import { assembleRelated, chooseWords, POSTS_READ, threadKey, threadWords, type TextMatch, type ThreadLinks } from "../related-words.js";
import { quoteFts } from "./documents.js";
import type { TermStats } from "./terms.js";

/**
 * `Thread.relatedArticles`: articles the thread does not cite, first those in the same stories as its
 * citations (SAME_STORY, from the threads' most-cited story down), then articles matching the thread's title
 * and most telling words (TEXT_MATCH). Three statements per batch of threads, whatever the batch size.
 */

const threadValues = (requests: readonly RelatedRequest[]) => ({
  sql: requests.map(() => "(?, ?)").join(", "),
  params: requests.flatMap((r) => [r.sourceId, r.threadId]),
});

// Long on purpose (66 lines): three numbered steps, each one SQL statement over the same VALUES list of threads and
// each feeding the per-thread maps the next one reads; most of the length is the SQL text itself.
export function relatedArticles(db: SqliteDatabase, stats: TermStats, requests: readonly RelatedRequest[]): RelatedRecord[][] {
  if (requests.length === 0) return [];
  const values = threadValues(requests);
  const maxFirst = Math.max(...requests.map((r) => r.first));

  // 1. What each thread cites, and the other members of those stories.
  const cited = db.all<{ source_id: string; thread_id: string; key: string | null; story_id: string | null; cited: number; rn: number }>(
    `WITH threads (source_id, thread_id) AS (VALUES ${values.sql}),
     cites AS (SELECT DISTINCT c.source_id, c.thread_id, c.canonical_url FROM post_cites c JOIN threads USING (source_id, thread_id)),
     story_weight AS (
       SELECT c.source_id, c.thread_id, a.story_id, COUNT(*) AS n FROM cites c JOIN articles a ON a.key = c.canonical_url
       WHERE a.story_id IS NOT NULL GROUP BY c.source_id, c.thread_id, a.story_id
     ),
     members AS (
       SELECT w.source_id, w.thread_id, m.key, m.story_id, 0 AS cited,
         ROW_NUMBER() OVER (PARTITION BY w.source_id, w.thread_id ORDER BY w.n DESC, w.story_id, m.at_ms DESC, m.key) AS rn
       FROM story_weight w JOIN articles m ON m.story_id = w.story_id
       WHERE NOT EXISTS (SELECT 1 FROM cites c WHERE c.source_id = w.source_id AND c.thread_id = w.thread_id AND c.canonical_url = m.key)
     )
     SELECT source_id, thread_id, key, story_id, cited, rn FROM members WHERE rn <= ?
     UNION ALL SELECT source_id, thread_id, canonical_url, NULL, 1, 0 FROM cites
     ORDER BY source_id, thread_id, cited DESC, rn`,
    [...values.params, maxFirst],
  );
  const perThread = new Map<string, ThreadLinks>();
  const entry = (sourceId: string, threadId: string) => {
    const k = threadKey(sourceId, threadId);
    let e = perThread.get(k);
    if (!e) perThread.set(k, (e = { cited: new Set(), same: [] }));
    return e;
  };
  for (const row of cited) {
    const e = entry(row.source_id, row.thread_id);
    if (row.cited) e.cited.add(row.key!);
    else e.same.push({ articleKey: row.key!, reason: "SAME_STORY", storyId: row.story_id });
  }

  // 2. Each thread's words: its title counts three times, its posts once.
  const texts = db.all<{ source_id: string; thread_ref: string; kind: string; title: string; body: string }>(
    `WITH threads (source_id, thread_id) AS (VALUES ${values.sql}),
     picked AS (
       SELECT d.id, d.source_id, d.thread_ref, d.kind,
         ROW_NUMBER() OVER (PARTITION BY d.source_id, d.thread_ref ORDER BY d.kind DESC, d.at_ms, d.id) AS rn
       FROM docs d JOIN threads t ON t.source_id = d.source_id AND t.thread_id = d.thread_ref
       WHERE d.kind IN ('THREAD', 'POST')
     )
     SELECT p.source_id, p.thread_ref, p.kind, f.title, f.body FROM picked p JOIN docs_fts f ON f.rowid = p.id WHERE p.rn <= ?`,
    [...values.params, POSTS_READ + 1],
  );
  const words = threadWords(texts);

  // 3. One FTS query per thread, all in one statement: its most telling words (by TF-IDF over the articles), any of them.
  const queries = requests.map((r) => chooseWords(words.get(threadKey(r.sourceId, r.threadId)), (t) => stats.dfOf(t), (t) => stats.idfOf(t)));
  const parts: string[] = [];
  const params: SqlValue[] = [];
  queries.forEach((chosen, i) => {
    if (!chosen) return;
    const e = perThread.get(threadKey(requests[i]!.sourceId, requests[i]!.threadId));
    const limit = requests[i]!.first * 3 + (e?.cited.size ?? 0) + (e?.same.length ?? 0);
    parts.push(`SELECT * FROM (SELECT ? AS req, d.ref AS key, a.terms, a.story_id FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid
      JOIN articles a ON a.key = d.ref WHERE docs_fts MATCH ? AND d.kind = 'ARTICLE' ORDER BY docs_fts.rank LIMIT ?)`);
    params.push(i, chosen.map((c) => quoteFts(c.surface)).join(" OR "), limit);
  });
  const matches = parts.length ? db.all<TextMatch>(parts.join(" UNION ALL "), params) : [];
  return assembleRelated(requests, perThread, queries, matches);
}
