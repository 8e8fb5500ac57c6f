import { ALL_SOURCES, summaryTextOf, type IndexEntry } from "../articles/store.js";
import type { NewsLoaders } from "../loaders/index.js";
import type { ArticleRecord } from "../model/news.js";
import { checkCursorShape, type CursorKey, type Page } from "../model/paging.js";

/**
 * Article pages, read the same way by GraphQL (Query.articles, Source.articles) and the feeds (/feeds/sources):
 * a newest-first list as keyset queries (src/articles/lists.ts), cursors [publishedMs, key], filters, and only the
 * page's articles loaded. Nothing here reads in proportion to the store.
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

/** Which articles a page lists: those of some sources (an article in two of them once), or all published with none. */
export interface ArticleList {
  readonly slugs: readonly string[];
}

/** The list of some sources' articles, or of all with none (read by readArticlePage). */
export async function articleIndex(_news: NewsLoaders, slugs: readonly string[]): Promise<ArticleList> {
  return { slugs: [...slugs] };
}

export function listSources(list: ArticleList): string[] {
  return list.slugs.length ? [...list.slugs] : [ALL_SOURCES];
}

/** A [publishedMs, key] cursor as a list position. */
export function entryOfCursor(after: CursorKey | undefined): IndexEntry | null {
  checkCursorShape(after, ["number", "string"]);
  return after ? { t: after[0] as number, k: after[1] as string } : null;
}

/** Text-filtered pages read the list in chunks of this many articles until the page is full. */
const TEXT_CHUNK = 200;

/**
 * One page of a list after filters. Without a text filter one query of `first + 1` entries, one batch of `first`
 * articles and one count (totalCount: every article in the window); with one, chunks of 200 are read until the
 * page is full, and totalCount is what was found (plus one when there is more).
 */
export async function readArticlePage(news: NewsLoaders, list: ArticleList, request: ArticlePageRequest): Promise<Page<ArticleRecord>> {
  const { first } = request;
  const after = entryOfCursor(request.after);
  const sourceIds = listSources(list);
  const since = request.since?.getTime() ?? null;
  const until = request.until?.getTime() ?? null;
  const words = (request.text ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const picked: Array<{ entry: IndexEntry; record: ArticleRecord }> = [];
  let more = false;
  let position = after;
  const chunkSize = words.length ? TEXT_CHUNK : first + 1;
  let totalCount: number | null = null;
  for (;;) {
    const listed = news.list.load({ sourceIds, since, until, after: position, limit: chunkSize });
    // Both at once (one DataLoader batch each), awaited together so a failing store rejects once.
    const [chunk, total] = await Promise.all([listed, words.length ? null : news.count.load({ sourceIds, since, until })]);
    totalCount = total;
    const wanted = words.length ? chunk : chunk.slice(0, first);
    const records = await news.article.loadMany(wanted.map((e) => e.k));
    wanted.forEach((entry, i) => {
      const record = records[i];
      if (!record || record instanceof Error) return;
      if (words.length && !matchesText(record, words)) return;
      if (picked.length < first) picked.push({ entry, record });
      else more = true;
    });
    if (!words.length) {
      more = chunk.length > first;
      break;
    }
    if (chunk.length < chunkSize || picked.length > first || more) break;
    position = chunk.at(-1)!;
  }
  return {
    edges: picked.map(({ entry, record }) => ({ node: record, cursor: [entry.t, entry.k] })),
    totalCount: totalCount ?? picked.length + (more ? 1 : 0),
    hasNextPage: more,
    hasPreviousPage: after !== null,
  };
}

function matchesText(record: ArticleRecord, words: string[]): boolean {
  const haystack = `${record.title ?? ""} ${record.author ?? ""} ${summaryTextOf(record) ?? ""}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}
