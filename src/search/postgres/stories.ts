import type { SqlQueries, SqlValue } from "../../db/sql.js";
import type { BatchResult } from "../../model/forum.js";
import type { Page, PageRequest } from "../../model/paging.js";
import { loadPagesAsync, type ListSpec } from "../../../sources/forum-local/paging.js";
import type { StoriesRequest, StoryRecord, ThreadRef } from "../index.js";
import { toStory } from "../sqlite/stories.js";
import { inJson } from "./grouping.js";

/** Reads of stories on PostgreSQL (the queries of src/search/sqlite/stories.ts over the search_* tables). */

type StoryRow = Parameters<typeof toStory>[0];

const STORY_COLUMNS = "s.id, s.title, s.lead_key, s.article_count, s.sources, s.source_count, s.post_count, s.first_ms, s.last_ms";

/** By id, following merges: the id of a story merged into another answers with the surviving story. */
export async function storiesByIds(db: SqlQueries, ids: readonly string[]): Promise<BatchResult<StoryRecord>> {
  const wanted = [...new Set(ids)];
  const rows = wanted.length
    ? await db.all<StoryRow & { asked: string }>(
        `SELECT w.asked, ${STORY_COLUMNS} FROM jsonb_array_elements_text(?::jsonb) AS w(asked)
         JOIN search_stories s ON s.id = COALESCE((SELECT al.story_id FROM search_story_aliases al WHERE al.id = w.asked), w.asked)`,
        [JSON.stringify(wanted)],
      )
    : [];
  const byId = new Map(rows.map((r) => [r.asked, toStory(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function storiesByArticles(db: SqlQueries, keys: readonly string[]): Promise<BatchResult<StoryRecord>> {
  const wanted = [...new Set(keys)];
  const rows = wanted.length
    ? await db.all<StoryRow & { article_key: string }>(
        `SELECT a.key AS article_key, ${STORY_COLUMNS} FROM search_articles a JOIN search_stories s ON s.id = a.story_id WHERE a.key IN ${inJson}`,
        [JSON.stringify(wanted)],
      )
    : [];
  const byKey = new Map(rows.map((r) => [r.article_key, toStory(r)]));
  return keys.map((k) => byKey.get(k) ?? null);
}

const STORY_ARTICLES: ListSpec<{ key: string; at_ms: number }, string> = {
  table: "search_articles", parentColumn: "story_id", orderBy: ["at_ms", "key"], direction: "DESC",
  toRecord: (r) => r.key, cursorOf: (r) => [r.at_ms, r.key],
};

export function storyArticlePages(db: SqlQueries, requests: readonly PageRequest[]): Promise<Array<Page<string> | Error>> {
  return loadPagesAsync(db, STORY_ARTICLES, requests);
}

const STORY_THREADS: ListSpec<{ source_id: string; thread_id: string; n: number }, ThreadRef> = {
  // A view (./migrations.ts): PostgreSQL 15 wants an alias on a subquery in FROM, which the paging SQL does not give.
  table: "search_story_threads",
  parentColumn: "story_id", orderBy: ["n", "source_id", "thread_id"], direction: "DESC",
  toRecord: (r) => ({ sourceId: r.source_id, threadId: r.thread_id, postCount: r.n }),
  cursorOf: (r) => [r.n, r.source_id, r.thread_id],
};

export function storyThreadPages(db: SqlQueries, requests: readonly PageRequest[]): Promise<Array<Page<ThreadRef> | Error>> {
  return loadPagesAsync(db, STORY_THREADS, requests);
}

/** The ranked list: distinct sources + citing posts, then the newest article, then id (src/search/sqlite/stories.ts). */
export async function storyPage(db: SqlQueries, request: StoriesRequest): Promise<Page<StoryRecord>> {
  const first = request.first ?? 20;
  const since = request.sinceMs ?? -8.64e15;
  const after = request.after;
  const cursor = after ? "WHERE (weight, last_ms, id) < (?, ?, ?)" : "";
  const params: SqlValue[] = [since, ...((after ?? []) as SqlValue[]), first + 1];
  const rows = await db.all<StoryRow & { weight: number; total: number }>(
    `WITH listed AS (SELECT ${STORY_COLUMNS}, s.source_count + s.post_count AS weight FROM search_stories s WHERE s.last_ms >= ?),
     counted AS (SELECT listed.*, COUNT(*) OVER () AS total FROM listed)
     SELECT * FROM counted ${cursor} ORDER BY weight DESC, last_ms DESC, id DESC LIMIT ?`,
    params,
  );
  let totalCount = rows[0]?.total ?? 0;
  if (rows.length === 0 && after) totalCount = (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM search_stories WHERE last_ms >= ?", [since]))!.n;
  return {
    edges: rows.slice(0, first).map((r) => ({ node: toStory(r), cursor: [r.weight, r.last_ms, r.id] })),
    hasNextPage: rows.length > first,
    hasPreviousPage: after !== undefined,
    totalCount,
  };
}
