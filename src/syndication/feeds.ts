import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import { articleIndex, readArticlePage } from "../read/articles.js";
import { BadUserInputError, ServiceUnavailableError } from "../model/errors.js";
import { parseGlobalId, type NodeType } from "../model/ids.js";
import type { CursorKey, Page } from "../model/paging.js";
import { CursorMismatchError } from "../model/paging.js";
import { decodeCursor, encodeCursor } from "../model/paging.js";
import { articleEntries, postEntries, threadEntries } from "./entries.js";
import { feedLinks, feedPath, isHttpUrl, tagUri } from "./links.js";
import { healthNote } from "./health-note.js";
import { FeedHttpError, type FeedDocument, type FeedEntry } from "./model.js";
import { canonicalQuery, type FeedParams } from "./routes.js";
import { plainText } from "./text.js";

/**
 * Thread, board and source feeds: one page of a connection, read through the request's loaders with the
 * connections' own cursors, so a `next` link's `after` is the cursor GraphQL would hand out for the same list.
 * Thread feeds list posts newest first (a reader wants the latest posts of a 1,000-post thread), so their pages
 * walk the thread backwards (`last`/`before`).
 */

/** Decodes `?after=` with the GraphQL connections' own decoder (src/model/paging): same cursors, same checks. */
export function decodeAfter(_config: Config, after: string): CursorKey {
  try {
    return decodeCursor("after", after);
  } catch (err) {
    if (err instanceof BadUserInputError) throw badCursor();
    throw err;
  }
}

export const badCursor = () => new FeedHttpError(400, "after must be the cursor from this feed's next link.");

/** Loads a page, turning a cursor from another list into a 400. */
async function page<T>(load: Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await load;
  } catch (err) {
    if (err instanceof CursorMismatchError) throw badCursor();
    throw err;
  }
}

function decodeId(id: string, type: NodeType, what: string) {
  const gid = parseGlobalId(id);
  if (typeof gid === "string" || gid.type !== type) throw new FeedHttpError(404, `No ${what} with id "${id.slice(0, 100)}".`);
  return gid;
}

export interface DocumentParts {
  /** Route path without the format suffix. */
  path: string;
  params: FeedParams;
  title: string;
  description: string;
  alternate: string | null;
  author: string;
  entries: FeedEntry[];
  nextCursor: string | null;
}

/** The feed-level half of a FeedDocument: identity, self and next links from the route and its canonical query. */
export function feedDocument(config: Config, parts: DocumentParts): FeedDocument {
  const { path } = parts;
  const identity = canonicalQuery({ ...parts.params, explicitLimit: null }, null).toString();
  return {
    id: tagUri(config, `${path.slice(1)}${identity ? `?${identity}` : ""}`),
    title: plainText(parts.title),
    description: plainText(parts.description, 500),
    self: feedLinks(config, path, canonicalQuery(parts.params)),
    alternate: parts.alternate,
    author: plainText(parts.author),
    entries: parts.entries,
    next: parts.nextCursor ? feedLinks(config, path, canonicalQuery(parts.params, parts.nextCursor)) : null,
    hub: config.websub.hubUrl ?? null,
  };
}

export async function threadFeed(ctx: Context, id: string, params: FeedParams): Promise<FeedDocument> {
  const gid = decodeId(id, "Thread", "thread");
  const loaders = ctx.loaders.forSource(gid.sourceId);
  const thread = loaders ? await loaders.thread.load(gid.key) : null;
  if (!loaders || !thread) throw new FeedHttpError(404, `No thread with id "${id.slice(0, 100)}".`);
  const before = params.after ? decodeAfter(ctx.config, params.after) : undefined;
  const posts = await page(loaders.postPagesByThread.load({ parentId: thread.id, last: params.limit, ...(before ? { before } : {}) }));
  const forum = await loaders.forum.load(thread.forumId);
  const newestFirst = posts.edges.map((e) => e.node).reverse();
  return feedDocument(ctx.config, {
    path: feedPath("threads", id),
    params,
    title: thread.title,
    description: `Posts in “${plainText(thread.title)}”${forum ? ` (${forum.name})` : ""}, newest first${params.includeCitations ? ", with the stories they cite" : ""}.`,
    alternate: null,
    author: "crosswire",
    entries: await postEntries(ctx, gid.sourceId, newestFirst, { inThread: true, includeCitations: params.includeCitations }),
    nextCursor: posts.hasPreviousPage && posts.edges[0] ? encodeCursor(posts.edges[0].cursor) : null,
  });
}

export async function forumFeed(ctx: Context, id: string, params: FeedParams): Promise<FeedDocument> {
  const gid = decodeId(id, "Forum", "forum");
  const loaders = ctx.loaders.forSource(gid.sourceId);
  const forum = loaders ? await loaders.forum.load(gid.key) : null;
  if (!loaders || !forum) throw new FeedHttpError(404, `No forum with id "${id.slice(0, 100)}".`);
  const after = params.after ? decodeAfter(ctx.config, params.after) : undefined;
  const threads = await page(loaders.threadPagesByForum.load({ parentId: forum.id, first: params.limit, ...(after ? { after } : {}) }));
  const last = threads.edges[threads.edges.length - 1];
  return feedDocument(ctx.config, {
    path: feedPath("forums", id),
    params,
    title: forum.name,
    description: forum.description || `Threads in ${forum.name}, most recently active first.`,
    alternate: null,
    author: "crosswire",
    entries: await threadEntries(ctx, gid.sourceId, threads.edges.map((e) => e.node), forum),
    nextCursor: threads.hasNextPage && last ? encodeCursor(last.cursor) : null,
  });
}

/** `{id}` is the source's global ID or its plain slug. */
export function sourceSlug(ctx: Context, id: string): string | null {
  if (ctx.news.sources.has(id)) return id;
  const gid = parseGlobalId(id);
  return typeof gid !== "string" && gid.type === "Source" && ctx.news.sources.has(gid.key) ? gid.key : null;
}

export async function sourceFeed(ctx: Context, id: string, params: FeedParams): Promise<FeedDocument> {
  const slug = sourceSlug(ctx, id);
  const source = slug ? ctx.news.sources.get(slug)!.config : null;
  if (!slug || !source) throw new FeedHttpError(404, `No source with id or slug "${id.slice(0, 100)}".`);
  const after = params.after ? decodeAfter(ctx.config, params.after) : undefined;
  const articles = await page(readArticlePage(ctx.loaders.news, await articleIndex(ctx.loaders.news, [slug]), { first: params.limit, after }));
  const records = articles.edges.map((e) => e.node);
  const last = articles.edges[articles.edges.length - 1];
  const home = isHttpUrl(source.homepage) ? source.homepage : source.url;
  // A failing upstream says so in the description and, when FAILING, in a dated first entry (./health-note.ts).
  // Health lives in the cache store; with a shared one (Redis) down the articles (PostgreSQL) are still served, unannotated.
  const health = await ctx.loaders.news.health.load(slug).catch((err: unknown) => {
    if (err instanceof ServiceUnavailableError) return null;
    throw err;
  });
  const note = healthNote(ctx.config, { ...source, link: home }, health, !params.after);
  const entries = articleEntries(ctx, records, () => home);
  return feedDocument(ctx.config, {
    path: feedPath("sources", id),
    params,
    title: source.name,
    description: `${note ? `${note.sentence} ` : ""}Articles from ${source.name}, newest first, including those no longer in its feed.`,
    alternate: home,
    author: source.name,
    entries: note?.entry ? [note.entry, ...entries] : entries,
    nextCursor: articles.hasNextPage && last ? encodeCursor(last.cursor) : null,
  });
}
