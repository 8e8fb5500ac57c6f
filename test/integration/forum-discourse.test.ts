import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FeedForumSource } from "../../sources/forum-feed/index.js";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { parseGlobalId, toGlobalId } from "../../src/model/ids.js";
import { createFetcher } from "../../src/net/index.js";
import { fromRoot } from "../../src/paths.js";
import { canonicalUrl } from "../../src/urls/index.js";
import { CITED, PRIVATE, startDiscourseFixture, TOPIC_ID, type DiscourseFixture } from "../helpers/discourse-fixture.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const BATCH = 20;
const THREAD = toGlobalId("Thread", "harbour-talk", TOPIC_ID);

const THREAD_QUERY = `query ($id: ID!) {
  thread(id: $id) {
    title
    forum { name source { id kind name } }
    author { username name }
    posts(first: 120) {
      totalCount
      edges { node { id position author { username name } body citations { url canonicalUrl article { title } } } }
    }
    citedArticles { canonicalUrl citationCount }
  }
}`;

describe("forum-discourse: a Discourse site through its JSON API", () => {
  let site: DiscourseFixture;
  let down: DiscourseFixture;
  let html: DiscourseFixture;
  let feeds: FixtureServer;
  let gw: TestGateway;

  beforeAll(async () => {
    [site, down, html, feeds] = await Promise.all([startDiscourseFixture(120), startDiscourseFixture(3), startDiscourseFixture(3), startFixtureServer()]);
    down.setDown(true);
    html.setHtmlAnswers(true);
    feeds.serveFile("/feed.php", fromRoot("test", "fixtures", "forums", "phpbb-board.atom.xml"), { "content-type": "application/atom+xml" });
    gw = await startTestGateway({
      net: { allowPrivateNetworks: true },
      news: { poll: false },
      pagination: { defaultFirst: 20, maxFirst: 200 },
      forums: [
        { kind: "discourse", id: "harbour-talk", name: "Harbour Talk", url: site.url, apiKey: "k-123", apiUsername: "system", postBatchSize: BATCH },
        { kind: "discourse", id: "mirror-talk", name: "Mirror of Harbour Talk", url: site.url },
        { kind: "discourse", id: "down-talk", name: "Down Talk", url: down.url },
        { kind: "discourse", id: "html-talk", name: "Login-walled Talk", url: html.url },
        { kind: "feed", id: "harbour-board", name: "Harbour Forum", url: feeds.url("/feed.php") },
      ],
    });
    await (gw.gateway.forums.get("harbour-board") as FeedForumSource).poll();
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([site?.close(), down?.close(), html?.close(), feeds?.close()]);
  });

  it("resolves a 120-post thread with authors and citations in one query within ceil(120 / batch) + 3 upstream requests, a 429 included", async () => {
    site.throttleOnce(`/t/${TOPIC_ID}/posts.json`, 1); // one 429 with Retry-After: 1, waited out and retried
    const before = site.server.requests.length;
    const { body } = await gw.graphql(THREAD_QUERY, { id: THREAD });
    expect(body.errors).toBeUndefined();
    const thread = body.data.thread;
    expect(thread.title).toBe("Northmark coalition talks");
    expect(thread.forum).toEqual({ name: "World news", source: { id: "harbour-talk", kind: "DISCOURSE", name: "Harbour Talk" } });
    expect(thread.author).toEqual({ username: "Quayside_Reader", name: "Ada Quayside" });
    const posts = thread.posts.edges.map((e: any) => e.node);
    expect(thread.posts.totalCount).toBe(120);
    expect(posts.map((p: any) => p.position)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(new Set(posts.map((p: any) => p.author.username))).toEqual(new Set(["Quayside_Reader", "harbourmaster", "ledgerline", "north_wind"]));
    expect(posts.find((p: any) => p.author.username === "ledgerline").author.name).toBe("ledgerline"); // empty name → username
    expect(posts.every((p: any) => p.citations.length === 1)).toBe(true);
    // Citations resolve to the bundled demo feeds' articles, tracking parameters dropped.
    const titled = posts.filter((p: any) => p.citations[0].article?.title);
    expect(titled.length).toBe(120);
    expect(posts[1].citations[0].canonicalUrl).toBe(canonicalUrl(CITED[1]!));
    expect(thread.citedArticles.map((c: any) => c.citationCount).reduce((a: number, b: number) => a + b, 0)).toBe(120);

    const requests = site.server.requests.slice(before);
    console.log(`120-post Discourse thread in one query: ${requests.length} upstream requests (bound ${Math.ceil(120 / BATCH) + 3}): ${requests.map((r) => r.path).join(", ")}`);
    expect(requests.length).toBeLessThanOrEqual(Math.ceil(120 / BATCH) + 3);
    expect(requests.filter((r) => r.path === `/t/${TOPIC_ID}/posts.json`)).toHaveLength(Math.ceil(100 / BATCH) + 1); // 5 batches + the 429
    expect(requests.filter((r) => r.path.startsWith("/u/"))).toHaveLength(0); // authors come from the posts
    expect(requests[0]!.headers["api-key"]).toBe("k-123");
    expect(requests[0]!.headers["api-username"]).toBe("system");
  });

  it("answers the same query again from the cache, with no upstream request", async () => {
    const before = site.server.requests.length;
    const { body } = await gw.graphql(THREAD_QUERY, { id: THREAD });
    expect(body.errors).toBeUndefined();
    expect(body.data.thread.posts.edges).toHaveLength(120);
    expect(site.server.requests.length).toBe(before);
  });

  it("sanitizes cooked HTML on the way out", async () => {
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { posts(first: 1) { nodes { body bodyText } } } }`, { id: THREAD });
    const first = body.data.thread.posts.nodes[0];
    expect(first.body).toContain('href="https://www.meridian-news.example/news/2026/11/23/northmark-coalition-talks-begin"');
    expect(first.body).not.toMatch(/<script|onclick|alert/);
    expect(first.bodyText).toContain("Discuss.");
  });

  it("lists the posts of every forum in Article.citedBy, and serves the thread as a feed", async () => {
    const article = toGlobalId("Article", "news", canonicalUrl(CITED[2]!)!);
    const { body } = await gw.graphql(`query ($id: ID!) { node(id: $id) { ... on Article { title citedBy(first: 100) { totalCount nodes { id } } } } }`, { id: article });
    expect(body.errors).toBeUndefined();
    const sources = body.data.node.citedBy.nodes.map((p: any) => (parseGlobalId(p.id) as { sourceId: string }).sourceId);
    expect(sources.filter((s: string) => s === "harbour-talk")).toHaveLength(40); // posts 3, 6, 9, … cite CITED[2]
    expect(sources).toContain("local"); // the demo forum cites the same story

    const res = await fetch(`${gw.url}/feeds/threads/${THREAD}.atom`);
    expect(res.status).toBe(200);
    const atom = await res.text();
    expect(atom).toContain("Northmark coalition talks");
    expect(atom).toContain("Reply 120");
    const board = await fetch(`${gw.url}/feeds/forums/${toGlobalId("Forum", "harbour-talk", 7)}.rss`);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain("Northmark coalition talks");
  });

  it("fetches an author's profile only when bio or joinedAt is asked, and sanitizes the bio", async () => {
    const before = site.count("/u/");
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { author { username bio joinedAt } } }`, { id: THREAD });
    expect(body.errors).toBeUndefined();
    expect(body.data.thread.author).toEqual({ username: "Quayside_Reader", bio: "Reads the harbour news.", joinedAt: "2024-02-03T10:00:00.000Z" });
    expect(site.count("/u/") - before).toBe(1);
  });

  it("keeps ids of two forums apart: the same topic served by two sources gets two IDs, each routed to its source", async () => {
    const mirror = toGlobalId("Thread", "mirror-talk", TOPIC_ID);
    expect(mirror).not.toBe(THREAD);
    const { body } = await gw.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Thread { forum { source { id } } posts(first: 1) { nodes { id } } } } }`, { ids: [THREAD, mirror] });
    expect(body.errors).toBeUndefined();
    expect(body.data.nodes.map((n: any) => n.forum.source.id)).toEqual(["harbour-talk", "mirror-talk"]);
    const [a, b] = body.data.nodes.map((n: any) => n.posts.nodes[0].id);
    expect(a).not.toBe(b);
    expect(parseGlobalId(a)).toMatchObject({ sourceId: "harbour-talk", key: "90001" });
    expect(parseGlobalId(b)).toMatchObject({ sourceId: "mirror-talk", key: "90001" });
  });

  it("shows a down forum in health while the local store and the feed forum answer in the same query", async () => {
    const { body } = await gw.graphql(`{
      forums { id name source { id kind health { status lastError consecutiveFailures } } threads(first: 2) { totalCount nodes { title } } }
    }`);
    const bySource = new Map<string, any[]>();
    for (const forum of body.data.forums) bySource.set(forum.source.id, [...(bySource.get(forum.source.id) ?? []), forum]);
    expect([...bySource.keys()][0]).toBe("local");
    expect(bySource.get("local")!.every((f) => f.threads.totalCount > 0)).toBe(true);
    expect(bySource.get("harbour-board")![0].threads.nodes.length).toBeGreaterThan(0);
    expect(bySource.get("harbour-talk")![0].threads.nodes[0].title).toBe("Northmark coalition talks");

    const [downForum] = bySource.get("down-talk")!;
    expect(downForum.name).toBe("Down Talk");
    expect(downForum.source.health.status).toBe("FAILING");
    expect(downForum.source.health.lastError).toMatch(/HTTP 500/);
    expect(downForum.threads).toBeNull();
    const errors = body.errors.filter((e: any) => e.extensions.sourceId === "down-talk");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e: any) => e.extensions.code === "SOURCE_UNAVAILABLE")).toBe(true);
    // Only the down forum's fields failed (and the login-walled site's, which answers HTML).
    expect(body.errors.every((e: any) => ["down-talk", "html-talk"].includes(e.extensions.sourceId))).toBe(true);
  });

  it("serves no private message and nothing of a read-restricted category, even with an API key", async () => {
    const q = `query ($pmTopic: ID!, $pmPost: ID!, $staffTopic: ID!, $staffPost: ID!) {
      pmTopic: node(id: $pmTopic) { id } pmPost: node(id: $pmPost) { id }
      staffTopic: node(id: $staffTopic) { id } staffPost: node(id: $staffPost) { id }
      forums { name }
    }`;
    const vars = {
      pmTopic: toGlobalId("Thread", "harbour-talk", PRIVATE.pmTopic), pmPost: toGlobalId("Post", "harbour-talk", PRIVATE.pmPost),
      staffTopic: toGlobalId("Thread", "harbour-talk", PRIVATE.staffTopic), staffPost: toGlobalId("Post", "harbour-talk", PRIVATE.staffPost),
    };
    for (let i = 0; i < 2; i++) {
      // Twice: the second answer comes from the cache and the post index, which must not hold them either.
      const { body } = await gw.graphql(q, vars);
      expect(body.errors).toBeUndefined();
      expect(body.data).toMatchObject({ pmTopic: null, pmPost: null, staffTopic: null, staffPost: null });
      expect(body.data.forums.map((f: any) => f.name)).not.toContain("Staff");
    }
    expect(site.count(`/posts/${PRIVATE.pmPost}.json`)).toBeGreaterThan(0); // asked upstream, and refused
    const { body: pub } = await gw.graphql(`query ($id: ID!) { node(id: $id) { id } }`, { id: toGlobalId("Post", "harbour-talk", 90_001) });
    expect(pub.data.node).not.toBeNull();
  });

  it("reports a non-JSON answer as SOURCE_UNAVAILABLE for that field, and keeps serving", async () => {
    const { body } = await gw.graphql(`query ($id: ID!, $ok: ID!) { thread(id: $id) { title } ok: thread(id: $ok) { title } }`, {
      id: toGlobalId("Thread", "html-talk", TOPIC_ID), ok: THREAD,
    });
    expect(body.data).toEqual({ thread: null, ok: { title: "Northmark coalition talks" } });
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toMatchObject({ code: "SOURCE_UNAVAILABLE", sourceId: "html-talk" });
    expect(body.errors[0].message).toMatch(/did not answer with JSON \(got text\/html\)/);
    const { body: sources } = await gw.graphql(`{ forumSources { id kind health { status lastError } } }`);
    expect(sources.data.forumSources.map((s: any) => s.id)).toEqual(["local", "harbour-talk", "mirror-talk", "down-talk", "html-talk", "harbour-board"]);
    expect(sources.data.forumSources.find((s: any) => s.id === "html-talk").health.lastError).toMatch(/not answer with JSON/);
  });

  // Last: the 429 leaves the fixture host in backoff for two minutes.
  it("fails clearly on a 429 whose Retry-After is longer than a request waits", async () => {
    site.throttleOnce("/u/", 120);
    const { body } = await gw.graphql(`query ($id: ID!) { post(id: $id) { author { username joinedAt } } }`, { id: toGlobalId("Post", "harbour-talk", 90_002) });
    // joinedAt is nullable (a hidden profile has none): the failure nulls that field only.
    expect(body.data.post).toEqual({ author: { username: "harbourmaster", joinedAt: null } });
    expect(body.errors[0].extensions).toMatchObject({ code: "SOURCE_UNAVAILABLE", sourceId: "harbour-talk" });
    expect(body.errors[0].message).toMatch(/HTTP 429.*asked to wait 120 s/);
  });

  it("gives Thread.url and Post.url as the forum's own pages: Discourse /t/{id} and /p/{id}, a forum feed's entry links", async () => {
    const discourse = await gw.graphql(`query ($id: ID!) { thread(id: $id) { url posts(first: 2) { nodes { id url } } } }`, { id: THREAD });
    expect(discourse.body.errors).toBeUndefined();
    expect(discourse.body.data.thread.url).toBe(`${site.url}/t/${TOPIC_ID}`);
    for (const post of discourse.body.data.thread.posts.nodes) {
      const key = (parseGlobalId(post.id) as { key: string }).key;
      expect(post.url).toBe(`${site.url}/p/${key}`);
    }
    const feed = await gw.graphql(`{ forum(id: "${toGlobalId("Forum", "harbour-board", "board")}") { threads(first: 5) { nodes { url posts(first: 5) { nodes { url } } } } } }`);
    expect(feed.body.errors).toBeUndefined();
    const threads = feed.body.data.forum.threads.nodes;
    expect(threads.length).toBeGreaterThan(0);
    for (const thread of threads) {
      // The opening entry's link without its #fragment; each post its own entry link.
      // (phpBB links a reply by post only sometimes: `viewtopic.php?p=98#p98`.)
      expect(thread.url).toMatch(/^https:\/\/harbour-forum\.example\/viewtopic\.php\?(t=\d+&)?p=\d+$/);
      for (const post of thread.posts.nodes) expect(post.url).toMatch(/^https:\/\/harbour-forum\.example\/viewtopic\.php\?(t=\d+&)?p=(\d+)#p\2$/);
    }
  });
});

