import type { Context } from "../context.js";
import type { ArticleRecord } from "../model/news.js";
import type { AuthorRecord, CitationRecord, ForumRecord, PostRecord, ThreadRecord } from "../model/forum.js";
import { globalIds } from "../model/ids.js";
import { feedLinks, feedPath, isHttpUrl, tagUri } from "./links.js";
import type { FeedEntry } from "./model.js";
import { articleTitle, cap, categoryText, escapeHtml, excerpt, MAX_SUMMARY_LENGTH, plainOf, plainText, safeHtml, xmlSafe } from "./text.js";
import { summarySafeHtmlOf } from "../articles/store.js";

/**
 * Forum and news objects → feed entries, through the request's loaders (batched: a page of posts costs one
 * statement per kind of related object, exactly as in GraphQL).
 *
 * Posts have no web page of their own, so a post's alternate link is its thread's feed, in the format being read,
 * with a `#post-<position>` fragment; the first story it cites is JSON Feed's `external_url`. A thread's link is its
 * thread feed. An article's link is the story's own URL.
 */

type Loaded<T> = Map<string, T>;

async function loadAll<T>(loader: { loadMany(keys: readonly string[]): Promise<Array<T | null | Error>> }, keys: string[]): Promise<Loaded<T>> {
  const unique = [...new Set(keys)];
  const values = await loader.loadMany(unique);
  const found = new Map<string, T>();
  values.forEach((value, i) => {
    if (value instanceof Error) throw value;
    if (value !== null) found.set(unique[i]!, value);
  });
  return found;
}

function sourceName(ctx: Context, slug: string): string {
  return ctx.news.sources.get(slug)?.config.name ?? slug;
}

export interface PostEntryOptions {
  /** In a thread's own feed, titles leave out the thread title. */
  inThread: boolean;
  /** Append the cited stories (linked, with source, date and summary) to each post (`?include=citations`). */
  includeCitations: boolean;
}

export async function postEntries(ctx: Context, sourceId: string, posts: PostRecord[], options: PostEntryOptions): Promise<FeedEntry[]> {
  const loaders = ctx.loaders.forSource(sourceId);
  if (!loaders || posts.length === 0) return [];
  const [threads, authors, citations] = await Promise.all([
    loadAll<ThreadRecord>(loaders.thread, posts.map((p) => p.threadId)),
    loadAll<AuthorRecord>(loaders.author, posts.map((p) => p.authorId)),
    Promise.all(posts.map((p) => (p.citations ? p.citations : loaders.citations.load(p.id)))),
  ]);
  const forums = await loadAll<ForumRecord>(loaders.forum, [...threads.values()].map((t) => t.forumId));
  const articles = options.includeCitations
    ? await loadAll<ArticleRecord>(ctx.loaders.news.article, citations.flat().map((c) => c.canonicalUrl))
    : new Map<string, ArticleRecord>();

  return posts.map((post, i) => {
    const thread = threads.get(post.threadId);
    const author = authors.get(post.authorId)?.name ?? null;
    const forum = thread ? forums.get(thread.forumId) : undefined;
    const threadId = globalIds.thread(sourceId, post.threadId);
    const body = safeHtml(post.bodyHtml);
    const text = plainOf(body);
    const cited = citations[i]!;
    const who = author ? plainText(author, 80) : "Someone";
    const title = options.inThread
      ? `#${post.position} ${who}: ${cap(text, 120)}`
      : `${who} in “${thread ? plainText(thread.title, 120) : "a thread"}”`;
    return {
      guid: tagUri(ctx.config, globalIds.post(sourceId, post.id)),
      title: plainText(title),
      link: feedLinks(ctx.config, feedPath("threads", threadId), undefined, `post-${post.position}`),
      externalUrl: cited.map((c) => c.url).find((url) => isHttpUrl(url)) ?? null,
      published: post.createdAt,
      updated: post.editedAt && post.editedAt > post.createdAt ? post.editedAt : post.createdAt,
      author: author ? plainText(author, 200) : null,
      categories: forum ? [categoryText(forum.name)] : [],
      contentHtml: options.includeCitations && cited.length ? `${body}${citationsHtml(ctx, cited, articles)}` : body,
      summaryText: cap(text, MAX_SUMMARY_LENGTH),
    };
  });
}

