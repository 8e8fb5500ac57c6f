import { ForumHealth } from "../../src/forums/health.js";
import { PostIndex } from "../../src/forums/post-index.js";
import type { AuthorRecord, BatchResult, CitedUrlRecord, ForumRecord, PostRecord } from "../../src/model/forum.js";
import type { PageRequest } from "../../src/model/paging.js";
import type { SqlDatabase } from "../../src/db/sql.js";
import type { AdapterDeps } from "../deps.js";
import type { ForumSource } from "../forum.js";
import { SITE_FORUM, toThread } from "./adapt.js";
import { createDiscourseClient } from "./client.js";
import { createMegaTopicPager } from "./mega-topic.js";
import {
  authorSummaries, categories, indexPosts, postPage, profile, rememberAuthors, siteForum, topic, topicPosts, type Category, type Site,
} from "./site.js";
import { createThreadLister } from "./thread-list.js";
import { PostWire } from "./wire.js";

/**
 * forum-discourse: one Discourse site through its public JSON API, as a ForumSource.
 *
 *   categories (/categories.json)            → Forum (the site itself is Forum "*" when a topic has no category
 *                                              or the site cannot be listed)
 *   topics (/t/{id}.json, /c/{slug}/{id}.json) → Thread; post_stream.stream gives every post id in order
 *   posts (/t/{id}/posts.json?post_ids[]=…)  → Post, fetched `postBatchSize` at a time; cooked HTML, links indexed
 *   users (from posts; /u/{username}.json)   → Author; bio and joinedAt are fetched only when asked
 *
 * Citation lists, author post lists and the newest posts are answered from the posts the gateway has fetched
 * (src/forums/post-index.ts): Discourse has no "posts linking to URL" API.
 *
 * The split: index.ts (this contract and the batch methods), site.ts (the lookups they are made of),
 * categories.ts, thread-list.ts and mega-topic.ts (the category tree, topic lists, topics without a stream),
 * client.ts (upstream I/O and its cache), wire.ts (Discourse's JSON shapes), adapt.ts and cooked.ts (wire → model).
 */
export interface DiscourseSourceOptions {
  id: string;
  name: string;
  /** Site root, e.g. https://meta.discourse.org */
  url: string;
  apiKey?: string | undefined;
  apiUsername?: string | undefined;
  /** Post ids per /t/{id}/posts.json request (Discourse's own client asks for 20: TopicView.chunk_size). */
  postBatchSize: number;
  cacheTtlSeconds: number;
  maxRetryWaitSeconds: number;
}

/**
 * The common adapter deps and the SQL database of the post index (src/forums/post-index.ts); `events.postsAdded` hears
 * of the posts a topic gained since the gateway last read it (site.ts `noticeGrowth`).
 */
export type DiscourseSourceDeps = AdapterDeps & { database: SqlDatabase };

/** Thread.citedArticles reads at most this many posts of a Discourse thread (docs/sources/discourse.md). */
const CITED_SCAN = 200;

const EMPTY_PAGE = { edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 };

export function createDiscourseSource(options: DiscourseSourceOptions, deps: DiscourseSourceDeps): ForumSource {
  const site = openSite(options, deps);
  const { index } = site;
  return {
    id: site.id,
    kind: "discourse",
    name: options.name,
    url: site.baseUrl,
    // Discourse's own permalinks: /t/{id} redirects to the topic's slugged URL, /p/{id} to the post in its topic.
    pageUrl: ({ threadId, postId }) =>
      (postId ? `${site.baseUrl}/p/${encodeURIComponent(postId)}` : `${site.baseUrl}/t/${encodeURIComponent(threadId)}`),
    async health() {
      return site.health.get(await index.count());
    },
    async listForums() {
      try {
        return [...(await categories(site)).values()].map((c) => c.record);
      } catch {
        // The site is down: it still shows as one forum (its health says why; its threads fail).
        return [await siteForum(site)];
      }
    },
    forumsByIds: (ids) => forumsByIds(site, ids),
    threadsByIds: (ids) => perKey(ids, async (k) => {
      const t = await topic(site, k);
      return t ? toThread(t) : null;
    }),
    postsByIds: (ids) => postsByIds(site, ids),
    async authorsByIds(ids) {
      // Summaries carry no join date (null), so nothing in them needs reviving.
      const summaries = await authorSummaries(site, ids);
      return Promise.all(
        ids.map((k, i) => {
          const summary = summaries[i];
          return summary ? { ...summary, joinedAt: null } : profile(site, k.toLowerCase()).catch((err: unknown) => err as Error);
        }),
      );
    },
    authorProfilesByIds: (ids) => perKey(ids, (k) => authorProfile(site, k.toLowerCase())),
    threadPagesByForum: (requests) => perKey(requests, (r) => site.threadPage(r)),
    postPagesByThread: (requests) => perKey(requests, async (r) => (await postPage(site, r)) ?? EMPTY_PAGE),
    postPagesByAuthor: (requests) => index.authorPages(requests.map((r) => ({ ...r, parentId: r.parentId.toLowerCase() }))),
    citationsByPosts: (postIds) => index.citations(postIds),
    citingPostPages: (requests) => index.citingPages(requests),
    citedUrlsByThread: (requests) => citedUrlsByThread(site, requests),
    recentPostPages: (requests) => index.recentPages(requests),
    async close() {
      while (site.pending.size) await Promise.all(site.pending);
    },
  };
}

