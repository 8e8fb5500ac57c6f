import type { CursorKey, Page, PageRequest } from "../model/paging.js";
import { CursorMismatchError } from "../model/paging.js";

/**
 * Relay pages over a list already in memory, in list order (the remote forum adapters keep their lists in
 * keyv as arrays). Same semantics as forum-local's SQL pages: `after`/`before` are exclusive sort keys,
 * `first` pages forwards, `last` backwards, `totalCount` is the whole list.
 */
export function pageOf<T>(
  items: readonly T[],
  request: PageRequest,
  cursorOf: (item: T) => CursorKey,
  shape: ReadonlyArray<"number" | "string">,
  direction: "ASC" | "DESC" = "ASC",
): Page<T> {
  const sign = direction === "ASC" ? 1 : -1;
  const order = (item: T, key: CursorKey) => sign * compareKeys(cursorOf(item), key);
  for (const [name, cursor] of [["after", request.after], ["before", request.before]] as const) {
    if (cursor && (cursor.length !== shape.length || cursor.some((v, i) => typeof v !== shape[i] && !(shape[i] === "string" && typeof v === "number")))) {
      throw new CursorMismatchError(name);
    }
  }
  let start = 0;
  let end = items.length;
  if (request.after) {
    const after = request.after;
    while (start < end && order(items[start]!, after) <= 0) start += 1;
  }
  if (request.before) {
    const before = request.before;
    while (end > start && order(items[end - 1]!, before) >= 0) end -= 1;
  }
  const backwards = request.last !== undefined;
  const size = backwards ? request.last! : request.first ?? 20;
  const window = backwards ? items.slice(Math.max(start, end - size), end) : items.slice(start, Math.min(end, start + size));
  const more = end - start > window.length;
  return {
    edges: window.map((node) => ({ node, cursor: cursorOf(node) })),
    hasNextPage: backwards ? request.before !== undefined : more,
    hasPreviousPage: backwards ? more : request.after !== undefined,
    totalCount: items.length,
  };
}

/**
 * Order of two sort keys as the list stores them: components compared in turn; numbers numerically, strings
 * of digits by value, other strings by code unit (ISO times sort as text). A number compared with a string (the river asks with
 * `Number.MAX_SAFE_INTEGER` as "past every id") compares as the larger when it is MAX_SAFE_INTEGER.
 */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValue(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareValue(x: string | number, y: string | number): number {
  if (typeof x === "number" && typeof y === "number") return x - y;
  if (x === Number.MAX_SAFE_INTEGER) return 1;
  if (y === Number.MAX_SAFE_INTEGER) return -1;
  const a = String(x);
  const b = String(y);
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
