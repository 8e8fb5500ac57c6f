import type { IncomingMessage, ServerResponse } from "node:http";
import { startFixtureServer, type FixtureServer } from "./fixture-server.js";

/**
 * A Discourse site on 127.0.0.1 answering the JSON endpoints crosswire reads, in the shape docs.discourse.org
 * documents (fields crosswire does not read are kept where they make the shape recognisable): one category,
 * one topic of `postCount` posts whose /t/{id}.json carries the first 20 posts in post_stream.posts and every
 * id in post_stream.stream, /t/{id}/posts.json?post_ids[]= for the rest, /posts/{id}.json, /u/{username}.json,
 * /c/{slug}/{id}.json and /latest.json. Every request is counted by the underlying fixture server.
 */
export const TOPIC_ID = 4417;
export const CATEGORY = { id: 7, slug: "world-news", name: "World news" };
/** A category only staff may read (read_restricted), as /categories.json lists it to an API key of an admin. */
export const STAFF_CATEGORY = { id: 8, slug: "staff", name: "Staff" };
/** A private message (archetype private_message, no category) and a topic of the staff category, one post each. */
export const PRIVATE = { pmTopic: 4418, pmPost: 80_001, staffTopic: 4419, staffPost: 80_002 };
const FIRST_POST_ID = 90_001;
const USERS = [
  { id: 11, username: "Quayside_Reader", name: "Ada Quayside" },
  { id: 12, username: "harbourmaster", name: "Bo Harbour" },
  { id: 13, username: "ledgerline", name: "" },
  { id: 14, username: "north_wind", name: "Nell Northwind" },
];
/** Links the posts cite, in rotation: articles of the bundled demo feeds (one with tracking parameters). */
export const CITED = [
  "https://www.meridian-news.example/news/2026/11/23/northmark-coalition-talks-begin",
  "https://www.harbor-times.example/2026/11/22/business/calder-bay-relief-containers-cleared.html?utm_source=forum",
  "https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3270",
];

export interface DiscourseFixture {
  server: FixtureServer;
  url: string;
  postCount: number;
  /** Answer the next request to this path prefix with 429 and this Retry-After (seconds), once. */
  throttleOnce(pathPrefix: string, retryAfterSeconds: number): void;
  /** Every request answers 500 (a site that is down) until called with false. */
  setDown(down: boolean): void;
  /** The topic's first post answers with HTML instead of JSON (a login wall, a proxy error page). */
  setHtmlAnswers(on: boolean): void;
  /** A new post at the end of the topic (a reply written on the site); resolves to its id. */
  addPost(cooked: string): number;
  /** Requests whose path starts with the prefix. */
  count(pathPrefix: string): number;
  close(): Promise<void>;
}

const iso = (i: number) => new Date(Date.UTC(2026, 10, 23, 8, 0, 0) + i * 60_000).toISOString();

function post(i: number) {
  const user = USERS[i % USERS.length]!;
  const link = CITED[i % CITED.length]!;
  const cooked =
    i === 0
      ? `<p>Opening the thread: <a href="${CITED[0]}">coalition talks begin</a>.</p><script>alert("x")</script><p onclick="steal()">Discuss.</p>`
      : `<p>Reply ${i + 1}, see <a href="${link.replace(/&/g, "&amp;")}">this report</a>.</p>`;
  return {
    id: FIRST_POST_ID + i, name: user.name, username: user.username,
    avatar_template: `/user_avatar/forum.example/${user.username.toLowerCase()}/{size}/1_2.png`,
    created_at: iso(i), updated_at: iso(i), cooked, post_number: i + 1, post_type: 1, reply_count: 0,
    reply_to_post_number: null, quote_count: 0, incoming_link_count: 0, reads: 3, score: 0.4, yours: false,
    topic_id: TOPIC_ID, topic_slug: "northmark-coalition-talks", display_username: user.name, version: 1,
    user_id: user.id, trust_level: 1, moderator: false, admin: false, staff: false, hidden: false,
  };
}

export interface DiscourseFixtureOptions {
  /** Topics in the category's topic list (the first is the fixture's topic; the others are listed only). Default 1. */
  listedTopics?: number;
  /** Topics per topic-list page (Discourse's per_page, a site setting; default 30). */
  perPage?: number;
}

