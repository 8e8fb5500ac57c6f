import { ALL_SOURCES, compareEntries, summaryTextOf, type IndexEntry } from "../articles/store.js";
import type { NewsLoaders } from "../loaders/index.js";
import type { ArticleRecord } from "../model/news.js";
import { checkCursorShape, type CursorKey, type Page } from "../model/paging.js";

/**
 * Article pages, read the same way by GraphQL (Query.articles, Source.articles) and the feeds (/feeds/sources):
 * the article index newest first, keyset cursors [publishedMs, key], filters, and only the page's articles loaded.
 */

export interface ArticlePageRequest {
  first: number;
  /** A cursor of another list is a CursorMismatchError (BAD_USER_INPUT in GraphQL, a 400 in feeds). */
  after?: CursorKey;
  since?: Date | null;
  until?: Date | null;
  /** Case-insensitive words that must all appear in the title, author or summary. */
  text?: string | null;
}

/** The newest-first index of some sources merged (an article in two of them once), or of all with none. */
export async function articleIndex(news: NewsLoaders, slugs: readonly string[]): Promise<IndexEntry[]> {
  if (slugs.length === 0) return news.index.load(ALL_SOURCES);
  const lists = await news.index.loadMany(slugs);
  const merged = new Map<string, IndexEntry>();
  for (const list of lists) {
    if (list instanceof Error) throw list;
    for (const e of list) merged.set(e.k, e);
  }
  return [...merged.values()].sort(compareEntries);
}

/** Index entries strictly after a [publishedMs, key] cursor. */
export function entriesAfter(entries: readonly IndexEntry[], after: CursorKey | undefined): IndexEntry[] {
  checkCursorShape(after, ["number", "string"]);
  if (!after) return [...entries];
  const at = { t: after[0] as number, k: after[1] as string };
  return entries.filter((e) => compareEntries(e, at) > 0);
}

/**
 * One page of an index after filters. Without a text filter exactly one batch of `first + 1` articles is read and
 * totalCount is every article in the window; with one, articles are read in chunks of 200 until the page is full,
 * and totalCount is what was found (plus one when there is more).
 */
export async function readArticlePage(news: NewsLoaders, entries: readonly IndexEntry[], request: ArticlePageRequest): Promise<Page<ArticleRecord>> {
  const { first, after } = request;
  const since = request.since?.getTime() ?? -Infinity;
  const until = request.until?.getTime() ?? Infinity;
  const windowed = entries.filter((e) => e.t >= since && e.t < until);
  const candidates = entriesAfter(windowed, after);
  const words = (request.text ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const picked: Array<{ entry: IndexEntry; record: ArticleRecord }> = [];
  let more = false;
  const chunkSize = words.length ? 200 : first + 1;
  for (let offset = 0; offset < candidates.length && picked.length <= first; offset += chunkSize) {
    const chunk = candidates.slice(offset, offset + chunkSize);
    const records = await news.article.loadMany(chunk.map((e) => e.k));
    chunk.forEach((entry, i) => {
      const record = records[i];
      if (!record || record instanceof Error) return;
      if (words.length && !matchesText(record, words)) return;
      if (picked.length < first) picked.push({ entry, record });
      else more = true;
    });
    if (!words.length) break;
  }
  return {
    edges: picked.map(({ entry, record }) => ({ node: record, cursor: [entry.t, entry.k] })),
    totalCount: words.length ? picked.length + (more ? 1 : 0) : windowed.length,
    hasNextPage: words.length ? more : candidates.length > first,
    hasPreviousPage: after !== undefined,
  };
}

function matchesText(record: ArticleRecord, words: string[]): boolean {
  const haystack = `${record.title ?? ""} ${record.author ?? ""} ${summaryTextOf(record) ?? ""}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}
