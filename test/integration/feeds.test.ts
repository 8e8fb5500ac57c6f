import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const ADMIN = "test-admin-token-0123456789";
const fixture = (name: string) => fromRoot("test", "fixtures", "rss", name);
const THREAD = toGlobalId("Thread", "local", 1);

const admin = async (gw: TestGateway, query: string, variables?: Record<string, unknown>) =>
  (await gw.graphql(query, variables, { authorization: `Bearer ${ADMIN}` })).body;

const refresh = (gw: TestGateway, slug: string) =>
  admin(gw, `mutation ($id: ID!) { refreshSource(id: $id) { slug health { status lastError itemCount consecutiveFailures } } }`, {
    id: toGlobalId("Source", slug, slug),
  });

describe("feeds joined to the posts that cite them", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/rss.xml", fixture("rss2-basic.xml"), { "content-type": "application/rss+xml; charset=utf-8" });
    server.serveFile("/atom.xml", fixture("atom-basic.xml"), { "content-type": "application/atom+xml" });
    server.serveFile("/feed.json", fixture("jsonfeed-1.1.json"), { "content-type": "application/feed+json" });
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-feeds-"));
    await writeThreadWithBodies(path.join(dir, "forum.db"), [
      `<p>Crane news: <a href="https://news.fixture.example/2026/11/20/harbour-crane?utm_source=forum">here</a></p>`,
      `<p>Same story, bare link https://news.fixture.example/2026/11/20/harbour-crane#comments and the ferries <a href="https://NEWS.fixture.example/2026/11/19/ferry-timetable">timetable</a></p>`,
      `<p>Library: <a href="https://news.fixture.example/2026/11/18/library-reopens">reopens</a>, and an unknown story <a href="https://elsewhere.example/story">elsewhere</a></p>`,
      `<p>No links at all.</p>`,
    ]);
    gw = await startTestGateway(
      {
        forum: { seedDemo: false },
        news: { demoFeeds: false, poll: false },
        net: { allowPrivateNetworks: true },
        adminToken: ADMIN,
        sources: [
          { id: "fx-rss", name: "Fixture RSS", url: server.url("/rss.xml") },
          { id: "fx-atom", name: "Fixture Atom", url: server.url("/atom.xml") },
          { id: "fx-json", name: "Fixture JSON Feed", url: server.url("/feed.json") },
        ],
      },
      { dataDir: dir },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("admin mutations need the admin token", async () => {
    const { body } = await gw.graphql(`mutation { refreshAllSources { slug } }`);
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(server.hits("/rss.xml")).toBe(0);
  });

  it("polls RSS 2.0, Atom and JSON Feed, and one query resolves a thread's citations to articles and their citing posts", async () => {
    const refreshed = await admin(gw, `mutation { refreshAllSources { slug kind health { status itemCount } } }`);
    expect(refreshed.errors).toBeUndefined();
    expect(refreshed.data.refreshAllSources).toEqual([
      { slug: "fx-rss", kind: "RSS", health: { status: "OK", itemCount: 3 } },
      { slug: "fx-atom", kind: "ATOM", health: { status: "OK", itemCount: 3 } },
      { slug: "fx-json", kind: "JSON_FEED", health: { status: "OK", itemCount: 3 } },
    ]);

    const { body } = await gw.graphql(
      `query ($id: ID!) { thread(id: $id) {
          citedArticles { canonicalUrl citationCount article { title } }
          posts(first: 10) { edges { node { position citations { url canonicalUrl article {
            title publishedAt sources { slug } citedBy(first: 10) { totalCount edges { node { position } } } } } } } }
      } }`,
      { id: THREAD },
    );
    expect(body.errors).toBeUndefined();
    const posts = body.data.thread.posts.edges.map((e: any) => e.node);
    // post 1: tracking parameter removed; post 2: fragment dropped and host lower-cased, same story as post 1
    expect(posts[0].citations[0].canonicalUrl).toBe("https://news.fixture.example/2026/11/20/harbour-crane");
    expect(posts[1].citations.map((c: any) => c.canonicalUrl)).toEqual([
      "https://news.fixture.example/2026/11/20/harbour-crane",
      "https://news.fixture.example/2026/11/19/ferry-timetable",
    ]);
    const crane = posts[0].citations[0].article;
    expect(crane.title).toMatch(/crane/i);
    expect(crane.publishedAt).toMatch(/^2026-11-20T/);
    // the same story from three feeds is one Article listing all three sources
    expect(crane.sources.map((s: any) => s.slug).sort()).toEqual(["fx-atom", "fx-json", "fx-rss"]);
    expect(crane.citedBy.totalCount).toBe(2);
    expect(crane.citedBy.edges.map((e: any) => e.node.position)).toEqual([2, 1]);
    // a link no feed carries is a citation without an article, not an error
    expect(posts[2].citations[1]).toMatchObject({ canonicalUrl: "https://elsewhere.example/story", article: null });
    expect(posts[3].citations).toEqual([]);
    expect(body.data.thread.citedArticles[0]).toMatchObject({
      canonicalUrl: "https://news.fixture.example/2026/11/20/harbour-crane",
      citationCount: 2,
    });
  });

  it("a second poll answered 304 re-parses nothing and loses nothing", async () => {
    const etag = '"v1"';
    server.route("/rss.xml", (req, res) => {
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/rss+xml", etag });
      res.end(readFileSync(fixture("rss2-basic.xml")));
    });
    expect((await refresh(gw, "fx-rss")).data.refreshSource.health.status).toBe("OK"); // stores the ETag
    const parsesBefore = gw.gateway.news.parser.tasksRun;
    const second = await refresh(gw, "fx-rss");
    expect(second.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 3 });
    expect(gw.gateway.news.parser.tasksRun).toBe(parsesBefore);
    const lastRequest = server.requests.filter((r) => r.path === "/rss.xml").at(-1)!;
    expect(lastRequest.headers["if-none-match"]).toBe(etag);
    const { body } = await gw.graphql(`{ source(id: "${toGlobalId("Source", "fx-rss", "fx-rss")}") { articles(first: 10) { totalCount nodes { title } } } }`);
    expect(body.data.source.articles.totalCount).toBe(3);
  });

  it("keeps an item after it drops off the feed, and does not duplicate items whose guid or tracking parameters changed", async () => {
    server.serveFile("/rss.xml", fixture("item-removed-v1.xml"), { "content-type": "application/rss+xml" });
    await refresh(gw, "fx-rss");
    server.serveFile("/rss.xml", fixture("item-removed-v2.xml"), { "content-type": "application/rss+xml" });
    const after = await refresh(gw, "fx-rss");
    expect(after.data.refreshSource.health.status).toBe("OK");
    const { body } = await gw.graphql(`{ article(url: "https://news.fixture.example/2026/11/18/flood-warning") { title sources { slug } } }`);
    expect(body.data.article.title).toMatch(/flood/i);

    server.serveFile("/rss.xml", fixture("guid-changed.xml"), { "content-type": "application/rss+xml" });
    await refresh(gw, "fx-rss");
    const countBefore = (await refresh(gw, "fx-rss")).data.refreshSource.health.itemCount;
    server.serveFile("/rss.xml", fixture("guid-changed-v2.xml"), { "content-type": "application/rss+xml" });
    const changed = await refresh(gw, "fx-rss");
    expect(changed.data.refreshSource.health.itemCount).toBe(countBefore);
    const school = await gw.graphql(`{ article(url: "https://news.fixture.example/2026/11/19/school-closures?utm_source=x&id=77") { canonicalUrl } }`);
    expect(school.body.data.article.canonicalUrl).toBe("https://news.fixture.example/2026/11/19/school-closures?id=77");
  });

  it("answers a page of 50 posts with citations, articles, sources and citedBy.totalCount in at most 6 store round trips", async () => {
    const bodies = Array.from({ length: 60 }, (_, i) => {
      const links = ["harbour-crane", "ferry-timetable", "library-reopens"].map((slug, j) =>
        `<a href="https://news.fixture.example/2026/11/${20 - j}/${slug}">${slug}</a>`);
      return `<p>Post ${i}: ${links.slice(0, (i % 3) + 1).join(" and ")} https://unknown.example/${i}</p>`;
    });
    const bigDir = mkdtempSync(path.join(tmpdir(), "crosswire-feeds-big-"));
    await writeThreadWithBodies(path.join(bigDir, "forum.db"), bodies);
    const big = await startTestGateway(
      {
        forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowPrivateNetworks: true }, adminToken: ADMIN,
        sources: [{ id: "fx-atom", name: "Fixture Atom", url: server.url("/atom.xml") }, { id: "fx-json", name: "Fixture JSON", url: server.url("/feed.json") }],
      },
      { dataDir: bigDir },
    );
    try {
      await admin(big, `mutation { refreshAllSources { slug } }`);
      const forumDb = (big.gateway.forums.get("local") as LocalForumSource).database;
      const cacheDb = big.gateway.cacheStore.database;
      const statements: string[] = [];
      const offs = [forumDb.onStatement((s) => statements.push(`forum: ${s.trim().slice(0, 60)}`)), cacheDb.onStatement((s) => statements.push(`cache: ${s.trim().slice(0, 60)}`))];
      const { body } = await big.graphql(
        `query ($id: ID!) { thread(id: $id) { posts(first: 50) { edges { node { author { name } citations { url article {
            title sources { name health { status } } citedBy(first: 3) { totalCount } } } } } } } }`,
        { id: THREAD },
      );
      offs.forEach((off) => off());
      expect(body.errors).toBeUndefined();
      const posts = body.data.thread.posts.edges;
      expect(posts).toHaveLength(50);
      const resolved = posts.flatMap((e: any) => e.node.citations).filter((c: any) => c.article);
      expect(resolved.length).toBe(99); // posts cite 1, 2, 3, 1, 2, 3, … known stories: 17 + 34 + 48 over 50 posts
      expect(resolved.find((c: any) => c.url.includes("harbour-crane")).article.citedBy.totalCount).toBe(60);
      expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(6);
    } finally {
      await big.close();
      rmSync(bigDir, { recursive: true, force: true });
    }
  });
});
