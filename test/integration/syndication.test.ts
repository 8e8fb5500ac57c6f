import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import Parser from "rss-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCrosswireSchema } from "../../resolvers/index.js";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { feedLinks, feedPath, tagUri } from "../../src/syndication/links.js";
import { compileOperations } from "../../src/syndication/operations.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeBigThread, writeForum } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const PUBLIC = "https://feeds.crosswire.test";
const TAG = "tag:feeds.crosswire.test,2026:";
const FORMATS = ["rss", "atom", "json"] as const;
type Format = (typeof FORMATS)[number];
const THREAD = toGlobalId("Thread", "local", 1);
const FORUM_1 = toGlobalId("Forum", "local", 1);
const FORUM_2 = toGlobalId("Forum", "local", 2);
const LIVE_BLOG = "https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3241";
const fixture = (name: string) => fromRoot("test", "fixtures", "syndication", name);

const OPERATIONS = {
  "story-citers": `query ($url: String!, $first: Int = 5) { article(url: $url) { title citedBy(first: $first) { edges { node { position } } } } }`,
  latest: `query ($sources: [String!], $first: Int = 10) { articles(first: $first, filter: { sources: $sources }) { nodes { title } } }`,
  mixed: `query { river(first: 8) { nodes { ... on Post { position } ... on Article { title } } } }`,
};

// ---------------------------------------------------------------------------------------------------------
// Fetching and parsing: every XML feed must pass fast-xml-parser's strict validator and parse with both
// rss-parser and fast-xml-parser, and the two must agree.

interface Entry {
  guid: string;
  title: string;
  link: string;
  published: number;
  updated: number;
  author: string | null;
  content: string;
  categories: string[];
}

interface ParsedFeed {
  title: string;
  self: string;
  next: string | null;
  entries: Entry[];
}

const rssParser = new Parser();
const strictXml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  isArray: (name) => ["item", "entry", "link", "category", "outline", "atom:link"].includes(name),
});

