import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fromRoot } from "../../src/paths.js";

/**
 * A fake Discourse on 127.0.0.1 serving answers recorded from real Discourse sites
 * (test/fixtures/real-world/discourse, see its SOURCES.md), unchanged in shape, with only the id remaps
 * SOURCES.md lists so that they point at each other. Two answers are derived (SOURCES.md says from which
 * Discourse code): the mega topic /t/777.json and the hidden profile /u/leith.json.
 */
const dir = (...parts: string[]) => fromRoot("test", "fixtures", "real-world", "discourse", ...parts);
const load = (...parts: string[]): any => JSON.parse(readFileSync(dir(...parts), "utf8"));

/** Private posts answer 403 with meta.discourse.org's body: 424242 (SOURCES.md) and 424300-424399 (the 50-request test). */
export const PRIVATE_POST = 424242;
export const isPrivatePost = (id: number) => id === PRIVATE_POST || (id >= 424_300 && id < 424_400);
/** Topic 2108 served as a mega topic (derived). */
export const MEGA_TOPIC = 777;

export interface RecordedDiscourse {
  port: number;
  requests: string[];
  count(prefix: string): number;
  close(): Promise<void>;
}

function remapCategories(list: any, map: (id: number) => number) {
  for (const t of list.topic_list.topics) if (t.category_id != null) t.category_id = map(t.category_id);
  return list;
}

export function recordedAnswers() {
  const categories = load("discourse_api", "categories.json");
  const catMap: Record<number, number> = { 1: 13, 2: 10, 3: 4 };
  for (const c of categories.category_list.categories) c.id = catMap[c.id] ?? c.id;

  const test2 = load("discourse_api", "category_latest_topics.json");
  const topicMap: Record<number, number> = { 5: 4944, 4: 51 };
  for (const t of test2.topic_list.topics) t.id = topicMap[t.id] ?? t.id;
  remapCategories(test2, (id) => (id === 2 ? 10 : id));

  // /latest.json as recorded (its own path; category ids unchanged: most are categories this site does not list).
  const latest = load("discourse-locations", "latest.json");
  const test3Page0 = remapCategories(load("discourse-locations", "latest.json"), () => 4);
  const test3Page1 = remapCategories(load("perceval", "discourse_topics.json"), () => 4);
  const test1 = remapCategories(load("perceval", "discourse_topics_last_posted_at_null.json"), () => 13);

  const topic51 = load("discourse-locations", "t_51_1.json");
  topic51.category_id = 10;
  const topic2108 = load("criticalfallibilism", "t_2108_post_452.json");
  const topic4944 = load("urho3d", "t_4944.json");

  // Every recorded post object, by id: /t/{id}.json posts, and topic 2108's /posts.json windows.
  const posts = new Map<number, any>();
  for (const t of [topic51, topic2108, topic4944]) for (const p of t.post_stream.posts) posts.set(p.id, p);
  for (const f of ["t_2108_posts.json", "t_2108_posts_pn_41.json", "t_2108_posts_pn_61.json", "t_2108_posts_pn_81.json"]) {
    for (const p of load("criticalfallibilism", f).post_stream.posts) posts.set(p.id, p);
  }
  const topics = new Map<number, any>([[51, topic51], [2108, topic2108], [4944, topic4944]]);

  // DERIVED: topic 2108 as a mega topic (PostStreamSerializerMixin: no stream, isMegaTopic and lastId).
  // Post ids are unique across a site: the mega topic's copies get ids of their own (id + 1 000 000).
  const megaPosts = [...posts.values()].filter((p) => p.topic_id === 2108).map((p) => ({ ...p, id: p.id + 1_000_000, topic_id: MEGA_TOPIC })).sort((a, b) => a.post_number - b.post_number);
  const { stream: _stream, ...megaStream } = topic2108.post_stream;
  const mega = {
    ...topic2108, id: MEGA_TOPIC,
    post_stream: { ...megaStream, posts: megaPosts.slice(0, 20), isMegaTopic: true, lastId: topic2108.post_stream.stream.at(-1) },
  };

  const merefield = load("discourse-locations", "u_merefield_card.json");
  // DERIVED: HiddenProfileSerializer (BasicUser fields + profile_hidden, title, primary_group_name,
  // can_send_private_message_to_user; no created_at, no bio) for Leith, who posts in topic 4944.
  const leithPost = topic4944.post_stream.posts.find((p: any) => p.username === "Leith");
  const leith = {
    user: {
      id: leithPost.user_id, username: "Leith", name: leithPost.name ?? null, avatar_template: leithPost.avatar_template,
      profile_hidden: true, title: null, primary_group_name: null, can_send_private_message_to_user: false,
    },
  };
  const forbidden = load("errors", "invalid_access_403.json");
  return { latest, categories, test2, test3Page0, test3Page1, test1, topics, posts, mega, megaPosts, merefield, leith, forbidden };
}

