import type { Context } from "../context.js";
import type { IndexEntry } from "../articles/store.js";
import { compareRiver, riverArticles, riverCursor, riverCursorKey, type RiverKey } from "../read/river.js";
import { parseGlobalId, type GlobalId } from "../model/ids.js";
import type { ArticleRecord } from "../model/news.js";
import type { PostRecord, ThreadRecord } from "../model/forum.js";
import { CursorMismatchError, encodeCursor } from "../model/paging.js";
import { articleEntries, postEntries } from "./entries.js";
import { withCategory } from "../news/categories.js";
import { badCursor, decodeAfter, feedDocument, sourceSlug } from "./feeds.js";
import { publicBase, RIVER_PATH } from "./links.js";
import { FeedHttpError, type FeedDocument, type FeedEntry } from "./model.js";
import type { FeedParams } from "./routes.js";

/**
 * The river feed: posts and articles merged newest first, in `Query.river`'s order and with its cursors
 * ([time, kind, key]), so a `next` link's cursor is one GraphQL's river accepts too.
 *
 * Filters: `sources` keeps articles of those sources, `forums` keeps posts of those boards. With neither, both
 * halves are whole; with one, only that half is in the feed; with both, both filtered halves.
 *
 * The forum adapters list recent posts of a whole source, not of a board, so a board filter reads recent posts
 * in chunks and keeps those whose thread is in the board, reading at most MAX_SCAN posts per request. When it
 * stops early, the page ends where the reading stopped and the `next` link continues from there.
 */

const SCAN_CHUNK = 500;
const MAX_SCAN = 5_000;

type Candidate = RiverKey & ({ post: PostRecord; sourceId: string } | { article: IndexEntry });

export async function riverFeed(ctx: Context, params: FeedParams): Promise<FeedDocument> {
  const cursor = params.after ? feedCursor(ctx, params.after) : null;
  const beyond = (k: RiverKey) => !cursor || compareRiver(k, cursor) > 0;
  const given = params.sources.map((s) => {
    const slug = sourceSlug(ctx, s);
    if (!slug) throw new FeedHttpError(400, `sources: no source with id or slug "${s.slice(0, 100)}".`);
    return slug;
  });
  // A category stands for its sources (src/news/categories.ts): it filters the article half like `sources`.
  const slugs = withCategory(ctx.news.sources, given, params.category);
  if (typeof slugs === "string") throw new FeedHttpError(400, `category: ${slugs}.`);
  const boards = await boardFilter(ctx, params.forums);
  const articleFilter = params.sources.length > 0 || params.category !== null;
  const wantArticles = articleFilter || params.forums.length === 0;
  const wantPosts = params.forums.length > 0 || !articleFilter;

  const articles = wantArticles ? await articleCandidates(ctx, slugs, cursor, params.limit) : [];
  const posts = wantPosts ? await postCandidates(ctx, boards, cursor, beyond, params.limit) : { found: [], boundary: null };
  const { boundary } = posts;
  const merged = [...posts.found, ...articles]
    .filter((c) => !boundary || compareRiver(c, boundary) <= 0)
    .sort(compareRiver);
  const pageItems = merged.slice(0, params.limit);
  const last = pageItems[pageItems.length - 1];
  const nextKey = merged.length > params.limit ? last : boundary;

  return feedDocument(ctx.config, {
    path: RIVER_PATH,
    params,
    title: "crosswire river",
    description: riverDescription(params),
    alternate: null,
    author: "crosswire",
    entries: await entriesInOrder(ctx, pageItems),
    nextCursor: nextKey ? encodeCursor(riverCursorKey(nextKey)) : null,
  });
}

function feedCursor(ctx: Context, after: string): RiverKey {
  try {
    return riverCursor(decodeAfter(ctx.config, after))!;
  } catch (err) {
    if (err instanceof CursorMismatchError) throw badCursor();
    throw err;
  }
}

function riverDescription(params: FeedParams): string {
  const parts = [
    params.category !== null ? `articles in the category ${params.category}` : null,
    params.sources.length ? `articles from ${params.sources.join(", ")}` : params.forums.length || params.category !== null ? null : "news articles",
    params.forums.length ? `posts in ${params.forums.length} board${params.forums.length === 1 ? "" : "s"}` : params.sources.length || params.category !== null ? null : "forum posts",
  ].filter(Boolean);
  return `${parts.join(" and ")}, merged newest first.`.replace(/^./, (c) => c.toUpperCase());
}

