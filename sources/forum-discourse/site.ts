import { toDict } from "../../src/model/dict.js";
import type Keyv from "keyv";
import type { ForumHealth } from "../../src/forums/health.js";
import { pageOf } from "../../src/forums/paging.js";
import type { PostIndex } from "../../src/forums/post-index.js";
import type { AuthorRecord, ForumRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import type { Page, PageRequest } from "../../src/model/paging.js";
import type { AdapterDeps } from "../deps.js";
import { authorSummary, isSmallAction, SITE_FORUM, toAuthor, toPost, toThread, USERNAME } from "./adapt.js";
import { readCategories } from "./categories.js";
import type { DiscourseClient } from "./client.js";
import type { ListedCategory } from "./thread-list.js";
import { PostsWire, TopicWire, UserWire, type PostWire } from "./wire.js";

/**
 * Reading one Discourse site: the lookups index.ts's batch methods are made of, as functions of the site's
 * state (`Site`), so that each does one thing. Upstream I/O goes through client.ts, wire → model through
 * adapt.ts, topic lists through thread-list.ts, mega topics through mega-topic.ts.
 */
export interface Site {
  id: string;
  name: string;
  baseUrl: string;
  /** What relative URLs in cooked HTML are resolved against. */
  base: URL;
  postBatchSize: number;
  ttlMs: number;
  keyv: Keyv;
  deps: AdapterDeps;
  now: () => Date;
  health: ForumHealth;
  index: PostIndex;
  client: DiscourseClient;
  /** Topics whose growth was looked at (a shared answer object is noticed once). */
  noticed: WeakSet<TopicWire>;
  /** Background reads of new posts (close() waits for them). */
  pending: Set<Promise<void>>;
  /** Forum.threads (thread-list.ts; it remembers the site's topic-list page size). */
  threadPage: (request: PageRequest) => Promise<Page<ThreadRecord>>;
  /** A page of a topic too big for a `stream` (mega-topic.ts). */
  megaTopicPage: (t: TopicWire, request: PageRequest) => Promise<Page<PostRecord>>;
}

export type Category = ListedCategory;

/** New posts of one topic reported per re-read (the newest; README "Live updates"). */
const NEW_POSTS_CAP = 100;
/** A topic's post ids are remembered this long after its last read; a topic unread longer starts afresh. */
const STREAM_TTL_MS = 7 * 24 * 3600_000;

const key = (site: Site, name: string) => `forum:${site.id}:${name}`;

/** Discourse does not say when a category was created: Forum.createdAt is when the gateway first saw it. */
async function firstSeen(site: Site, ids: string[]): Promise<Record<string, string>> {
  const seen = toDict(await site.keyv.get<Record<string, string>>(key(site, "first-seen")));
  const fresh = ids.filter((k) => !seen[k]);
  if (fresh.length) {
    for (const k of fresh) seen[k] = site.now().toISOString();
    await site.keyv.set(key(site, "first-seen"), seen);
  }
  return seen;
}

export async function siteForum(site: Site): Promise<ForumRecord> {
  const seen = await firstSeen(site, [SITE_FORUM]);
  return { id: SITE_FORUM, slug: site.id, name: site.name, description: `Latest topics of ${site.baseUrl}`, createdAt: new Date(seen[SITE_FORUM]!) };
}

export async function categories(site: Site): Promise<Map<string, Category>> {
  // Public categories only: an API key may see read-restricted ones, which anonymous clients must not.
  const flat = (await readCategories(site.client)).filter((c) => !c.wire.read_restricted);
  const seen = await firstSeen(site, flat.map((c) => String(c.wire.id)));
  return new Map(flat.map(({ wire: c, slugPath, topicCountWithChildren }) => [String(c.id), {
    record: { id: String(c.id), slug: slugPath, name: c.name, description: c.description_text ?? "", createdAt: new Date(seen[String(c.id)]!) },
    slug: c.slug,
    topicCount: topicCountWithChildren,
  }]));
}

/** Author summaries from post data, so Post.author costs no /u/ request (kept a day; names rarely change). */
export async function rememberAuthors(site: Site, users: Array<{ username: string; name?: string | null | undefined }>): Promise<void> {
  const unique = new Map(users.map((u) => [u.username.toLowerCase(), authorSummary(u.username, u.name)]));
  if (unique.size === 0) return;
  await site.keyv.setMany([...unique.values()].map((a) => ({ key: key(site, `author:${a.id}`), value: a, ttl: 24 * 3600_000 })));
}

/** The author summaries remembered from post data, by lower-cased username (undefined where none is). */
export function authorSummaries(site: Site, ids: readonly string[]): Promise<Array<AuthorRecord | undefined>> {
  return site.keyv.getMany<AuthorRecord>(ids.map((k) => key(site, `author:${k.toLowerCase()}`)));
}

/**
 * Posts as records, indexed. `stream` gives each post's position (its place in the topic's stream); without
 * one (a mega topic) the position is its post_number. Small actions ("closed", "pinned": post_type 3) are
 * left out: they have no text, and leaving them out keeps the positions of the posts around them.
 */
export async function indexPosts(site: Site, posts: PostWire[], stream: readonly number[] | undefined): Promise<PostRecord[]> {
  const position = new Map(stream?.map((postId, i) => [postId, i + 1]));
  const kept = posts.filter((p) => !isSmallAction(p) && (!stream || position.has(p.id)));
  const records = kept.map((p) => toPost(p, site.base, position.get(p.id) ?? p.post_number));
  await rememberAuthors(site, kept);
  await site.index.put(records);
  return records;
}

/**
 * Whether a topic may be served: not a private message, and in a category the gateway lists (public). The
 * API key's user may read more than an anonymous visitor, and any client can ask for any id.
 */
async function isPublic(site: Site, t: Pick<TopicWire, "archetype" | "category_id">): Promise<boolean> {
  if (t.archetype === "private_message" || t.category_id == null) return false;
  return (await categories(site)).has(String(t.category_id));
}

export async function topic(site: Site, topicId: string): Promise<TopicWire | null> {
  if (!/^\d{1,15}$/.test(topicId)) return null;
  const answer = await site.client.get(`/t/${topicId}.json`, TopicWire);
  if (!answer || !(await isPublic(site, answer.data))) return null;
  if (answer.fetched) {
    const { id, title, forumId, authorId, createdAt } = toThread(answer.data);
    const forumSlug = (await categories(site)).get(forumId)?.record.slug ?? site.id;
    await site.index.putThreads([{ id, title, forumSlug, authorId, createdAt }]);
    await indexPosts(site, answer.data.post_stream.posts, answer.data.post_stream.stream);
    noticeGrowth(site, topicId, answer.data);
  }
  return answer.data;
}

/*
 * New posts. Discourse pushes nothing to the gateway and topics are read on demand, so "new" means: a topic
 * read from upstream again (a query asked for it after cacheTtlSeconds) lists post ids its previous read
 * did not. Those posts (the newest NEW_POSTS_CAP) are fetched in the background, indexed, and reported.
 * The first read of a topic only records its ids. Callers sharing one fetch share its answer object,
 * which is noticed once. A mega topic (no `stream`) is not watched.
 */
function noticeGrowth(site: Site, topicId: string, data: TopicWire): void {
  const report = site.deps.events?.postsAdded;
  const stream = data.post_stream.stream;
  if (!report || site.noticed.has(data) || !stream) return;
  site.noticed.add(data);
  const work = (async () => {
    const before = await site.keyv.get<number[]>(key(site, `stream:${topicId}`));
    await site.keyv.set(key(site, `stream:${topicId}`), stream, STREAM_TTL_MS);
    if (!before) return;
    const known = new Set(before);
    const added = stream.filter((postId) => !known.has(postId)).slice(-NEW_POSTS_CAP).map(String);
    if (added.length === 0) return;
    await topicPosts(site, topicId, stream, added);
    // Read back from the index, which holds each post with its citations (a post deleted meanwhile is skipped).
    const records = (await site.index.posts(added)).filter((p): p is PostRecord => p !== null);
    if (records.length) report(site.id, records);
  })().catch((err: unknown) => site.deps.logger.warn({ err, forumSource: site.id, topicId }, "reading a topic's new posts failed; they are not reported"));
  site.pending.add(work);
  void work.finally(() => site.pending.delete(work));
}

/** Posts of one topic by id: fresh ones from the index, the rest `postBatchSize` per request. */
export async function topicPosts(site: Site, topicId: string, stream: readonly number[], ids: readonly string[]): Promise<Map<string, PostRecord>> {
  const known = await site.index.posts(ids, site.ttlMs);
  const found = new Map(known.filter((p): p is PostRecord => p !== null).map((p) => [p.id, p]));
  const missing = ids.filter((postId) => !found.has(postId));
  const batches: string[][] = [];
  for (let i = 0; i < missing.length; i += site.postBatchSize) batches.push(missing.slice(i, i + site.postBatchSize));
  await Promise.all(
    batches.map(async (batch) => {
      const query = batch.map((postId) => `post_ids[]=${postId}`).join("&");
      const answer = await site.client.get(`/t/${topicId}/posts.json?${query}`, PostsWire);
      for (const record of await indexPosts(site, answer?.data.post_stream.posts ?? [], stream)) found.set(record.id, record);
    }),
  );
  return found;
}

export async function postPage(site: Site, request: PageRequest): Promise<Page<PostRecord> | null> {
  const t = await topic(site, request.parentId);
  if (!t) return null;
  const stream = t.post_stream.stream;
  if (!stream) return site.megaTopicPage(t, request);
  const positions = stream.map((postId, i) => ({ postId: String(postId), position: i + 1 }));
  const page = pageOf(positions, request, (x) => [x.position], ["number"]);
  const posts = await topicPosts(site, request.parentId, stream, page.edges.map((e) => e.node.postId));
  return {
    ...page,
    // A post deleted between the stream and the batch is skipped rather than failing the page.
    edges: page.edges.flatMap((e) => {
      const node = posts.get(e.node.postId);
      return node ? [{ node, cursor: e.cursor }] : [];
    }),
  };
}

export async function profile(site: Site, authorId: string): Promise<AuthorRecord | null> {
  if (!USERNAME.test(authorId)) return null;
  const answer = await site.client.get(`/u/${encodeURIComponent(authorId)}.json`, UserWire);
  return answer ? toAuthor(answer.data.user) : null;
}
