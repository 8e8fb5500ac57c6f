import type { SqlQueries, SqlValue } from "../db/sql.js";
import type { PostRecord } from "../model/forum.js";
import { CursorMismatchError, type CursorKey, type Page, type PageRequest } from "../model/paging.js";
import { toRecord, type PostRow } from "./post-rows.js";

/**
 * A source's newest posts (the river's page of a remote forum): a keyset read of the (source, created_at, post_id) index
 * with LIMIT, and `totalCount` from the source's counter row, so the page costs the same at any number of stored posts
 * (the generic pager, sources/forum-local/paging.ts, counts the parent's rows: here, the whole source).
 */
export async function recentPage(db: SqlQueries, sourceId: string, request: PageRequest, totalCount: number): Promise<Page<PostRecord>> {
  const { after, before } = request;
  for (const [name, cursor] of [["after", after], ["before", before]] as const) {
    if (cursor && (cursor.length !== 2 || cursor.some((v) => typeof v !== "string"))) throw new CursorMismatchError(name);
  }
  const backwards = request.last !== undefined && request.first === undefined;
  const limit = (backwards ? request.last : request.first) ?? Number.MAX_SAFE_INTEGER - 1;
  const conditions: string[] = [];
  const params: SqlValue[] = [sourceId];
  if (after) {
    conditions.push(" AND (created_at, post_id) < (?, ?)");
    params.push(...(after as string[]));
  }
  if (before) {
    conditions.push(" AND (created_at, post_id) > (?, ?)");
    params.push(...(before as string[]));
  }
  const order = backwards ? "ASC" : "DESC";
  const rows = await db.all<PostRow>(
    `SELECT * FROM remote_posts WHERE source_id = ?${conditions.join("")} ORDER BY created_at ${order}, post_id ${order} LIMIT ?`,
    [...params, limit + 1],
  );
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  if (backwards) page.reverse();
  return {
    edges: page.map((row) => ({ node: toRecord(row), cursor: [row.created_at, row.post_id] as CursorKey })),
    hasNextPage: backwards ? before !== undefined : more,
    hasPreviousPage: backwards ? more : after !== undefined,
    totalCount,
  };
}