/** Forum source id → board keys; null when the river is not filtered by board. */
async function boardFilter(ctx: Context, ids: string[]): Promise<Map<string, Set<string>> | null> {
  if (ids.length === 0) return null;
  const found = await Promise.all(
    ids.map(async (id) => {
      const gid = parseGlobalId(id);
      const loaders = typeof gid !== "string" && gid.type === "Forum" ? ctx.loaders.forSource(gid.sourceId) : undefined;
      const forum = loaders ? await loaders.forum.load((gid as GlobalId).key) : null;
      if (!loaders || !forum) throw new FeedHttpError(400, `forums: no forum with id "${id.slice(0, 100)}".`);
      return { sourceId: loaders.source.id, key: forum.id };
    }),
  );
  const boards = new Map<string, Set<string>>();
  for (const { sourceId, key } of found) boards.set(sourceId, (boards.get(sourceId) ?? new Set()).add(key));
  return boards;
}

async function articleCandidates(ctx: Context, slugs: string[], cursor: RiverKey | null, limit: number): Promise<Candidate[]> {
  const { entries } = await riverArticles(ctx.loaders.news, slugs, cursor, limit);
  return entries.map((e) => ({ t: e.t, kind: 0, key: e.k, article: e }));
}

async function postCandidates(
  ctx: Context,
  boards: Map<string, Set<string>> | null,
  cursor: RiverKey | null,
  beyond: (k: RiverKey) => boolean,
  limit: number,
): Promise<{ found: Candidate[]; boundary: RiverKey | null }> {
  const found: Candidate[] = [];
  let boundary: RiverKey | null = null;
  for (const loaders of ctx.loaders.allForums()) {
    const sourceId = loaders.source.id;
    const wanted = boards ? boards.get(sourceId) : null;
    if (wanted === undefined) continue; // filtered by board, and none of this source
    const keyOf = (post: PostRecord): RiverKey => ({ t: post.createdAt.getTime(), kind: 1, key: `${sourceId}:${post.id}` });
    // Same trick as Query.river: ask from the cursor's time inclusive, then drop exactly what is not beyond it.
    let after = cursor ? [new Date(cursor.t).toISOString(), Number.MAX_SAFE_INTEGER] : undefined;
    let scanned = 0;
    let kept = 0;
    for (;;) {
      const page = await loaders.recentPostPages.load({ parentId: "*", first: wanted ? SCAN_CHUNK : limit + 1, ...(after ? { after } : {}) });
      let posts = page.edges.map((e) => e.node);
      if (wanted) {
        const threads = await loaders.thread.loadMany([...new Set(posts.map((p) => p.threadId))]);
        const forumOf = new Map(threads.filter((t): t is ThreadRecord => t !== null && !(t instanceof Error)).map((t) => [t.id, t.forumId]));
        posts = posts.filter((p) => wanted.has(forumOf.get(p.threadId) ?? ""));
      }
      for (const post of posts) {
        const key = keyOf(post);
        if (!beyond(key)) continue;
        found.push({ ...key, post, sourceId });
        kept += 1;
      }
      scanned += page.edges.length;
      const lastEdge = page.edges[page.edges.length - 1];
      if (!page.hasNextPage || !lastEdge) break;
      if (kept > limit || scanned >= MAX_SCAN) {
        const stop = keyOf(lastEdge.node);
        if (!boundary || compareRiver(stop, boundary) < 0) boundary = stop;
        break;
      }
      after = [...lastEdge.cursor] as [string, number];
    }
  }
  return { found, boundary };
}

async function entriesInOrder(ctx: Context, items: Candidate[]): Promise<FeedEntry[]> {
  const postsBySource = new Map<string, PostRecord[]>();
  const articleKeys: string[] = [];
  for (const item of items) {
    if ("post" in item) postsBySource.set(item.sourceId, [...(postsBySource.get(item.sourceId) ?? []), item.post]);
    else articleKeys.push(item.article.k);
  }
  // Entries are built per kind (so loads batch), then put back in river order by their river key.
  const built = new Map<string, FeedEntry>();
  const [, records] = await Promise.all([
    Promise.all(
      [...postsBySource].map(async ([sourceId, posts]) => {
        const entries = await postEntries(ctx, sourceId, posts, { inThread: false, includeCitations: false });
        entries.forEach((entry, i) => built.set(`${sourceId}:${posts[i]!.id}`, entry));
      }),
    ),
    ctx.loaders.news.article.loadMany(articleKeys),
  ]);
  const found = records.filter((r): r is ArticleRecord => r !== null && !(r instanceof Error));
  articleEntries(ctx, found, (r) => sourceHome(ctx, r.sourceIds[0])).forEach((entry, i) => built.set(found[i]!.key, entry));
  return items.flatMap((item) => built.get(item.key) ?? []);
}

/** Where an article without a usable link points: its first source's homepage, else that source's feed. */
export function sourceHome(ctx: Context, slug: string | undefined): string {
  const config = slug ? ctx.news.sources.get(slug)?.config : undefined;
  return config?.homepage ?? config?.url ?? `${publicBase(ctx.config)}${RIVER_PATH}.atom`;
}