async function get(gw: TestGateway, target: string, init: RequestInit = {}) {
  const url = target.startsWith("http") ? `${gw.url}${new URL(target).pathname}${new URL(target).search}` : `${gw.url}${target}`;
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const decodeHtml = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
const text = (v: unknown): string => (typeof v === "string" ? v : v && typeof v === "object" ? String((v as any)["#text"] ?? "") : "");
const linkRel = (links: any[] | undefined, rel: string) => links?.find((l) => (l["@_rel"] ?? "alternate") === rel)?.["@_href"] ?? null;

async function parseFeed(format: Format, body: string): Promise<ParsedFeed> {
  if (format === "json") {
    const feed = JSON.parse(body);
    expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
    expect(typeof feed.title).toBe("string");
    expect(Array.isArray(feed.items)).toBe(true);
    return {
      title: feed.title,
      self: feed.feed_url,
      next: feed.next_url ?? null,
      entries: feed.items.map((i: any) => ({
        guid: i.id, title: i.title, link: i.url, published: Date.parse(i.date_published), updated: Date.parse(i.date_modified),
        author: i.authors?.[0]?.name ?? null, content: i.content_html, categories: i.tags ?? [],
      })),
    };
  }
  expect(XMLValidator.validate(body)).toBe(true);
  const loose = await rssParser.parseString(body);
  const strict = strictXml.parse(body);
  let parsed: ParsedFeed;
  if (format === "rss") {
    const channel = strict.rss.channel;
    parsed = {
      title: text(channel.title),
      self: linkRel(channel["atom:link"], "self"),
      next: linkRel(channel["atom:link"], "next"),
      entries: (channel.item ?? []).map((i: any) => ({
        guid: text(i.guid), title: text(i.title), link: text(i.link?.[0]), published: Date.parse(text(i.pubDate)), updated: Date.parse(text(i.pubDate)),
        author: i["dc:creator"] ? text(i["dc:creator"]) : null, content: text(i["content:encoded"]), categories: (i.category ?? []).map(text),
      })),
    };
    expect(loose.paginationLinks?.next ?? null).toBe(parsed.next);
    loose.items.forEach((item, n) => {
      const e = parsed.entries[n]!;
      expect([item.guid, item.title, item.link, Date.parse(item.pubDate!), item.creator ?? null]).toEqual([e.guid, e.title, e.link, e.published, e.author]);
    });
  } else {
    const feed = strict.feed;
    parsed = {
      title: text(feed.title),
      self: linkRel(feed.link, "self"),
      next: linkRel(feed.link, "next"),
      entries: (feed.entry ?? []).map((e: any) => ({
        guid: text(e.id), title: decodeHtml(text(e.title)), link: linkRel(e.link, "alternate"), published: Date.parse(text(e.published)),
        updated: Date.parse(text(e.updated)), author: e.author ? text(e.author.name) : null, content: text(e.content),
        categories: (e.category ?? []).map((c: any) => c["@_term"]),
      })),
    };
    loose.items.forEach((item: any, n) => {
      const e = parsed.entries[n]!;
      expect([item.id, decodeHtml(item.title), item.link, item.author ?? null]).toEqual([e.guid, e.title, e.link, e.author]);
    });
  }
  expect(loose.items.length).toBe(parsed.entries.length);
  return parsed;
}

async function feed(gw: TestGateway, target: string, format: Format): Promise<ParsedFeed> {
  const res = await get(gw, target);
  expect(res.status, `${target}: ${res.text.slice(0, 200)}`).toBe(200);
  return parseFeed(format, res.text);
}

const positionOf = (link: string) => Number(/#post-(\d+)$/.exec(link)?.[1]);

// ---------------------------------------------------------------------------------------------------------

describe("syndication of the demo forum and demo feeds", () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ syndication: { publicUrl: PUBLIC, maxAgeSeconds: 120, operations: OPERATIONS } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("thread feeds in each format carry the thread's posts, newest first, as GraphQL returns them", async () => {
    const { body } = await gw.graphql(
      `query ($id: ID!) { thread(id: $id) { id title feeds { rss atom json } forum { name }
        posts(last: 50) { edges { node { id position createdAt author { name } } } } } }`,
      { id: THREAD },
    );
    const thread = body.data.thread;
    expect(thread.feeds).toEqual({
      rss: `${PUBLIC}/feeds/threads/${THREAD}.rss`,
      atom: `${PUBLIC}/feeds/threads/${THREAD}.atom`,
      json: `${PUBLIC}/feeds/threads/${THREAD}.json`,
    });
    const posts = thread.posts.edges.map((e: any) => e.node).reverse();
    for (const format of FORMATS) {
      const parsed = await feed(gw, thread.feeds[format], format);
      expect(parsed.title).toBe(thread.title);
      expect(parsed.self).toBe(thread.feeds[format]);
      expect(parsed.next).toBeNull();
      expect(parsed.entries.map((e) => e.guid)).toEqual(posts.map((p: any) => `${TAG}${p.id}`));
      parsed.entries.forEach((entry, i) => {
        const post = posts[i];
        expect(entry.link).toBe(`${thread.feeds[format]}#post-${post.position}`);
        expect(entry.published).toBe(Date.parse(post.createdAt));
        expect(entry.author).toBe(post.author.name);
        expect(entry.title.startsWith(`#${post.position} ${post.author.name}: `)).toBe(true);
        expect(entry.categories).toEqual([thread.forum.name]);
        expect(entry.content).toMatch(/^<p>/);
      });
    }
  });

  it("board and source feeds match GraphQL; a source answers to its global ID and to its slug", async () => {
    const { body } = await gw.graphql(
      `query ($forum: ID!, $source: ID!) {
        forum(id: $forum) { name feeds { rss atom json } threads(first: 50) { nodes { id title createdAt lastPostedAt author { name } feeds { rss atom json } } } }
        source(id: $source) { name homepage feeds { rss atom json } articles(first: 50) { nodes { id title canonicalUrl publishedAt } } } }`,
      { forum: FORUM_1, source: toGlobalId("Source", "meridian", "meridian") },
    );
    const { forum, source } = body.data;
    for (const format of FORMATS) {
      const board = await feed(gw, forum.feeds[format], format);
      expect(board.title).toBe(forum.name);
      expect(board.entries.map((e) => [e.guid, e.title, e.link, e.published, e.updated, e.author])).toEqual(
        forum.threads.nodes.map((t: any) => [`${TAG}${t.id}`, t.title, t.feeds[format], Date.parse(t.createdAt), Date.parse(format === "rss" ? t.createdAt : t.lastPostedAt), t.author.name]),
      );

      const news = await feed(gw, source.feeds[format], format);
      expect(news.title).toBe(source.name);
      expect(news.entries.map((e) => [e.guid, e.title, e.link, e.published])).toEqual(
        source.articles.nodes.map((a: any) => [`${TAG}${a.id}`, a.title, a.canonicalUrl, Date.parse(a.publishedAt)]),
      );
      const bySlug = await feed(gw, `/feeds/sources/meridian.${format}`, format);
      expect(bySlug.entries.map((e) => e.guid)).toEqual(news.entries.map((e) => e.guid));
    }
  });

  it("the river merges posts and articles in Query.river's order, with its cursors in next links", async () => {
    const { body } = await gw.graphql(
      `{ river(first: 25) { edges { node { __typename ... on Post { id } ... on Article { id } } } pageInfo { hasNextPage endCursor } } }`,
    );
    const ids = body.data.river.edges.map((e: any) => `${TAG}${e.node.id}`);
    expect(new Set(body.data.river.edges.map((e: any) => e.node.__typename))).toEqual(new Set(["Post", "Article"]));
    for (const format of FORMATS) {
      const river = await feed(gw, `/feeds/river.${format}?limit=25`, format);
      expect(river.entries.map((e) => e.guid)).toEqual(ids);
      expect(new URL(river.next!).searchParams.get("after")).toBe(body.data.river.pageInfo.endCursor);
      const second = await feed(gw, river.next!, format);
      expect(second.entries).toHaveLength(25);
      expect(second.entries[0]!.published).toBeLessThanOrEqual(river.entries[24]!.published);
    }
  });

  it("river filters: ?sources= keeps those sources' articles, ?forums= those boards' posts, both the union", async () => {
    const { body } = await gw.graphql(
      `{ source(id: "${toGlobalId("Source", "harbor", "harbor")}") { articles(first: 50) { nodes { id } } } }`,
    );
    const harbor = body.data.source.articles.nodes.map((a: any) => `${TAG}${a.id}`);
    const bySources = await feed(gw, "/feeds/river.atom?sources=harbor", "atom");
    expect(bySources.entries.map((e) => e.guid)).toEqual(harbor);
    const byGlobalId = await feed(gw, `/feeds/river.json?sources=${toGlobalId("Source", "harbor", "harbor")}`, "json");
    expect(byGlobalId.entries.map((e) => e.guid)).toEqual(harbor);

    const byForum = await feed(gw, `/feeds/river.rss?forums=${FORUM_2}`, "rss");
    expect(byForum.entries.length).toBeGreaterThan(0);
    const postIds = byForum.entries.map((e) => e.guid.slice(TAG.length));
    const nodes = await gw.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Post { thread { forum { id } } } } }`, { ids: postIds });
    expect(new Set(nodes.body.data.nodes.map((n: any) => n.thread.forum.id))).toEqual(new Set([FORUM_2]));

    const both = await feed(gw, `/feeds/river.json?forums=${FORUM_2}&sources=harbor`, "json");
    expect(new Set(both.entries.map((e) => e.guid))).toEqual(new Set([...harbor, ...byForum.entries.map((e) => e.guid)]));
    expect((await get(gw, "/feeds/river.rss?sources=nope")).status).toBe(400);
    expect((await get(gw, `/feeds/river.rss?forums=${THREAD}`)).status).toBe(400);
  });

  it("?include=citations appends each post's cited stories, linked and summarised", async () => {
    const { body } = await gw.graphql(
      `query ($id: ID!) { thread(id: $id) { posts(first: 1) { nodes { id citations { canonicalUrl article { title } } } } } }`,
      { id: THREAD },
    );
    const first = body.data.thread.posts.nodes[0];
    const story = first.citations[0].article.title;
    for (const format of FORMATS) {
      const plain = await feed(gw, `/feeds/threads/${THREAD}.${format}`, format);
      const cited = await feed(gw, `/feeds/threads/${THREAD}.${format}?include=citations`, format);
      expect(cited.entries.map((e) => e.guid)).toEqual(plain.entries.map((e) => e.guid));
      const entry = cited.entries.find((e) => e.guid === `${TAG}${first.id}`)!;
      expect(entry.content).toContain("Cited stories");
      expect(entry.content).toContain(story.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
      expect(entry.content).toContain(`href="${first.citations[0].canonicalUrl.replace(/&/g, "&amp;")}"`);
      expect(plain.entries.find((e) => e.guid === entry.guid)!.content).not.toContain("Cited stories");
      expect(cited.self).toContain("include=citations");
    }
    expect((await get(gw, `/feeds/forums/${FORUM_1}.rss?include=citations`)).status).toBe(400);
    expect((await get(gw, `/feeds/threads/${THREAD}.rss?include=everything`)).status).toBe(400);
  });

  it("answers If-None-Match and If-Modified-Since with 304 and no body; ETags differ per route, format and limit", async () => {
    const path = `/feeds/threads/${THREAD}.atom`;
    const first = await get(gw, path);
    const etag = first.headers.get("etag")!;
    const lastModified = first.headers.get("last-modified")!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(first.headers.get("cache-control")).toBe("public, max-age=120");
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { lastPostedAt } }`, { id: THREAD });
    // When the representation was first served (it changes with every change of the feed), never before its newest post.
    expect(Date.parse(lastModified)).toBeGreaterThanOrEqual(Date.parse(body.data.thread.lastPostedAt));

    const again = await get(gw, path);
    expect(again.headers.get("etag")).toBe(etag);
    const byTag = await get(gw, path, { headers: { "if-none-match": etag } });
    expect([byTag.status, byTag.text, byTag.headers.get("etag"), byTag.headers.get("cache-control")]).toEqual([304, "", etag, "public, max-age=120"]);
    expect((await get(gw, path, { headers: { "if-none-match": `"other", ${etag}` } })).status).toBe(304);
    const byDate = await get(gw, path, { headers: { "if-modified-since": lastModified } });
    expect([byDate.status, byDate.text]).toEqual([304, ""]);
    const older = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await get(gw, path, { headers: { "if-modified-since": older } })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    expect((await get(gw, path, { headers: { "if-none-match": 'W/"stale"', "if-modified-since": lastModified } })).status).toBe(200);

    const others = await Promise.all(
      [`/feeds/threads/${THREAD}.rss`, `${path}?limit=5`, `${path}?limit=6`, `/feeds/forums/${FORUM_1}.atom`].map((p) => get(gw, p)),
    );
    expect(new Set([etag, ...others.map((r) => r.headers.get("etag"))]).size).toBe(5);
    expect(others.map((r) => r.headers.get("content-type"))).toEqual([
      "application/rss+xml; charset=utf-8", "application/atom+xml; charset=utf-8", "application/atom+xml; charset=utf-8", "application/atom+xml; charset=utf-8",
    ]);
    expect((await get(gw, `/feeds/threads/${THREAD}.json`)).headers.get("content-type")).toBe("application/feed+json; charset=utf-8");
  });

  it("HEAD sends the headers of GET and no body", async () => {
    for (const target of [`/feeds/threads/${THREAD}.rss`, "/feeds/river.json", "/feeds/sources.opml"]) {
      const getRes = await get(gw, target);
      const head = await get(gw, target, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.text).toBe("");
      for (const name of ["etag", "last-modified", "content-type", "content-length", "cache-control"]) {
        expect(head.headers.get(name), name).toBe(getRes.headers.get(name));
      }
      expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(getRes.text));
    }
  });

  it("unknown ids, routes and formats are 404s with a short plain message; a bad limit or cursor is a 400", async () => {
    const notFound = [
      `/feeds/threads/${toGlobalId("Thread", "local", 999)}.rss`,
      "/feeds/threads/not-an-id.atom",
      `/feeds/threads/${FORUM_1}.json`,
      `/feeds/threads/${toGlobalId("Thread", "elsewhere", 1)}.rss`,
      `/feeds/forums/${toGlobalId("Forum", "local", 99)}.rss`,
      "/feeds/sources/no-such-source.rss",
      `/feeds/threads/${THREAD}.xml`,
      `/feeds/threads/${THREAD}`,
      "/feeds/river.html",
      "/feeds/nothing-here",
      "/feeds/q/not-configured.rss",
    ];
    for (const target of notFound) {
      const res = await get(gw, target);
      expect(res.status, target).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.text.length).toBeLessThan(300);
    }
    expect((await get(gw, `/feeds/threads/${THREAD}.xml`)).text).toMatch(/Unknown feed format ".xml": use .rss, .atom or .json/);
    for (const query of ["limit=0", "limit=501", "limit=abc", "limit=-3", "limit=1.5", "after=not-a-cursor"]) {
      const res = await get(gw, `/feeds/threads/${THREAD}.rss?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    }
    // a well-formed cursor of another list (the river's) is refused too
    const river = await feed(gw, "/feeds/river.rss?limit=2", "rss");
    expect((await get(gw, `/feeds/threads/${THREAD}.rss?after=${new URL(river.next!).searchParams.get("after")}`)).status).toBe(400);
    expect((await get(gw, `/feeds/threads/${THREAD}.rss?limit=500`)).status).toBe(200);
  });

  it("/feeds/sources.opml lists every source's feed, importable by a strict XML parser", async () => {
    const res = await get(gw, "/feeds/sources.opml");
    expect(res.headers.get("content-type")).toBe("text/x-opml; charset=utf-8");
    expect(XMLValidator.validate(res.text)).toBe(true);
    const outlines = strictXml.parse(res.text).opml.body.outline;
    const { body } = await gw.graphql(`{ sources { name homepage feeds { rss } } }`);
    expect(outlines.map((o: any) => [o["@_text"], o["@_xmlUrl"], o["@_htmlUrl"]])).toEqual(
      body.data.sources.map((s: any) => [s.name, s.feeds.rss, s.homepage]),
    );
    const again = await get(gw, "/feeds/sources.opml", { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("/feeds/q/ publishes allowlisted operations, with typed variables from the query string", async () => {
    const citers = await gw.graphql(`query ($url: String!) { article(url: $url) { citedBy(first: 3) { nodes { id } } } }`, { url: LIVE_BLOG });
    const expected = citers.body.data.article.citedBy.nodes.map((n: any) => `${TAG}${n.id}`);
    expect(expected).toHaveLength(3);
    for (const format of FORMATS) {
      const parsed = await feed(gw, `/feeds/q/story-citers.${format}?url=${encodeURIComponent(LIVE_BLOG)}&first=3`, format);
      expect(parsed.entries.map((e) => e.guid)).toEqual(expected);
      expect(parsed.self).toBe(`${PUBLIC}/feeds/q/story-citers.${format}?first=3&url=${encodeURIComponent(LIVE_BLOG)}`);
    }

    const latest = await gw.graphql(`{ articles(first: 4, filter: { sources: ["harbor", "ledger"] }) { nodes { id } } }`);
    const lists = await feed(gw, "/feeds/q/latest.atom?sources=harbor&sources=ledger&first=4", "atom");
    expect(lists.entries.map((e) => e.guid)).toEqual(latest.body.data.articles.nodes.map((n: any) => `${TAG}${n.id}`));

    const river = await gw.graphql(`{ river(first: 8) { nodes { ... on Post { id } ... on Article { id } } } }`);
    const mixed = await feed(gw, "/feeds/q/mixed.json", "json");
    expect(mixed.entries.map((e) => e.guid)).toEqual(river.body.data.river.nodes.map((n: any) => `${TAG}${n.id}`));
    expect((await feed(gw, "/feeds/q/mixed.rss?limit=3", "rss")).entries).toHaveLength(3);

    const badInt = await get(gw, `/feeds/q/story-citers.rss?url=${encodeURIComponent(LIVE_BLOG)}&first=three`);
    expect([badInt.status, badInt.headers.get("content-type")]).toEqual([400, "text/plain; charset=utf-8"]);
    expect(badInt.text).toMatch(/variable "first" must be a whole number/);
    const graphqlError = await get(gw, "/feeds/q/story-citers.rss?url=not-a-url");
    expect(graphqlError.status).toBe(400);
    expect(graphqlError.text).toMatch(/Argument "url"/);
    const missing = await get(gw, "/feeds/q/story-citers.atom");
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/\$url/);
  });

  it("GUIDs are the same on every fetch and after a post's body is edited", async () => {
    const before = await Promise.all(FORMATS.map((f) => feed(gw, `/feeds/threads/${THREAD}.${f}`, f)));
    const again = await Promise.all(FORMATS.map((f) => feed(gw, `/feeds/threads/${THREAD}.${f}`, f)));
    expect(again.map((p) => p.entries.map((e) => e.guid))).toEqual(before.map((p) => p.entries.map((e) => e.guid)));
    const etag = (await get(gw, `/feeds/threads/${THREAD}.rss`)).headers.get("etag")!;

    const local = gw.gateway.forums.get("local") as LocalForumSource;
    await local.database.run("UPDATE posts SET body_html = ? WHERE thread_id = 1 AND position = 27", ["<p>Edited: a completely different body.</p>"]);
    const after = await Promise.all(FORMATS.map((f) => feed(gw, `/feeds/threads/${THREAD}.${f}`, f)));
    expect(after.map((p) => p.entries.map((e) => e.guid))).toEqual(before.map((p) => p.entries.map((e) => e.guid)));
    expect(after.map((p) => p.entries[0]!.content)).toEqual(FORMATS.map(() => "<p>Edited: a completely different body.</p>"));
    const changed = await get(gw, `/feeds/threads/${THREAD}.rss`, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
  });
});

describe("a 1,200-post thread", () => {
  let gw: TestGateway;
  let dir: string;
  const BIG = toGlobalId("Thread", "local", 1);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-syndication-big-"));
    await writeBigThread(path.join(dir, "forum.db"), 1200, 7);
    gw = await startTestGateway({ forum: { seedDemo: false }, news: { demoFeeds: false }, syndication: { publicUrl: PUBLIC } }, { dataDir: dir });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is capped at the default limit, with an RFC 5005 next link holding the connection's cursor", async () => {
    const atom = await feed(gw, `/feeds/threads/${BIG}.atom`, "atom");
    expect(atom.entries.map((e) => positionOf(e.link))).toEqual(Array.from({ length: 50 }, (_, i) => 1200 - i));
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { posts(last: 50) { pageInfo { startCursor } } } }`, { id: BIG });
    expect(atom.next).toBe(`${PUBLIC}/feeds/threads/${BIG}.atom?after=${body.data.thread.posts.pageInfo.startCursor}`);
    expect((await feed(gw, `/feeds/threads/${BIG}.rss`, "rss")).next).toBe(`${PUBLIC}/feeds/threads/${BIG}.rss?after=${body.data.thread.posts.pageInfo.startCursor}`);
    expect((await feed(gw, `/feeds/threads/${BIG}.json`, "json")).next).toBe(`${PUBLIC}/feeds/threads/${BIG}.json?after=${body.data.thread.posts.pageInfo.startCursor}`);
  });

  it("pages of at most 500 entries walk the whole thread through next links, each post once", async () => {
    const guids: string[] = [];
    const positions: number[] = [];
    const sizes: number[] = [];
    let next: string | null = `/feeds/threads/${BIG}.atom?limit=500`;
    while (next) {
      const page: ParsedFeed = await feed(gw, next, "atom");
      sizes.push(page.entries.length);
      guids.push(...page.entries.map((e) => e.guid));
      positions.push(...page.entries.map((e) => positionOf(e.link)));
      if (page.next) expect(new URL(page.next).searchParams.get("limit")).toBe("500");
      next = page.next;
    }
    expect(sizes).toEqual([500, 500, 200]);
    expect(new Set(guids).size).toBe(1200);
    expect(positions).toEqual(Array.from({ length: 1200 }, (_, i) => 1200 - i));
    expect((await get(gw, `/feeds/threads/${BIG}.atom?limit=501`)).status).toBe(400);
  });
});