export async function startRecordedDiscourse(): Promise<RecordedDiscourse> {
  const a = recordedAnswers();
  const requests: string[] = [];
  const json = (res: ServerResponse, body: unknown, status = 200) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const notFound = (res: ServerResponse) => json(res, { errors: ["The requested URL or resource could not be found."], error_type: "not_found" }, 404);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? "/");
    const url = new URL(req.url ?? "/", "http://recorded.invalid");
    const path = url.pathname;
    const q = url.searchParams;
    const page = Number(q.get("page") ?? 0);
    if (path === "/categories.json") {
      // An unpaginated site: everything on page 1, nothing on later pages (CategoryList#find_categories).
      return json(res, page > 1 ? { ...a.categories, category_list: { ...a.categories.category_list, categories: [] } } : a.categories);
    }
    if (path === "/c/test2/10.json") return json(res, a.test2);
    if (path === "/latest.json") return page === 0 ? json(res, a.latest) : notFound(res);
    if (path === "/c/test3/4.json") return page === 0 ? json(res, a.test3Page0) : page === 1 ? json(res, a.test3Page1) : notFound(res);
    if (path === "/c/test1/13.json") return json(res, a.test1);
    if (path === `/t/${MEGA_TOPIC}.json`) return json(res, a.mega);
    if (path === `/t/${MEGA_TOPIC}/posts.json`) {
      // TopicView with post_number and asc: the next chunk (20) after that post_number, or before it descending.
      const n = Number(q.get("post_number") ?? 0);
      const asc = q.get("asc") === "true";
      const window = asc ? a.megaPosts.filter((p) => p.post_number > n) : a.megaPosts.filter((p) => p.post_number < n).reverse();
      return json(res, { post_stream: { posts: window.slice(0, 20) }, id: MEGA_TOPIC });
    }
    const topicPath = /^\/t\/(\d+)\.json$/.exec(path);
    if (topicPath) {
      const t = a.topics.get(Number(topicPath[1]));
      return t ? json(res, t) : notFound(res);
    }
    const postsPath = /^\/t\/(\d+)\/posts\.json$/.exec(path);
    if (postsPath) {
      // TopicView#filter_posts_by_ids: the topic's posts among the ids asked, unknown ids skipped.
      const topicId = Number(postsPath[1]);
      const wanted = new Set(q.getAll("post_ids[]").map(Number));
      return json(res, { post_stream: { posts: [...a.posts.values()].filter((p) => p.topic_id === topicId && wanted.has(p.id)) }, id: topicId });
    }
    const postPath = /^\/posts\/(\d+)\.json$/.exec(path);
    if (postPath) {
      const id = Number(postPath[1]);
      if (isPrivatePost(id)) return json(res, a.forbidden, 403);
      const p = a.posts.get(id);
      return p ? json(res, p) : notFound(res);
    }
    if (path === "/u/merefield.json") return json(res, a.merefield);
    if (path === "/u/leith.json") return json(res, a.leith);
    // A site hiding profiles from the public answers 403 for this one.
    if (path === "/u/hidden_from_public.json") return json(res, a.forbidden, 403);
    return notFound(res);
  };
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    count: (prefix) => requests.filter((r) => r.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
