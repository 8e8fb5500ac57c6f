import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localForumFile, type LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { rssFeed } from "../helpers/ws-client.js";

/**
 * Load per level (resolvers/level.ts): Thread.posts loads authors, citations, their articles and the articles'
 * sources for the whole page, and the child fields answer from that (resolvers/hot.ts). Counted here: SQL statements
 * on the forum store and statements on the article store (keyv on SQLite) per request, for pages of 10 and 40 posts.
 */
const URLS = Array.from({ length: 6 }, (_, i) => `https://outlet.example/2026/11/story-${i}`);
const THREAD = toGlobalId("Thread", "local", "1");
const PAGE = `query Page($t: ID!, $first: Int!) { thread(id: $t) { title posts(first: $first) { totalCount edges { node { id position body
  author { id name username } citations { url canonicalUrl status error article { id title provenance { field origin } sources { id slug name health { status } } } } } } } } }`;
const ONE_POST = `query One($id: ID!) { post(id: $id) { id position body author { id name username }
  citations { url canonicalUrl status error article { id title provenance { field origin } sources { id slug name health { status } } } } } }`;

describe("a thread page loads per level, not per field", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  const admin = { authorization: "Bearer level-loads-admin-token-0123456789" };

  beforeAll(async () => {
    fixture = await startFixtureServer();
    // Two outlets carry overlapping stories, so an article lists one or two sources.
    const items = (from: number, to: number) => URLS.slice(from, to).map((link, i) => ({ guid: `${from + i}`, title: `Story ${from + i}`, link }));
    fixture.route("/a.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(rssFeed(items(0, 4))));
    fixture.route("/b.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(rssFeed(items(2, 6))));
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-level-"));
    // 40 posts, each citing three of the six stories (every story cited 20 times).
    const bodies = Array.from({ length: 40 }, (_, p) => `<p>${[0, 1, 2].map((k) => `<a href="${URLS[(p + k * 2) % 6]}">link</a>`).join(" ")}</p>`);
    await writeThreadWithBodies(localForumFile(dataDir), bodies);
    // Statements are what this file counts: the read cache (cache.reads) would answer repeated reads without any.
    gw = await startTestGateway({
      cache: { reads: { maxEntries: 0 } },
      adminToken: admin.authorization.slice(7),
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      sources: [{ id: "a", name: "Outlet A", url: fixture.url("/a.xml") }, { id: "b", name: "Outlet B", url: fixture.url("/b.xml") }],
    }, { dataDir });
    for (const slug of ["a", "b"]) {
      await gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { id } }`, { id: toGlobalId("Source", slug, slug) }, admin);
    }
  });

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function counted(run: () => Promise<unknown>) {
    const forum = (gw.gateway.forums.get("local") as LocalForumSource).database;
    const seen = { forum: [] as string[], articles: [] as string[] };
    const offForum = forum.onStatement((sql) => seen.forum.push(sql.replace(/\s+/g, " ").trim()));
    const offArticles = gw.gateway.cacheStore.database.onStatement((sql) => seen.articles.push(sql));
    try {
      await run();
    } finally {
      offForum();
      offArticles();
    }
    return seen;
  }

  it("answers 40 posts × 3 citations with their authors, articles, sources and health in a fixed number of statements", async () => {
    let body: any;
    const seen = await counted(async () => (body = (await gw.graphql(PAGE, { t: THREAD, first: 40 })).body));
    expect(body.errors).toBeUndefined();
    const edges = body.data.thread.posts.edges;
    expect(edges).toHaveLength(40);
    expect(edges.every((e: any) => e.node.citations.length === 3 && e.node.citations.every((c: any) => c.status === "RESOLVED" && c.article.title.startsWith("Story ")))).toBe(true);
    const story3 = edges.flatMap((e: any) => e.node.citations).find((c: any) => c.canonicalUrl === URLS[3]).article;
    expect(story3.sources.map((s: any) => s.slug).sort()).toEqual(["a", "b"]);
    expect(story3.sources.every((s: any) => s.health.status === "OK")).toBe(true);
    // thread, post page (+ count), authors, citations: one statement each, whatever the page size.
    expect(seen.forum.length).toBeLessThanOrEqual(5);
    // articles (one getMany), health (one getMany).
    expect(seen.articles.length).toBeLessThanOrEqual(2);
  });

  it("costs the same statements for 10 posts as for 40", async () => {
    const small = await counted(() => gw.graphql(PAGE, { t: THREAD, first: 10 }));
    const large = await counted(() => gw.graphql(PAGE, { t: THREAD, first: 40 }));
    expect(large.forum.length).toBe(small.forum.length);
    expect(large.articles.length).toBe(small.articles.length);
  });

  it("answers each post exactly as the field resolvers do when the post is read alone", async () => {
    const page = (await gw.graphql(PAGE, { t: THREAD, first: 40 })).body.data.thread.posts.edges.map((e: any) => e.node);
    for (const post of [page[0], page[7], page[39]]) {
      const alone = await gw.graphql(ONE_POST, { id: post.id });
      expect(alone.body.errors).toBeUndefined();
      expect(alone.body.data.post).toEqual(post);
    }
  });

  it("loads only what the selection asks: no article or health statement for a page without articles", async () => {
    const seen = await counted(() => gw.graphql(`query($t: ID!) { thread(id: $t) { posts(first: 40) { nodes { author { name } citations { url } } } } }`, { t: THREAD }));
    expect(seen.articles).toEqual([]);
    expect(seen.forum.length).toBeLessThanOrEqual(5);
  });

  it("reads no health for sources whose page asks neither kind nor health, and loads it for kind (the detected format)", async () => {
    const names = `query($t: ID!) { thread(id: $t) { posts(first: 40) { nodes { citations { article { sources { slug name } } } } } } }`;
    const kinds = `query($t: ID!) { thread(id: $t) { posts(first: 40) { nodes { citations { article { sources { slug kind } } } } } } }`;
    let body: any;
    const withoutHealth = await counted(async () => (body = (await gw.graphql(names, { t: THREAD })).body));
    expect(body.errors).toBeUndefined();
    expect(body.data.thread.posts.nodes[0].citations[0].article.sources[0].name).toMatch(/^Outlet /);
    // The keyv store holds health only (articles are rows in the forum store): nothing read there.
    expect(withoutHealth.articles).toEqual([]);
    const withKind = await counted(async () => (body = (await gw.graphql(kinds, { t: THREAD })).body));
    expect(body.errors).toBeUndefined();
    expect(new Set(body.data.thread.posts.nodes.flatMap((n: any) => n.citations.flatMap((c: any) => c.article.sources.map((s: any) => s.kind))))).toEqual(new Set(["RSS"]));
    expect(withKind.articles.length).toBe(1);
  });

  it("the same through fragments, aliases and nodes instead of edges", async () => {
    const query = `query($t: ID!) { thread(id: $t) { posts(first: 40) { nodes { ...P writer: author { name } } } } }
      fragment P on Post { citations { ... on Citation { article { title sources { slug } } } } }`;
    let body: any;
    const seen = await counted(async () => (body = (await gw.graphql(query, { t: THREAD })).body));
    expect(body.errors).toBeUndefined();
    expect(body.data.thread.posts.nodes[0].writer.name).toMatch(/^Reader /);
    expect(body.data.thread.posts.nodes[0].citations[0].article.sources.length).toBeGreaterThan(0);
    expect(seen.articles.length).toBeLessThanOrEqual(2);
  });
});
