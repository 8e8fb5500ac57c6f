import type { GraphQLFieldResolver } from "graphql";
import type { Author, Post, Thread } from "../schema/forum.js";
import type { Article, Citation, Source } from "../schema/news.js";
import type { Context } from "../src/context.js";
import type { CitationResolution, Loaders } from "../src/loaders/index.js";
import type { ArticleRecord } from "../src/model/news.js";
import { resolveCitation, toCitations } from "./citations.js";
import { toArticle, toAuthor } from "./mappers.js";
import { anyOf, selectionOf, type Selection } from "./selection.js";
import { loadSource } from "./source-lookup.js";

/**
 * Load per level, not per field (issue 22 item 1). A connection resolver (Thread.posts) reads what its selection asks
 * below each node and loads it for the whole page at once, in batches through the request's DataLoaders: authors,
 * citations, their articles (from the store or an unfurl), the articles' sources with their health. What it loaded
 * goes into a per-request memo that the hot resolvers (resolvers/hot.ts) answer from synchronously, with one schema
 * object per record (an author of 30 posts is one Author, an article cited 12 times one Article, with one global ID
 * and one provenance list). Whatever the level did not load, or failed to load, the field's own resolver loads as
 * before, so errors still land at the field that could not resolve.
 */
export interface LevelMemo {
  authors: Map<string, Author>;
  articles: Map<string, Article>;
  sources: Map<string, Source | null>;
}

/*
 * What a level loaded for one post or citation rides on the object itself (symbol keys: never a GraphQL field, never
 * serialized), so a hot resolver reads a property instead of building a key and looking it up, 300 times a page.
 */
export const LOADED_AUTHOR = Symbol("level: author");
export const LOADED_CITATIONS = Symbol("level: citations");
export const RESOLUTION = Symbol("level: citation resolution");

export type LoadedPost = Post & { [LOADED_AUTHOR]?: Author; [LOADED_CITATIONS]?: Citation[] };
export type LoadedCitation = Citation & { [RESOLUTION]?: CitationResolution };

// Keyed by the request's loaders: a subscription renews them per event (src/app/context.ts), and the memo with them.
const memos = new WeakMap<Loaders, LevelMemo>();

export const recordKey = (sourceId: string, key: string) => `${sourceId}\u0000${key}`;

export function memoOf(ctx: Context): LevelMemo {
  let memo = memos.get(ctx.loaders);
  if (!memo) {
    memo = { authors: new Map(), articles: new Map(), sources: new Map() };
    memos.set(ctx.loaders, memo);
  }
  return memo;
}

/** The memo if this request has one (hot resolvers never create it). */
export const memoIfAny = (ctx: Context): LevelMemo | undefined => memos.get(ctx.loaders);

/** One Article per record per request. */
export function articleOf(memo: LevelMemo, record: ArticleRecord): Article {
  let article = memo.articles.get(record.key);
  if (!article) memo.articles.set(record.key, (article = toArticle(record)));
  return article;
}

const ok = <T>(value: T | Error | null | undefined): value is T => value != null && !(value instanceof Error);

async function loadAuthors(ctx: Context, sourceId: string, posts: readonly Post[], memo: LevelMemo): Promise<void> {
  const loaders = ctx.loaders.forSource(sourceId)!;
  const keys = [...new Set(posts.map((p) => p.authorKey))].filter((k) => !memo.authors.has(recordKey(sourceId, k)));
  const records = await loaders.author.loadMany(keys);
  records.forEach((r, i) => {
    if (ok(r)) memo.authors.set(recordKey(sourceId, keys[i]!), toAuthor(sourceId, r));
  });
  for (const post of posts as LoadedPost[]) {
    const author = memo.authors.get(recordKey(sourceId, post.authorKey));
    if (author) post[LOADED_AUTHOR] = author;
  }
}

async function loadSources(ctx: Context, records: readonly ArticleRecord[], memo: LevelMemo): Promise<void> {
  const slugs = [...new Set(records.flatMap((r) => r.sourceIds))].filter((s) => !memo.sources.has(s));
  // Without their health: `kind` and `health` load it through their own resolvers if the page asks (a warm page on
  // PostgreSQL + Redis then makes no round trip for health it does not show).
  const sources = await Promise.all(slugs.map((slug) => loadSource(ctx, slug, false, false).catch(() => undefined)));
  sources.forEach((source, i) => {
    if (source !== undefined) memo.sources.set(slugs[i]!, source);
  });
}

async function loadCitations(ctx: Context, sourceId: string, posts: readonly Post[], selection: Selection, memo: LevelMemo): Promise<void> {
  const loaders = ctx.loaders.forSource(sourceId)!;
  const lists = await loaders.citations.loadMany(posts.map((p) => p.key));
  const all: LoadedCitation[] = [];
  lists.forEach((records, i) => {
    if (!ok(records)) return;
    const citations = toCitations(records, ctx.config.unfurl.maxLinksPerPost);
    (posts[i] as LoadedPost)[LOADED_CITATIONS] = citations;
    all.push(...citations);
  });
  const fields = selection.fields;
  if (!fields.has("article") && !fields.has("status") && !fields.has("error")) return;
  const resolved = await Promise.all(all.map((c) => resolveCitation(ctx, c).catch(() => null)));
  const records: ArticleRecord[] = [];
  resolved.forEach((r, i) => {
    if (!r) return;
    all[i]![RESOLUTION] = r;
    if (r.record) records.push(r.record);
  });
  const article = fields.get("article");
  if (article?.fields.has("sources")) await loadSources(ctx, records, memo);
}

/** Loads what `selection` (the selection of each post) asks for, for all `posts` of one forum source at once. */
export async function loadPostLevel(ctx: Context, sourceId: string, posts: readonly Post[], selection: Selection): Promise<void> {
  if (posts.length === 0 || !ctx.loaders.forSource(sourceId)) return;
  const memo = memoOf(ctx);
  const tasks: Array<Promise<void>> = [];
  if (selection.fields.has("author")) tasks.push(loadAuthors(ctx, sourceId, posts, memo));
  const citations = selection.fields.get("citations");
  if (citations) tasks.push(loadCitations(ctx, sourceId, posts, citations, memo));
  // A level that fails to load leaves the memo empty there: each field's own resolver then reports its error.
  await Promise.all(tasks.map((t) => t.catch(() => undefined)));
}

const POST_PATHS = [["edges", "node"], ["nodes"]];

/** Thread.posts: the page as before, then its level loaded before graphql-js descends into the posts. */
export function postsByLevel(page: GraphQLFieldResolver<Thread, Context>): GraphQLFieldResolver<Thread, Context> {
  return async (thread, args, ctx, info) => {
    const connection = (await page(thread, args, ctx, info)) as { nodes?: Post[] } | null;
    const selection = connection?.nodes?.length ? anyOf(selectionOf(info), POST_PATHS) : null;
    if (selection) await loadPostLevel(ctx, thread.sourceId, connection!.nodes!, selection);
    return connection;
  };
}
