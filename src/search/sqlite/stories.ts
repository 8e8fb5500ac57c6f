import { placeholders, type SqliteDatabase, type SqlValue } from "../../db/sqlite.js";
import type { BatchResult } from "../../model/forum.js";
import type { Page, PageRequest } from "../../model/paging.js";
import { loadPages, type ListSpec } from "../../../sources/forum-local/paging.js";
import type { StoriesRequest, StoryRecord, ThreadRef } from "../index.js";

/** Reads of stories: by id, by member article, their articles and citing threads, and the ranked list. */

interface StoryRow {
  id: string; title: string | null; lead_key: string; article_count: number; sources: string; source_count: number;
  post_count: number; first_ms: number; last_ms: number;
}

export const toStory = (r: StoryRow): StoryRecord => ({
  id: r.id, title: r.title, leadKey: r.lead_key, articleCount: r.article_count, sourceCount: r.source_count,
  postCount: r.post_count, firstMs: r.first_ms, lastMs: r.last_ms, sourceIds: JSON.parse(r.sources) as string[],
});

const STORY_COLUMNS = "s.id, s.title, s.lead_key, s.article_count, s.sources, s.source_count, s.post_count, s.first_ms, s.last_ms";

/** By id, following merges: the id of a story merged into another answers with the surviving story. */
export function storiesByIds(db: SqliteDatabase, ids: readonly string[]): BatchResult<StoryRecord> {
  const wanted = [...new Set(ids)];
  const rows = wanted.length
    ? db.all<StoryRow & { asked: string }>(
        `SELECT w.value AS asked, ${STORY_COLUMNS} FROM json_each(?) w
         JOIN stories s ON s.id = COALESCE((SELECT al.story_id FROM story_aliases al WHERE al.id = w.value), w.value)`,
        [JSON.stringify(wanted)],
      )
    : [];
  const byId = new Map(rows.map((r) => [r.asked, toStory(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export function storiesByArticles(db: SqliteDatabase, keys: readonly string[]): BatchResult<StoryRecord> {
  const wanted = [...new Set(keys)];
  const rows = wanted.length
    ? db.all<StoryRow & { article_key: string }>(
        `SELECT a.key AS article_key, ${STORY_COLUMNS} FROM articles a JOIN stories s ON s.id = a.story_id WHERE a.key IN (${placeholders(wanted.length)})`,
        wanted,
      )
    : [];
  const byKey = new Map(rows.map((r) => [r.article_key, toStory(r)]));
  return keys.map((k) => byKey.get(k) ?? null);
}

const STORY_ARTICLES: ListSpec<{ key: string; at_ms: number }, string> = {
  table: "articles", parentColumn: "story_id", orderBy: ["at_ms", "key"], direction: "DESC",
  toRecord: (r) => r.key, cursorOf: (r) => [r.at_ms, r.key],
};

export function storyArticlePages(db: SqliteDatabase, requests: readonly PageRequest[]): Array<Page<string> | Error> {
  return loadPages(db, STORY_ARTICLES, requests);
}

// Threads citing a story: one row per (story, thread) with its number of citing posts.
const STORY_THREADS: ListSpec<{ source_id: string; thread_id: string; n: number }, ThreadRef> = {
  table: `(SELECT a.story_id, c.source_id, c.thread_id, COUNT(DISTINCT c.post_id) AS n
           FROM articles a JOIN post_cites c ON c.canonical_url = a.key WHERE a.story_id IS NOT NULL
           GROUP BY a.story_id, c.source_id, c.thread_id)`,
  parentColumn: "story_id", orderBy: ["n", "source_id", "thread_id"], direction: "DESC",
  toRecord: (r) => ({ sourceId: r.source_id, threadId: r.thread_id, postCount: r.n }),
  cursorOf: (r) => [r.n, r.source_id, r.thread_id],
};

export function storyThreadPages(db: SqliteDatabase, requests: readonly PageRequest[]): Array<Page<ThreadRef> | Error> {
  return loadPages(db, STORY_THREADS, requests);
}

/**
 * The ranked list: weight = distinct sources + citing posts (a story three outlets and twelve posts carry
 * outranks one outlet's scoop), then the newest article, then id. `since` keeps stories with an article at
 * or after it.
 */
export function storyPage(db: SqliteDatabase, request: StoriesRequest): Page<StoryRecord> {
  const first = request.first ?? 20;
  const since = request.sinceMs ?? -8.64e15;
  const after = request.after;
  const cursor = after ? "WHERE (weight, last_ms, id) < (?, ?, ?)" : "";
  const params: SqlValue[] = [since, ...((after ?? []) as SqlValue[]), first + 1];
  const rows = db.all<StoryRow & { weight: number; total: number }>(
    `WITH listed AS (SELECT ${STORY_COLUMNS}, s.source_count + s.post_count AS weight FROM stories s WHERE s.last_ms >= ?),
     counted AS (SELECT listed.*, COUNT(*) OVER () AS total FROM listed)
     SELECT * FROM counted ${cursor} ORDER BY weight DESC, last_ms DESC, id DESC LIMIT ?`,
    params,
  );
  let totalCount = rows[0]?.total ?? 0;
  if (rows.length === 0 && after) totalCount = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM stories WHERE last_ms >= ?", [since])!.n;
  return {
    edges: rows.slice(0, first).map((r) => ({ node: toStory(r), cursor: [r.weight, r.last_ms, r.id] })),
    hasNextPage: rows.length > first,
    hasPreviousPage: after !== undefined,
    totalCount,
  };
}
