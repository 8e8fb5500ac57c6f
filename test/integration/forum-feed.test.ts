import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FeedForumSource } from "../../sources/forum-feed/index.js";
import { parseGlobalId, toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const fixture = (name: string) => fromRoot("test", "fixtures", "forums", name);
const XENFORO_PATH = "/threads/ceasefire-talks-live-thread.5512/index.rss";

/** A phpBB-style board of three topics: 4 and 12 last posted at the same second, 3 earlier. */
const entry = (topic: number, post: number, at: string) => `<entry><author><name>dockside</name></author><updated>${at}</updated><published>${at}</published>
<id>https://tie-forum.example/viewtopic.php?t=${topic}&amp;p=${post}#p${post}</id><link href="https://tie-forum.example/viewtopic.php?t=${topic}&amp;p=${post}#p${post}"/>
<title type="html">Board • Topic ${topic}</title><content type="html">&lt;p&gt;Post ${post}&lt;/p&gt;</content></entry>`;
const TIE_BOARD = `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Tie Forum</title><id>https://tie-forum.example/feed.php</id>
<updated>2026-11-23T09:00:00+00:00</updated>${entry(4, 40, "2026-11-23T09:00:00+00:00")}${entry(12, 120, "2026-11-23T09:00:00+00:00")}${entry(3, 30, "2026-11-22T09:00:00+00:00")}</feed>`;

const BOARD_QUERY = `query ($id: ID!) {
  forum(id: $id) {
    name slug description source { id kind name url health { status itemCount lastError } }
    threads(first: 10) {
      totalCount
      nodes { id title author { username } posts(first: 10) { totalCount nodes { id position author { name joinedAt } body citations { canonicalUrl article { title } } } } }
    }
  }
}`;

describe("forum-feed: forums read from their RSS/Atom feeds", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const poll = (id: string) => (gw.gateway.forums.get(id) as FeedForumSource).poll();

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/feed.php", fixture("phpbb-board.atom.xml"), { "content-type": "application/atom+xml; charset=UTF-8" });
    server.route("/tie.php", { headers: { "content-type": "application/atom+xml" }, body: TIE_BOARD });
    server.serveFile(XENFORO_PATH, fixture("xenforo-thread.rss.xml"), { "content-type": "application/rss+xml; charset=utf-8" });
    gw = await startTestGateway({
      net: { allowPrivateNetworks: true },
      news: { poll: false },
      forums: [
        { kind: "feed", id: "tie-board", name: "Tie Forum", url: server.url("/tie.php") },
        { kind: "feed", id: "harbour-board", name: "Harbour Forum", url: server.url("/feed.php") },
        { kind: "feed", id: "politics-thread", name: "Northmark Politics", url: server.url(XENFORO_PATH) },
      ],
    });
    expect(await poll("harbour-board")).toMatchObject({ kind: "stored", added: 5 });
    expect(await poll("politics-thread")).toMatchObject({ kind: "stored", added: 3 });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("maps a phpBB Atom board feed to a forum, threads grouped by topic id (or title), posts in time order, authors", async () => {
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "harbour-board", "board") });
    expect(body.errors).toBeUndefined();
    const forum = body.data.forum;
    expect(forum).toMatchObject({ name: "Harbour Forum", slug: "harbour-board", description: "Harbour Forum" });
    expect(forum.source).toMatchObject({ id: "harbour-board", kind: "FEED", url: server.url("/feed.php"), health: { status: "OK", itemCount: 5, lastError: null } });
    const [relief, strike] = forum.threads.nodes;
    expect(forum.threads.totalCount).toBe(2);
    expect(relief.title).toBe("Relief containers cleared at last");
    expect(parseGlobalId(relief.id)).toMatchObject({ sourceId: "harbour-board", key: "12" });
    expect(relief.author.username).toBe("Pilot Boat");
    expect(relief.posts.nodes.map((p: any) => [p.position, p.author.name, (parseGlobalId(p.id) as { key: string }).key])).toEqual([
      [1, "Pilot Boat", "120"], [2, "gullwing", "127"], [3, "dockside", "131"],
    ]);
    // p=98 names no topic: it joins topic 9 by its "Re: " title.
    expect(parseGlobalId(strike.id)).toMatchObject({ key: "9" });
    expect(strike.title).toBe("Strike talks, day three");
    expect(strike.posts.nodes.map((p: any) => p.author.name)).toEqual(["dockside", "gullwing"]);
    expect(strike.posts.nodes[1].author.joinedAt).toBe("2026-11-22T17:02:00.000Z"); // earliest post seen by gullwing (in this thread)
  });

  it("sanitizes post HTML and indexes its links as citations, bare URLs included", async () => {
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "harbour-board", "board") });
    const posts = body.data.forum.threads.nodes[0].posts.nodes;
    for (const post of posts) expect(post.body).not.toMatch(/<script|onerror|javascript:|document\.cookie/);
    const cleared = "https://www.harbor-times.example/2026/11/22/business/calder-bay-relief-containers-cleared.html";
    expect(posts[0].citations).toEqual([{ canonicalUrl: cleared, article: { title: expect.any(String) } }]); // bare URL in text
    expect(posts[2].citations.map((c: any) => c.canonicalUrl)).toContain(cleared); // utm_source dropped
    const { body: cited } = await gw.graphql(`query ($id: ID!) { node(id: $id) { ... on Article { citedBy(first: 20) { nodes { id } } } } }`, {
      id: toGlobalId("Article", "news", cleared),
    });
    const keys = cited.data.node.citedBy.nodes.map((p: any) => parseGlobalId(p.id)).filter((g: any) => g.sourceId === "harbour-board").map((g: any) => g.key);
    expect(keys.sort()).toEqual(["120", "131"]);
  });

  it("maps a XenForo thread RSS feed: one thread, posts by dc:creator, iframes stripped", async () => {
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "politics-thread", "board") });
    expect(body.errors).toBeUndefined();
    const [thread] = body.data.forum.threads.nodes;
    expect(body.data.forum.threads.totalCount).toBe(1);
    expect(parseGlobalId(thread.id)).toMatchObject({ sourceId: "politics-thread", key: "5512" });
    expect(thread.title).toBe("Ceasefire talks: live thread");
    expect(thread.posts.nodes.map((p: any) => [p.position, p.author.name])).toEqual([[1, "Marta K"], [2, "Tomas"], [3, "Marta K"]]);
    expect(thread.posts.nodes[2].body).not.toMatch(/iframe|tracker/);
    expect(thread.posts.nodes[2].citations[0].canonicalUrl).toBe("https://www.meridian-news.example/liveblog/2026/11/21/ceasefire-talks-live?update=3318");
  });

  it("keeps posts after they leave the feed, and adds new ones in place", async () => {
    server.serveFile("/feed.php", fixture("phpbb-board-next-day.atom.xml"), { "content-type": "application/atom+xml" });
    expect(await poll("harbour-board")).toMatchObject({ kind: "stored", added: 1 });
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "harbour-board", "board") });
    const [relief, strike] = body.data.forum.threads.nodes;
    expect(relief.posts.nodes.map((p: any) => p.author.name)).toEqual(["Pilot Boat", "gullwing", "dockside", "Pilot Boat"]);
    expect(strike.posts.totalCount).toBe(2); // both of its posts have left the feed
    const { body: node } = await gw.graphql(`query ($id: ID!) { node(id: $id) { ... on Post { bodyText thread { title } } } }`, { id: toGlobalId("Post", "harbour-board", "95") });
    expect(node.data.node).toMatchObject({ thread: { title: "Strike talks, day three" } });
    expect(node.data.node.bodyText).toContain("back at the table");
  });

  it("polls with conditional GET: a 304 stores nothing and keeps the forum", async () => {
    let conditional = 0;
    server.route(XENFORO_PATH, (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') {
        conditional += 1;
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/rss+xml", etag: '"v1"' }).end(readFileSync(fixture("xenforo-thread.rss.xml")));
    });
    expect(await poll("politics-thread")).toMatchObject({ kind: "stored", added: 0 });
    expect(await poll("politics-thread")).toEqual({ kind: "not-modified" });
    expect(conditional).toBe(1);
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "politics-thread", "board") });
    expect(body.data.forum.threads.nodes[0].posts.totalCount).toBe(3);
  });

  it("shows a failing feed in health and keeps serving what it stored", async () => {
    server.route("/feed.php", { status: 500, body: "boom" });
    expect(await poll("harbour-board")).toMatchObject({ kind: "failed" });
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", "harbour-board", "board") });
    expect(body.errors).toBeUndefined();
    expect(body.data.forum.source.health).toMatchObject({ status: "DEGRADED", itemCount: 6 });
    expect(body.data.forum.source.health.lastError).toMatch(/HTTP 500.*6 stored posts kept/);
    expect(body.data.forum.threads.totalCount).toBe(2);
  });

  it("pages threads one at a time without skipping those last posted at the same time", async () => {
    expect(await poll("tie-board")).toMatchObject({ kind: "stored", added: 3 });
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const { body } = await gw.graphql(`query ($id: ID!, $after: String) { forum(id: $id) { threads(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }`, {
        id: toGlobalId("Forum", "tie-board", "board"), after,
      });
      expect(body.errors).toBeUndefined();
      const threads = body.data.forum.threads;
      seen.push(...threads.nodes.map((t: any) => (parseGlobalId(t.id) as { key: string }).key));
      if (!threads.pageInfo.hasNextPage) break;
      after = threads.pageInfo.endCursor;
    }
    expect(seen).toEqual(["12", "4", "3"]);
  });

  it("lists every forum, local first, each with its source", async () => {
    const { body } = await gw.graphql(`{ forums { id source { id kind } } }`);
    const sources = body.data.forums.map((f: any) => f.source.id);
    expect(sources[0]).toBe("local");
    expect(sources.slice(-2)).toEqual(["harbour-board", "politics-thread"]);
    expect(new Set(body.data.forums.map((f: any) => f.id)).size).toBe(body.data.forums.length);
  });
  it("puts a poll's posts and threads in search (source: and forum: name the feed)", async () => {
    await gw.gateway.search.syncForums();
    const { body } = await gw.graphql(
      `query ($q: String!) { search(query: $q, types: [POST, THREAD], first: 5) { totalCount nodes { __typename ... on Post { bodyText thread { title } } ... on Thread { title } } } }`,
      { q: "source:harbour-board forum:harbour-board customs relief containers" },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.search.nodes).toContainEqual(expect.objectContaining({ __typename: "Post", thread: { title: "Relief containers cleared at last" } }));
    expect(body.data.search.nodes.filter((n: { __typename: string }) => n.__typename === "Post")).toHaveLength(1);
  });
});
