import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Every GraphQL example of docs/sources/admin-api.md, read from the Markdown in order, run against a gateway with
 * the admin token, each `https://<host>.example.org` pointed at a fixture server path `/<host>.example.org`.
 * (test/integration/readme.test.ts skips them: they are marked not-run there, naming this file.)
 */
const ADMIN = "admin-token-for-the-docs-examples";
const doc = readFileSync(fromRoot("docs", "sources", "admin-api.md"), "utf8");
const blocks = [...doc.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);

function feed(host: string, slugs: string[]): string {
  const items = slugs.map((s) => `<entry><id>tag:${host},2026:${s}</id><title>${s}</title><link href="https://${host}/${s}"/><updated>2026-11-23T10:00:00Z</updated></entry>`);
  return `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Example World</title><id>tag:${host},2026:feed</id><updated>2026-11-23T10:00:00Z</updated>${items.join("")}</feed>`;
}

describe("docs/sources/admin-api.md examples", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const run = async (i: number) => {
    const query = blocks[i]!.replace(/https:\/\/([a-z0-9-]+\.example\.org)/g, (_m, host: string) => server.url(`/${host}`));
    const { body } = await gw.graphql(query, undefined, { authorization: `Bearer ${ADMIN}` });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  };

  beforeAll(async () => {
    server = await startFixtureServer();
    const html = (links: string) => ({ headers: { "content-type": "text/html" }, body: `<!doctype html><html><head><title>x</title>${links}</head><body></body></html>` });
    server.route("/news.example.org/", html(`<link rel="alternate" type="application/rss+xml" title="Example News" href="rss.xml">`));
    server.serveFile("/news.example.org/rss.xml", fromRoot("test", "fixtures", "rss", "rss2-basic.xml"), { "content-type": "application/rss+xml" });
    server.route("/news.example.org/feeds/world.atom", { headers: { "content-type": "application/atom+xml" }, body: feed("world.example.org", ["one", "two"]) });
    server.route("/two-feeds.example.org/", html(`<link rel="alternate" type="application/atom+xml" title="Posts (Atom)" href="posts.atom"><link rel="alternate" type="application/feed+json" title="Posts (JSON Feed)" href="feed.json">`));
    server.route("/forum.example.org/about.json", { headers: { "content-type": "application/json" }, body: JSON.stringify({ about: { title: "Example Forum" } }) });
    server.serveFile("/board.example.org/feed.php", fromRoot("test", "fixtures", "forums", "phpbb-board.atom.xml"), { "content-type": "application/atom+xml" });
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowAddresses: ["127.0.0.1"], timeoutMs: 3_000 },
      adminToken: ADMIN,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("has the 8 examples this test knows, each marked not-run for readme.test.ts", () => {
    expect(blocks).toHaveLength(8);
    expect(doc.match(/<!-- not-run: [^>]*admin-sources-docs\.test\.ts[^>]* -->\n```graphql/g)).toHaveLength(8);
  });

  it("runs them in order, each answering as the page says", async () => {
    const page = await run(0);
    expect(page.addSource.source).toMatchObject({ slug: "example-news", name: "Example News", origin: "STORED", readOnly: false, health: { status: "OK", itemCount: 3 } });
    expect((await run(1)).addSource).toMatchObject({ source: null, candidates: [{ title: "Posts (Atom)", format: "ATOM" }, { title: "Posts (JSON Feed)", format: "JSON_FEED" }] });
    expect((await run(2)).addSource.source).toEqual({ slug: "example-world", name: "Example World", categories: ["World"], pollIntervalSeconds: 1800, origin: "STORED" });
    expect((await run(3)).updateSource.source).toEqual({ slug: "example-world", categories: ["World", "Europe"], pollIntervalSeconds: 3600 });
    const filtered = await run(4);
    expect(filtered.articles.totalCount).toBe(2);
    expect(filtered.river.totalCount).toBe(2);
    expect(await run(5)).toEqual({
      discourse: { id: "example-forum", kind: "DISCOURSE", name: "Example Forum", url: server.url("/forum.example.org") },
      board: { id: "board", kind: "FEED", name: "The board" },
    });
    const report = (await run(6)).importOpml;
    expect(report.added).toEqual([{ slug: "canal-post", categories: ["Europe"] }]);
    expect(report.skipped).toEqual([{ outline: "Example World again", url: server.url("/news.example.org/feeds/world.atom"), reason: "duplicate: a source with this URL already exists" }]);
    expect(report.failed).toEqual([{ outline: "Broken", url: null, reason: "not an absolute http(s) URL" }]);
    expect(await run(7)).toEqual({ removeSource: { id: "example-world", articlesDeleted: 2 }, removeForum: "board" });
  });
});