describe("forum configuration and credentials", () => {
  const forum = (id: string) => ({ kind: "discourse" as const, id, name: id, url: "https://forum.example" });

  it("refuses duplicate forum ids, the reserved id local, and unknown keys, naming each", () => {
    const problems = (forums: unknown[]) => {
      try {
        loadConfig({}, { forums } as never);
        return "";
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(problems([forum("a"), forum("a")])).toMatch(/forums\.1\.id: duplicate forum id "a"/);
    expect(problems([forum("local")])).toMatch(/forums\.0\.id: the id "local" belongs to the built-in forum store/);
    expect(problems([{ ...forum("b"), pollIntervalSeconds: 60 }])).toMatch(/forums\.0/);
    expect(problems([{ kind: "feed", id: "c", name: "C", url: "https://forum.example/feed.php" }])).toBe("");
    expect(loadConfig({}, { forums: [forum("d")] }).forums[0]).toMatchObject({ postBatchSize: 20, cacheTtlSeconds: 60, maxRetryWaitSeconds: 5 });
  });

  it("sends the API key to the forum's origin only, never across a redirect to another one", async () => {
    const [forumHost, elsewhere] = await Promise.all([startFixtureServer(), startFixtureServer()]);
    try {
      forumHost.route("/latest.json", { status: 302, headers: { location: elsewhere.url("/latest.json") } });
      elsewhere.route("/latest.json", { status: 200, headers: { "content-type": "application/json" }, body: "{}" });
      const fetcher = createFetcher({ allowPrivateNetworks: true });
      await fetcher.fetch({ url: forumHost.url("/latest.json"), headers: { "Api-Key": "secret", "Api-Username": "system" } });
      expect(forumHost.requests[0]!.headers["api-key"]).toBe("secret");
      expect(elsewhere.requests[0]!.headers["api-key"]).toBeUndefined();
      expect(elsewhere.requests[0]!.headers["api-username"]).toBeUndefined();
    } finally {
      await Promise.all([forumHost.close(), elsewhere.close()]);
    }
  });
});

describe("forum-discourse: topic lists of a site with another page size", () => {
  let site: DiscourseFixture;
  let gw: TestGateway;
  beforeAll(async () => {
    site = await startDiscourseFixture(3, { listedTopics: 120, perPage: 50 });
    gw = await startTestGateway({
      net: { allowPrivateNetworks: true },
      news: { demoFeeds: false, poll: false },
      forums: [{ kind: "discourse", id: "wide-talk", name: "Wide Talk", url: site.url }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it("pages every topic once when the site lists 50 topics a page", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const { body } = await gw.graphql(`query ($id: ID!, $after: String) { forum(id: $id) { threads(first: 20, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }`, {
        id: toGlobalId("Forum", "wide-talk", "7"), after,
      });
      expect(body.errors).toBeUndefined();
      const threads = body.data.forum.threads;
      seen.push(...threads.nodes.map((t: any) => (parseGlobalId(t.id) as { key: string }).key));
      if (!threads.pageInfo.hasNextPage) break;
      after = threads.pageInfo.endCursor;
    }
    expect(seen).toEqual([String(TOPIC_ID), ...Array.from({ length: 119 }, (_, i) => String(5001 + i))]);
  });
});
