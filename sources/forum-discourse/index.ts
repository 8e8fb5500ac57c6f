import { toDict } from "../../src/model/dict.js";
import { ForumHealth } from "../../src/forums/health.js";
import { pageOf } from "../../src/forums/paging.js";
import { PostIndex } from "../../src/forums/post-index.js";
import type { AuthorRecord, BatchResult, ForumRecord, PostRecord } from "../../src/model/forum.js";
import type { AdapterDeps } from "../deps.js";
import type { ForumSource } from "../forum.js";
import type { Page, PageRequest } from "../../src/model/paging.js";
import { authorSummary, isSmallAction, SITE_FORUM, toAuthor, toPost, toThread, USERNAME } from "./adapt.js";
import { readCategories } from "./categories.js";
import { createDiscourseClient } from "./client.js";
import { createMegaTopicPager } from "./mega-topic.js";
import { createThreadLister, type ListedCategory } from "./thread-list.js";
import { PostsWire, PostWire, TopicWire, UserWire } from "./wire.js";

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

/** The common adapter deps; `events.postsAdded` hears of the posts a topic gained since the gateway last read it (see `noticeGrowth`). */
export type DiscourseSourceDeps = AdapterDeps;

/** Thread.citedArticles reads at most this many posts of a Discourse thread (README "forum-discourse"). */
const CITED_SCAN = 200;
/** New posts of one topic reported per re-read (the newest; README "Live updates"). */
const NEW_POSTS_CAP = 100;
/** A topic's post ids are remembered this long after its last read; a topic unread longer starts afresh. */
const STREAM_TTL_MS = 7 * 24 * 3600_000;

type Category = ListedCategory;

