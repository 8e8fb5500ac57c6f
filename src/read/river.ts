import type { IndexEntry } from "../articles/store.js";
import type { NewsLoaders } from "../loaders/index.js";
import { checkCursorShape, CursorMismatchError, type CursorKey } from "../model/paging.js";
import { listSources } from "./articles.js";

/**
 * The river (Query.river and /feeds/river): articles and posts merged newest first. Both transports order, cursor
 * and read the article half the same way, here; cursors are [publishedMs, kind, key], so a feed's `next` cursor is
 * one GraphQL's river accepts too.
 */
export interface RiverKey {
  t: number;
  /** 0 article, 1 post: articles first among equal times. */
  kind: 0 | 1;
  key: string;
}

/** River order: newest first, then articles before posts, then by key. */
export function compareRiver(a: RiverKey, b: RiverKey): number {
  return b.t - a.t || a.kind - b.kind || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A decoded `after` as a river position; a cursor of another list is a CursorMismatchError. */
export function riverCursor(after: CursorKey | undefined): RiverKey | null {
  checkCursorShape(after, ["number", "number", "string"]);
  if (!after) return null;
  if (after[1] !== 0 && after[1] !== 1) throw new CursorMismatchError("after");
  return { t: after[0] as number, kind: after[1], key: after[2] as string };
}

export function riverCursorKey(key: RiverKey): CursorKey {
  return [key.t, key.kind, key.key];
}

/**
 * The article half of a river page: up to `limit + 1` list entries of some sources (all with none) beyond the
 * cursor (a keyset query), and how many articles those sources hold in all.
 */
export async function riverArticles(
  news: NewsLoaders,
  slugs: readonly string[],
  cursor: RiverKey | null,
  limit: number,
): Promise<{ entries: IndexEntry[]; total: number }> {
  const sourceIds = listSources({ slugs });
  // Beyond an article cursor: later in (time, key) order; beyond a post cursor: older (articles come first at a time).
  const position = cursor ? (cursor.kind === 0 ? { after: { t: cursor.t, k: cursor.key } } : { until: cursor.t }) : {};
  const [entries, total] = await Promise.all([
    news.list.load({ sourceIds, ...position, limit: limit + 1 }),
    news.count.load({ sourceIds }),
  ]);
  return { entries, total };
}