/** The stories a post cites, as sanitized HTML: link, source and date, and the story's summary when it is known. */
function citationsHtml(ctx: Context, cited: CitationRecord[], articles: Loaded<ArticleRecord>): string {
  const items = cited.map((c) => {
    const article = articles.get(c.canonicalUrl);
    const href = isHttpUrl(article?.url) ? article!.url! : c.url;
    const title = escapeHtml(articleTitle(article?.title ?? c.url));
    if (!article) return `<li><a href="${escapeHtml(href)}">${title}</a></li>`;
    const where = article.sourceIds.map((s) => sourceName(ctx, s)).join(", ");
    const when = article.publishedAt ? new Date(article.publishedAt).toUTCString() : null;
    const about = [where, when].filter(Boolean).map((s) => escapeHtml(plainText(s!))).join(", ");
    const summary = article.summaryHtml ? `<br>${escapeHtml(excerpt(xmlSafe(summarySafeHtmlOf(article)!)))}` : "";
    return `<li><a href="${escapeHtml(href)}">${title}</a>${about ? ` (${about})` : ""}${summary}</li>`;
  });
  return safeHtml(`<hr><p><strong>Cited stories</strong></p><ul>${items.join("")}</ul>`);
}

export function articleEntries(ctx: Context, records: ArticleRecord[], fallbackLink: (record: ArticleRecord) => string): FeedEntry[] {
  return records.map((r) => {
    const summary = r.summaryHtml ? xmlSafe(summarySafeHtmlOf(r)!) : "";
    const published = new Date(r.publishedAt ?? r.firstSeenAt);
    const changed = r.updatedAt ?? r.changedAt;
    const sources = r.sourceIds.map((s) => sourceName(ctx, s));
    return {
      guid: tagUri(ctx.config, globalIds.article(r.key)),
      title: articleTitle(r.title ?? r.url ?? "(untitled)"),
      link: isHttpUrl(r.canonicalUrl) ? r.canonicalUrl : isHttpUrl(r.url) ? r.url : fallbackLink(r),
      externalUrl: null,
      published,
      updated: changed && Date.parse(changed) > published.getTime() ? new Date(changed) : published,
      author: r.author ? plainText(r.author) : sources[0] ? plainText(sources[0]) : null,
      categories: [...new Set([...r.categories, ...sources].map(categoryText).filter(Boolean))],
      contentHtml: summary,
      summaryText: summary ? excerpt(summary) : "",
    };
  });
}

/** Threads of a board: each entry is the thread, with its opening post as content and its thread feed as link. */
export async function threadEntries(ctx: Context, sourceId: string, threads: ThreadRecord[], forum: ForumRecord): Promise<FeedEntry[]> {
  const loaders = ctx.loaders.forSource(sourceId);
  if (!loaders || threads.length === 0) return [];
  const [authors, openers] = await Promise.all([
    loadAll<AuthorRecord>(loaders.author, threads.map((t) => t.authorId)),
    Promise.all(threads.map((t) => loaders.postPagesByThread.load({ parentId: t.id, first: 1 }))),
  ]);
  return threads.map((thread, i) => {
    const id = globalIds.thread(sourceId, thread.id);
    const opener = openers[i]!.edges[0]?.node;
    const body = opener ? safeHtml(opener.bodyHtml) : "";
    const author = authors.get(thread.authorId)?.name ?? null;
    const count = `<p>${thread.postCount} ${thread.postCount === 1 ? "post" : "posts"}</p>`;
    return {
      guid: tagUri(ctx.config, id),
      title: plainText(thread.title),
      link: feedLinks(ctx.config, feedPath("threads", id)),
      externalUrl: null,
      published: thread.createdAt,
      updated: thread.lastPostedAt > thread.createdAt ? thread.lastPostedAt : thread.createdAt,
      author: author ? plainText(author) : null,
      categories: [categoryText(forum.name)],
      contentHtml: `${body}${count}`,
      summaryText: body ? excerpt(body) : "",
    };
  });
}