describe("hostile content", () => {
  let gw: TestGateway;
  let server: FixtureServer;
  let dir: string;
  const HOSTILE = toGlobalId("Thread", "local", 1);
  const ADMIN = "syndication-admin-token-0123";
  const hostile = JSON.parse(readFileSync(fixture("hostile-thread.json"), "utf8")) as {
    titlePrefix: string; titleLength: number; author: string; board: string; bodies: string[];
  };
  const title = hostile.titlePrefix + "A".repeat(hostile.titleLength - hostile.titlePrefix.length);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-syndication-hostile-"));
    await writeHostileThread(path.join(dir, "forum.db"), title, hostile);
    server = await startFixtureServer();
    server.serveFile("/hostile.xml", fixture("hostile-source.rss.xml"), { "content-type": "application/rss+xml" });
    gw = await startTestGateway(
      {
        forum: { seedDemo: false },
        news: { poll: false },
        net: { allowPrivateNetworks: true },
        adminToken: ADMIN,
        sources: [{ id: "hostile", name: "Hostile <b>Wire</b>", url: server.url("/hostile.xml"), homepage: "https://hostile.example/" }],
        syndication: { publicUrl: PUBLIC },
      },
      { dataDir: dir },
    );
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query: `mutation { refreshSource(id: "${toGlobalId("Source", "hostile", "hostile")}") { health { status itemCount } } }` }),
    });
    expect(((await res.json()) as any).data.refreshSource.health).toEqual({ status: "OK", itemCount: 2 });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ACTIVE = [/<script/i, /onerror/i, /onmouseover/i, /onclick/i, /javascript:/i, /<iframe/i, /style=/i];
  // eslint-disable-next-line no-control-regex
  const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const strings = (value: unknown): string[] =>
    typeof value === "string" ? [value] : value && typeof value === "object" ? Object.values(value).flatMap(strings) : [];

  it("every feed still parses strictly in every format and carries none of the active content", async () => {
    const routes = [
      `/feeds/threads/${HOSTILE}`,
      `/feeds/threads/${HOSTILE}`,
      `/feeds/forums/${toGlobalId("Forum", "local", 1)}`,
      "/feeds/river",
      "/feeds/sources/hostile",
    ];
    for (const [n, route] of routes.entries()) {
      for (const format of FORMATS) {
        const target = `${route}.${format}${n === 1 ? "?include=citations" : ""}`;
        const res = await get(gw, target);
        expect(res.status, target).toBe(200);
        expect(ILLEGAL.test(res.text), target).toBe(false);
        const parsed = await parseFeed(format, res.text);
        expect(parsed.entries.length, target).toBeGreaterThan(0);
        // Decoded values too: an escaped "&lt;script" in the XML is "<script" to a reader.
        const decoded = format === "json" ? strings(JSON.parse(res.text)) : strings(strictXml.parse(res.text)).map(decodeHtml);
        for (const value of [res.text, ...decoded]) {
          for (const pattern of ACTIVE) expect(pattern.test(value), `${target}: ${pattern} in ${value.slice(0, 120)}`).toBe(false);
        }
        expect(parsed.title.length, target).toBeLessThanOrEqual(200);
        // As readers show them: RSS titles holding markup characters are written HTML-escaped (issue 18), and
        // readers decode those (a reference in the title makes it HTML to them).
        const shown = (t: string) => (format === "rss" && /&#?\w+;/.test(t) ? decodeHtml(t) : t);
        for (const entry of parsed.entries) expect(Array.from(shown(entry.title)).length, target).toBeLessThanOrEqual(200);
      }
    }
  });

  it("keeps the harmless text: titles cut with an ellipsis, links kept, markup dropped", async () => {
    const thread = await feed(gw, `/feeds/threads/${HOSTILE}.json`, "json");
    expect(thread.title.endsWith("…")).toBe(true);
    expect(thread.title.startsWith("Sarn ")).toBe(true);
    const byPosition = new Map(thread.entries.map((e) => [positionOf(e.link), e]));
    expect(byPosition.get(1)!.content).toBe("<p>Hello  world</p>");
    const inert = (label: string) => `<a rel="nofollow ugc noopener noreferrer">${label}</a>`;
    expect(byPosition.get(3)!.content).toBe(`<p>${inert("click")} and ${inert("again")} and ${inert("spaced")}</p>`);
    expect(byPosition.get(4)!.content).toContain("controlcharshere");
    expect(byPosition.get(6)!.content).toContain('href="https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3241"');
    expect(byPosition.get(6)!.author).toBe("Mallory");
    const source = await feed(gw, "/feeds/sources/hostile.atom", "atom");
    const smuggler = source.entries.find((e) => e.title.startsWith("Headline"))!;
    expect(smuggler.link).toBe("https://hostile.example/"); // a javascript: link is replaced by the source's homepage
    expect(smuggler.categories).toEqual(['cat "quoted" & more', "Hostile Wire"]);
  });

  it("a warm feed request fetches nothing upstream", async () => {
    const hits = server.hits("/hostile.xml");
    await get(gw, "/feeds/sources/hostile.rss");
    await get(gw, "/feeds/river.atom");
    expect(server.hits("/hostile.xml")).toBe(hits);
  });
});