function openSite(options: DiscourseSourceOptions, deps: DiscourseSourceDeps): Site {
  const { id } = options;
  const { keyv } = deps;
  const now = deps.now ?? (() => new Date());
  const baseUrl = options.url.replace(/\/+$/, "");
  const ttlMs = options.cacheTtlSeconds * 1000;
  const health = new ForumHealth(keyv, id, now);
  const client = createDiscourseClient({
    sourceId: id, baseUrl, apiKey: options.apiKey, apiUsername: options.apiUsername, ttlMs,
    maxRetryWaitMs: options.maxRetryWaitSeconds * 1000, fetcher: deps.fetcher, keyv, health, logger: deps.logger,
  });
  // The pagers below call back into the site once it exists (never while it is being built).
  const site: Site = {
    id, name: options.name, baseUrl, base: new URL(`${baseUrl}/`), postBatchSize: options.postBatchSize, ttlMs, keyv, deps, now,
    health, client, index: new PostIndex(keyv, deps.database, id, now, deps.lock), noticed: new WeakSet(), pending: new Set(),
    threadPage: createThreadLister({
      client,
      categories: () => categories(site),
      rememberAuthors: (users) => rememberAuthors(site, users),
      topic: (topicId) => topic(site, topicId),
    }),
    megaTopicPage: createMegaTopicPager({ client, indexPosts: (posts, stream) => indexPosts(site, posts, stream) }),
  };
  return site;
}

/** One call per key, each failure in its own slot. */
function perKey<K, T>(keys: readonly K[], load: (k: K) => Promise<T>): Promise<Array<T | Error>> {
  return Promise.all(keys.map((k) => load(k).catch((err: unknown) => err as Error)));
}

function forumsByIds(site: Site, ids: readonly string[]): Promise<BatchResult<ForumRecord>> {
  let cats: Promise<Map<string, Category> | Error> | null = null;
  const listed = () => (cats ??= categories(site).catch((err: unknown) => err as Error));
  return Promise.all(
    ids.map(async (k) => {
      if (k === SITE_FORUM) return siteForum(site);
      const found = await listed();
      return found instanceof Error ? found : found.get(k)?.record ?? null;
    }),
  );
}

async function postsByIds(site: Site, ids: readonly string[]): Promise<BatchResult<PostRecord>> {
  const known = await site.index.posts(ids);
  return Promise.all(
    ids.map(async (k, i) => {
      if (known[i]) return known[i];
      if (!/^\d{1,15}$/.test(k)) return null;
      try {
        // A private post answers 403 and a missing one 404: both are null here, for this post only (client.ts).
        const answer = await site.client.get(`/posts/${k}.json`, PostWire);
        // A post is served only when its topic is (which also indexes the topic's first posts); its
        // position is its place in the topic's stream, as in a page of the thread.
        const t = answer ? await topic(site, String(answer.data.topic_id)) : null;
        if (!answer || !t) return null;
        return (await indexPosts(site, [answer.data], t.post_stream.stream))[0] ?? null;
      } catch (err) {
        return err as Error;
      }
    }),
  );
}

/**
 * A profile by lower-cased username. A site that hides profiles from the public answers 403 (null from
 * `profile`): the author the posts name still resolves, with no bio and no join date.
 */
async function authorProfile(site: Site, authorId: string): Promise<AuthorRecord | null> {
  const found = await profile(site, authorId);
  if (found) return found;
  const [summary] = await authorSummaries(site, [authorId]);
  return summary ? { ...summary, bio: null, joinedAt: null, partial: false } : null;
}

/**
 * A thread's cited stories are counted over its posts, so they are read first (the same batches, and the
 * same in-flight requests, as a page of the thread), up to the first CITED_SCAN posts.
 */
async function citedUrlsByThread(site: Site, requests: readonly PageRequest[]): Promise<Array<CitedUrlRecord[] | Error>> {
  const read = await Promise.all(
    [...new Set(requests.map((r) => r.parentId))].map(async (topicId) => {
      try {
        const t = await topic(site, topicId);
        const stream = t?.post_stream.stream;
        if (t && stream) await topicPosts(site, topicId, stream, stream.slice(0, CITED_SCAN).map(String));
        else if (t) await site.megaTopicPage(t, { parentId: topicId, first: CITED_SCAN });
        return [topicId, null] as const;
      } catch (err) {
        return [topicId, err as Error] as const;
      }
    }),
  );
  const failed = new Map(read);
  const counted = await site.index.citedUrlsByThread(requests);
  return requests.map((r, i) => failed.get(r.parentId) ?? counted[i]!);
}