export async function startDiscourseFixture(postCount = 120, options: DiscourseFixtureOptions = {}): Promise<DiscourseFixture> {
  const perPage = options.perPage ?? 30;
  const server = await startFixtureServer();
  const posts = Array.from({ length: postCount }, (_, i) => post(i));
  const throttles = new Map<string, number>();
  let down = false;
  let html = false;

  const json = (res: ServerResponse, body: unknown, status = 200) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const topic = {
    id: TOPIC_ID, title: "Northmark coalition talks", fancy_title: "Northmark coalition talks", posts_count: postCount,
    created_at: iso(0), last_posted_at: iso(postCount - 1), category_id: CATEGORY.id, slug: "northmark-coalition-talks",
    views: 812, like_count: 14, archetype: "regular", chunk_size: 20,
    details: { created_by: { id: USERS[0]!.id, username: USERS[0]!.username, name: USERS[0]!.name, avatar_template: "/a/{size}.png" } },
  };
  const posters = [{ extras: "latest", description: "Original Poster", user_id: USERS[0]!.id }];
  const listed = [
    { ...topic, posters },
    ...Array.from({ length: (options.listedTopics ?? 1) - 1 }, (_, i) => ({ ...topic, id: 5001 + i, title: `Listed topic ${i + 2}`, slug: `listed-${i + 2}`, posters })),
  ];
  const topicList = (page: number, path: string) => ({
    users: USERS.map((u) => ({ ...u, avatar_template: "/a/{size}.png" })),
    topic_list: {
      can_create_topic: false, per_page: perPage,
      more_topics_url: listed.length > (page + 1) * perPage ? `${path.replace(/\.json$/, "")}?page=${page + 1}` : null,
      topics: listed.slice(page * perPage, (page + 1) * perPage),
    },
  });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fixture.invalid");
    const path = url.pathname;
    for (const [prefix, seconds] of throttles) {
      if (path.startsWith(prefix)) {
        throttles.delete(prefix);
        res.writeHead(429, { "retry-after": String(seconds), "content-type": "application/json" });
        res.end('{"errors":["You’ve performed this action too many times."],"error_type":"rate_limit"}');
        return;
      }
    }
    if (down) return json(res, { errors: ["The server is down for maintenance."] }, 500);
    if (path === "/categories.json") {
      return json(res, { category_list: { can_create_category: false, categories: [
        { ...CATEGORY, color: "0088CC", text_color: "FFFFFF", topic_count: listed.length, post_count: postCount, position: 1, description: "<p>News from everywhere.</p>", description_text: "News from everywhere.", read_restricted: false, subcategory_list: [] },
        { ...STAFF_CATEGORY, color: "AA0000", text_color: "FFFFFF", topic_count: 1, post_count: 1, position: 2, description: "<p>Staff only.</p>", description_text: "Staff only.", read_restricted: true, subcategory_list: [] },
      ] } });
    }
    const hidden = [
      { topicId: PRIVATE.pmTopic, postId: PRIVATE.pmPost, archetype: "private_message", category_id: null, title: "Re: your account" },
      { topicId: PRIVATE.staffTopic, postId: PRIVATE.staffPost, archetype: "regular", category_id: STAFF_CATEGORY.id, title: "Moderation notes" },
    ].find((h) => path === `/t/${h.topicId}.json` || path === `/posts/${h.postId}.json`);
    if (hidden) {
      const secret = { ...post(0), id: hidden.postId, topic_id: hidden.topicId, cooked: "<p>Secret: the admin password is hunter2.</p>" };
      if (path.startsWith("/posts/")) return json(res, secret);
      return json(res, { ...topic, id: hidden.topicId, title: hidden.title, archetype: hidden.archetype, category_id: hidden.category_id, posts_count: 1, post_stream: { posts: [secret], stream: [secret.id] } });
    }
    if (path === `/c/${CATEGORY.slug}/${CATEGORY.id}.json` || path === "/latest.json") return json(res, topicList(Number(url.searchParams.get("page") ?? 0), path));
    if (path === `/t/${TOPIC_ID}.json`) {
      if (html) {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<!doctype html><title>Log in</title><p>Please log in.</p>");
        return;
      }
      const grown = { posts_count: posts.length, last_posted_at: iso(posts.length - 1) };
      return json(res, { ...topic, ...grown, post_stream: { posts: posts.slice(0, 20), stream: posts.map((p) => p.id) } });
    }
    if (path === `/t/${TOPIC_ID}/posts.json`) {
      const wanted = new Set(url.searchParams.getAll("post_ids[]").map(Number));
      return json(res, { post_stream: { posts: posts.filter((p) => wanted.has(p.id)) }, id: TOPIC_ID });
    }
    const single = /^\/posts\/(\d+)\.json$/.exec(path);
    if (single) {
      const found = posts.find((p) => p.id === Number(single[1]));
      return found ? json(res, found) : json(res, { errors: ["not found"], error_type: "not_found" }, 404);
    }
    const user = /^\/u\/([^/]+)\.json$/.exec(path);
    if (user) {
      const found = USERS.find((u) => u.username.toLowerCase() === decodeURIComponent(user[1]!).toLowerCase());
      if (!found) return json(res, { errors: ["not found"], error_type: "not_found" }, 404);
      return json(res, { user_badges: [], user: { ...found, bio_cooked: `<p>Reads the <b>harbour</b> news.</p><script>x()</script>`, bio_raw: "Reads the **harbour** news.", created_at: "2024-02-03T10:00:00.000Z", trust_level: 1 } });
    }
    json(res, { errors: ["The requested URL or resource could not be found."], error_type: "not_found" }, 404);
  };
  // The fixture server routes by exact path: route every path this site answers to the one handler.
  for (const path of ["/categories.json", `/c/${CATEGORY.slug}/${CATEGORY.id}.json`, "/latest.json", `/t/${TOPIC_ID}.json`, `/t/${TOPIC_ID}/posts.json`, ...posts.map((p) => `/posts/${p.id}.json`), "/posts/1.json", `/t/${PRIVATE.pmTopic}.json`, `/t/${PRIVATE.staffTopic}.json`, `/posts/${PRIVATE.pmPost}.json`, `/posts/${PRIVATE.staffPost}.json`, ...USERS.map((u) => `/u/${u.username.toLowerCase()}.json`), ...USERS.map((u) => `/u/${u.username}.json`)]) {
    server.route(path, handler);
  }
  return {
    server,
    url: server.url(""),
    postCount,
    throttleOnce: (prefix, seconds) => void throttles.set(prefix, seconds),
    setDown: (value) => void (down = value),
    setHtmlAnswers: (value) => void (html = value),
    addPost(cooked) {
      const added = { ...post(posts.length), cooked };
      posts.push(added);
      server.route(`/posts/${added.id}.json`, handler);
      return added.id;
    },
    count: (prefix) => server.requests.filter((r) => r.path.startsWith(prefix)).length,
    close: () => server.close(),
  };
}