describe("configuration of syndication", () => {
  it("links default to http://localhost:<port>, and GUIDs to that host as tag authority", async () => {
    const config = loadConfig({}, { port: 4000 });
    expect(feedLinks(config, feedPath("threads", THREAD)).atom).toBe(`http://localhost:4000/feeds/threads/${THREAD}.atom`);
    expect(tagUri(config, THREAD)).toBe(`tag:localhost,2026:${THREAD}`);
    const proxied = loadConfig({}, { syndication: { publicUrl: "https://forum.example.org/crosswire/", tagAuthority: "example.org" } });
    expect(feedLinks(proxied, feedPath("sources", "meridian")).rss).toBe("https://forum.example.org/crosswire/feeds/sources/meridian.rss");
    expect(tagUri(proxied, THREAD)).toBe(`tag:example.org,2026:${THREAD}`);
    expect(() => loadConfig({}, { syndication: { tagAuthority: "Not A Host!" } })).toThrow(/syndication.tagAuthority/);
    expect(() => loadConfig({}, { syndication: { defaultLimit: 100, maxLimit: 50 } })).toThrow(/defaultLimit must not exceed maxLimit/);
  });

  it("refuses saved queries that are not one valid query, naming the key", async () => {
    const schema = await buildCrosswireSchema();
    const compile = (text: string) => () => compileOperations(schema, { broken: text });
    expect(compile("mutation { refreshAllSources { slug } }")).toThrow(ConfigError);
    expect(compile("mutation { refreshAllSources { slug } }")).toThrow(/syndication\.operations\.broken: only queries can be feeds/);
    expect(compile("{ nope }")).toThrow(/syndication\.operations\.broken: .*nope/);
    expect(compile("{ forums { name } } { sources { name } }")).toThrow(/exactly one operation/);
    expect(compile("{ forums { name ")).toThrow(/syndication\.operations\.broken/);
  });
});

/** One board, one thread with the hostile title, one hostile author, the hostile bodies as posts. */
function writeHostileThread(file: string, title: string, hostile: { author: string; board: string; bodies: string[] }): Promise<void> {
  const start = Date.parse("2026-11-22T08:00:00Z");
  return writeForum(file, async (db) => {
    await db.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (1, 'mallory', ?, '', ?)", [hostile.author, "2025-01-01T00:00:00.000Z"]);
    await db.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'hostile', ?, ?, ?)", [hostile.board, hostile.board, new Date(start).toISOString()]);
    await db.run("INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, ?, ?, ?, ?)", [
      title, new Date(start).toISOString(), new Date(start + hostile.bodies.length * 60_000).toISOString(), hostile.bodies.length,
    ]);
    for (const [i, body] of hostile.bodies.entries()) {
      await db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, 1, ?, ?, ?)", [
        i + 1, i + 1, body, new Date(start + (i + 1) * 60_000).toISOString(),
      ]);
    }
  });
}