export function createDiscourseSource(options: DiscourseSourceOptions, deps: DiscourseSourceDeps): ForumSource {
  const { id } = options;
  const { keyv } = deps;
  const now = deps.now ?? (() => new Date());
  const baseUrl = options.url.replace(/\/+$/, "");
  /** What relative URLs in cooked HTML are resolved against. */
  const base = new URL(`${baseUrl}/`);
  const ttlMs = options.cacheTtlSeconds * 1000;
  const health = new ForumHealth(keyv, id, now);
  const index = new PostIndex(keyv, id, now, deps.lock);
  const client = createDiscourseClient({
    sourceId: id, baseUrl, apiKey: options.apiKey, apiUsername: options.apiUsername, ttlMs,
    maxRetryWaitMs: options.maxRetryWaitSeconds * 1000, fetcher: deps.fetcher, keyv, health, logger: deps.logger,
  });
  const key = (name: string) => `forum:${id}:${name}`;

  /** Discourse does not say when a category was created: Forum.createdAt is when the gateway first saw it. */
  async function firstSeen(ids: string[]): Promise<Record<string, string>> {
    const seen = toDict(await keyv.get<Record<string, string>>(key("first-seen")));
    const fresh = ids.filter((k) => !seen[k]);
    if (fresh.length) {
      for (const k of fresh) seen[k] = now().toISOString();
      await keyv.set(key("first-seen"), seen);
    }
    return seen;
  }

  async function siteForum(): Promise<ForumRecord> {
    const seen = await firstSeen([SITE_FORUM]);
    return { id: SITE_FORUM, slug: id, name: options.name, description: `Latest topics of ${baseUrl}`, createdAt: new Date(seen[SITE_FORUM]!) };
  }

  async function categories(): Promise<Map<string, Category>> {
    // Public categories only: an API key may see read-restricted ones, which anonymous clients must not.
    const flat = (await readCategories(client)).filter((c) => !c.wire.read_restricted);
    const seen = await firstSeen(flat.map((c) => String(c.wire.id)));
    return new Map(flat.map(({ wire: c, slugPath, topicCountWithChildren }) => [String(c.id), {
      record: { id: String(c.id), slug: slugPath, name: c.name, description: c.description_text ?? "", createdAt: new Date(seen[String(c.id)]!) },
      slug: c.slug,
      topicCount: topicCountWithChildren,
    }]));
  }

  /** Author summaries from post data, so Post.author costs no /u/ request (kept a day; names rarely change). */
  async function rememberAuthors(users: Array<{ username: string; name?: string | null | undefined }>): Promise<void> {
    const unique = new Map(users.map((u) => [u.username.toLowerCase(), authorSummary(u.username, u.name)]));
    if (unique.size === 0) return;
    await keyv.setMany([...unique.values()].map((a) => ({ key: key(`author:${a.id}`), value: a, ttl: 24 * 3600_000 })));
  }

  /**
   * Posts as records, indexed. `stream` gives each post's position (its place in the topic's stream); without
   * one (a mega topic) the position is its post_number. Small actions ("closed", "pinned": post_type 3) are
   * left out: they have no text, and leaving them out keeps the positions of the posts around them.
   */
  async function indexPosts(posts: PostWire[], stream: readonly number[] | undefined): Promise<PostRecord[]> {
    const position = new Map(stream?.map((postId, i) => [postId, i + 1]));
    const kept = posts.filter((p) => !isSmallAction(p) && (!stream || position.has(p.id)));
    const records = kept.map((p) => toPost(p, base, position.get(p.id) ?? p.post_number));
    await rememberAuthors(kept);
    await index.put(records);
    return records;
  }

  /**
   * Whether a topic may be served: not a private message, and in a category the gateway lists (public). The
   * API key's user may read more than an anonymous visitor, and any client can ask for any id.
   */
  async function isPublic(t: Pick<TopicWire, "archetype" | "category_id">): Promise<boolean> {
    if (t.archetype === "private_message" || t.category_id == null) return false;
    return (await categories()).has(String(t.category_id));
  }

  async function topic(topicId: string): Promise<TopicWire | null> {
    if (!/^\d{1,15}$/.test(topicId)) return null;
    const answer = await client.get(`/t/${topicId}.json`, TopicWire);
    if (!answer || !(await isPublic(answer.data))) return null;
    if (answer.fetched) {
      await indexPosts(answer.data.post_stream.posts, answer.data.post_stream.stream);
      noticeGrowth(topicId, answer.data);
    }
    return answer.data;
  }

  /*
   * New posts. Discourse pushes nothing to the gateway and topics are read on demand, so "new" means: a topic
   * read from upstream again (a query asked for it after cacheTtlSeconds) lists post ids its previous read
   * did not. Those posts (the newest NEW_POSTS_CAP) are fetched in the background, indexed, and reported.
   * The first read of a topic only records its ids. Callers sharing one fetch share its answer object,
   * which is noticed once.
   */
  const noticed = new WeakSet<TopicWire>();
  const pending = new Set<Promise<void>>();
  function noticeGrowth(topicId: string, data: TopicWire): void {
    if (!deps.events?.postsAdded || noticed.has(data) || !data.post_stream.stream) return;
    noticed.add(data);
    const report = deps.events?.postsAdded;
    const stream = data.post_stream.stream;
    const work = (async () => {
      const before = await keyv.get<number[]>(key(`stream:${topicId}`));
      await keyv.set(key(`stream:${topicId}`), stream, STREAM_TTL_MS);
      if (!before) return;
      const known = new Set(before);
      const added = stream.filter((postId) => !known.has(postId)).slice(-NEW_POSTS_CAP).map(String);
      if (added.length === 0) return;
      await topicPosts(topicId, stream, added);
      // Read back from the index, which holds each post with its citations (a post deleted meanwhile is skipped).
      const records = (await index.posts(added)).filter((p): p is PostRecord => p !== null);
      if (records.length) report(id, records);
    })().catch((err: unknown) => deps.logger.warn({ err, forumSource: id, topicId }, "reading a topic's new posts failed; they are not reported"));
    pending.add(work);
    void work.finally(() => pending.delete(work));
  }

  /** Posts of one topic by id: fresh ones from the index, the rest `postBatchSize` per request. */
  async function topicPosts(topicId: string, stream: readonly number[], ids: readonly string[]): Promise<Map<string, PostRecord>> {
    const known = await index.posts(ids, ttlMs);
    const found = new Map(known.filter((p): p is PostRecord => p !== null).map((p) => [p.id, p]));
    const missing = ids.filter((postId) => !found.has(postId));
    const batches: string[][] = [];
    for (let i = 0; i < missing.length; i += options.postBatchSize) batches.push(missing.slice(i, i + options.postBatchSize));
    await Promise.all(
      batches.map(async (batch) => {
        const query = batch.map((postId) => `post_ids[]=${postId}`).join("&");
        const answer = await client.get(`/t/${topicId}/posts.json?${query}`, PostsWire);
        for (const record of await indexPosts(answer?.data.post_stream.posts ?? [], stream)) found.set(record.id, record);
      }),
    );
    return found;
  }

  /** One call per key, each failure in its own slot. */
  const perKey = <T>(ids: readonly string[], load: (k: string) => Promise<T | null>): Promise<BatchResult<T>> =>
    Promise.all(ids.map((k) => load(k).catch((err: unknown) => err as Error)));

  const threadPage = createThreadLister({ client, categories, rememberAuthors, topic });

  async function postPage(request: PageRequest): Promise<Page<PostRecord> | null> {
    const t = await topic(request.parentId);
    if (!t) return null;
    const stream = t.post_stream.stream;
    if (!stream) return megaTopicPage(t, request);
    const positions = stream.map((postId, i) => ({ postId: String(postId), position: i + 1 }));
    const page = pageOf(positions, request, (x) => [x.position], ["number"]);
    const posts = await topicPosts(request.parentId, stream, page.edges.map((e) => e.node.postId));
    return {
      ...page,
      // A post deleted between the stream and the batch is skipped rather than failing the page.
      edges: page.edges.flatMap((e) => {
        const node = posts.get(e.node.postId);
        return node ? [{ node, cursor: e.cursor }] : [];
      }),
    };
  }

  const megaTopicPage = createMegaTopicPager({ client, indexPosts });

  async function profile(authorId: string): Promise<AuthorRecord | null> {
    if (!USERNAME.test(authorId)) return null;
    const answer = await client.get(`/u/${encodeURIComponent(authorId)}.json`, UserWire);
    return answer ? toAuthor(answer.data.user) : null;
  }

  return {
    id,
    kind: "discourse",
    name: options.name,
    url: baseUrl,
    async health() {
      return health.get(await index.count());
    },
    async listForums() {
      try {
        return [...(await categories()).values()].map((c) => c.record);
      } catch {
        // The site is down: it still shows as one forum (its health says why; its threads fail).
        return [await siteForum()];
      }
    },
    async forumsByIds(ids) {
      let cats: Map<string, Category> | Error | null = null;
      const listed = async () => (cats ??= await categories().catch((err: unknown) => err as Error));
      return Promise.all(
        ids.map(async (k) => {
          if (k === SITE_FORUM) return siteForum();
          const found = await listed();
          return found instanceof Error ? found : found.get(k)?.record ?? null;
        }),
      );
    },
    async threadsByIds(ids) {
      return perKey(ids, async (k) => {
        const t = await topic(k);
        return t ? toThread(t) : null;
      });
    },
    async postsByIds(ids) {
      const known = await index.posts(ids);
      return Promise.all(
        ids.map(async (k, i) => {
          if (known[i]) return known[i];
          if (!/^\d{1,15}$/.test(k)) return null;
          try {
            // A private post answers 403 and a missing one 404: both are null here, for this post only (client.ts).
            const answer = await client.get(`/posts/${k}.json`, PostWire);
            // A post is served only when its topic is (which also indexes the topic's first posts); its
            // position is its place in the topic's stream, as in a page of the thread.
            const t = answer ? await topic(String(answer.data.topic_id)) : null;
            if (!answer || !t) return null;
            return (await indexPosts([answer.data], t.post_stream.stream))[0] ?? null;
          } catch (err) {
            return err as Error;
          }
        }),
      );
    },
    async authorsByIds(ids) {
      // Summaries carry no join date (null), so nothing in them needs reviving.
      const summaries = await keyv.getMany<AuthorRecord>(ids.map((k) => key(`author:${k.toLowerCase()}`)));
      return Promise.all(
        ids.map((k, i) => {
          const summary = summaries[i];
          return summary ? { ...summary, joinedAt: null } : profile(k.toLowerCase()).catch((err: unknown) => err as Error);
        }),
      );
    },
    async authorProfilesByIds(ids) {
      return perKey(ids, async (k) => {
        const found = await profile(k.toLowerCase());
        if (found) return found;
        // A site that hides profiles from the public answers 403 (null here): the author the posts name still
        // resolves, with no bio and no join date.
        const summary = await keyv.get<AuthorRecord>(key(`author:${k.toLowerCase()}`));
        return summary ? { ...summary, bio: null, joinedAt: null, partial: false } : null;
      });
    },
    async threadPagesByForum(requests) {
      return Promise.all(requests.map((r) => threadPage(r).catch((err: unknown) => err as Error)));
    },
    async postPagesByThread(requests) {
      return Promise.all(
        requests.map(async (r) => {
          try {
            return (await postPage(r)) ?? { edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 };
          } catch (err) {
            return err as Error;
          }
        }),
      );
    },
    postPagesByAuthor: (requests) => index.authorPages(requests.map((r) => ({ ...r, parentId: r.parentId.toLowerCase() }))),
    citationsByPosts: (postIds) => index.citations(postIds),
    citingPostPages: (requests) => index.citingPages(requests),
    async citedUrlsByThread(requests) {
      // A thread's cited stories are counted over its posts, so they are read first (the same batches, and
      // the same in-flight requests, as a page of the thread), up to the first CITED_SCAN posts.
      const read = await Promise.all(
        [...new Set(requests.map((r) => r.parentId))].map(async (topicId) => {
          try {
            const t = await topic(topicId);
            const stream = t?.post_stream.stream;
            if (t && stream) await topicPosts(topicId, stream, stream.slice(0, CITED_SCAN).map(String));
            else if (t) await megaTopicPage(t, { parentId: topicId, first: CITED_SCAN });
            return [topicId, null] as const;
          } catch (err) {
            return [topicId, err as Error] as const;
          }
        }),
      );
      const failed = new Map(read);
      const counted = await index.citedUrlsByThread(requests);
      return requests.map((r, i) => failed.get(r.parentId) ?? counted[i]!);
    },
    recentPostPages: (requests) => index.recentPages(requests),
    async close() {
      while (pending.size) await Promise.all(pending);
    },
  };
}
