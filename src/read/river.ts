import type { IndexEntry } from "../articles/store.js";
import type { NewsLoaders } from "../loaders/index.js";
import { checkCursorShape, CursorMismatchError, type CursorKey } from "../model/paging.js";
import { articleIndex } from "./articles.js";

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
 * The article half of a river page: up to `limit + 1` index entries of some sources (all with none) beyond the
 * cursor, and how many articles those sources hold in all.
 */
export async function riverArticles(
  news: NewsLoaders,
  slugs: readonly string[],
  cursor: RiverKey | null,
  limit: number,
): Promise<{ entries: IndexEntry[]; total: number }> {
  const index = await articleIndex(news, slugs);
  const entries: IndexEntry[] = [];
  for (const e of index) {
    if (cursor && compareRiver({ t: e.t, kind: 0, key: e.k }, cursor) <= 0) continue;
    entries.push(e);
    if (entries.length > limit) break;
  }
  return { entries, total: index.length };
}
