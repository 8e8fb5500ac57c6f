import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type Gateway } from "../../src/app/index.js";
import { loadConfig } from "../../src/config/index.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";

/**
 * removeSource(deleteArticles: true) reaches search and stories: the deleted articles are no longer found, counted or
 * grouped, and nothing comes back after a restart (the index's catch-up reads the tombstones, not the deleted rows).
 * And a stored_sources row that no longer fits the config schema is logged and not started, the gateway staying up.
 */
const ADMIN = "admin-token-for-search-deletions";
const RSS = { "content-type": "application/rss+xml" };

function feed(title: string, host: string, items: Array<[string, string]>): string {
  const entries = items.map(([slug, headline], i) =>
    `<item><title>${headline}</title><link>https://${host}/${slug}</link><guid>${host}/${slug}</guid><pubDate>Mon, 23 Nov 2026 1${i}:00:00 GMT</pubDate></item>`);
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://${host}/</link>${entries.join("")}</channel></rss>`;
}

interface Running {
  gateway: Gateway;
  gql(query: string, variables?: Record<string, unknown>, admin?: boolean): Promise<any>;
  logs: Array<{ msg: string; source?: string; problem?: string }>;
}

async function start(dataDir: string): Promise<Running> {
  const logs: Running["logs"] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const config = loadConfig({}, {
    port: 0, host: "127.0.0.1", dataDir, logLevel: "warn", sources: [], unfurl: { enabled: false },
    forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, adminToken: ADMIN,
    net: { allowAddresses: ["127.0.0.1"], timeoutMs: 3_000 }, storedSources: { syncSeconds: 1 },
  });
  const gateway = await createGateway({ config, logger });
  const { port } = await gateway.listen();
  await new Promise((resolve) => setImmediate(resolve));
  await gateway.search.whenIdle();
  const gql = async (query: string, variables?: Record<string, unknown>, admin = false) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(admin ? { authorization: `Bearer ${ADMIN}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  };
  return { gateway, gql, logs };
}

const SEARCH = `query ($q: String!) { search(query: $q, types: [ARTICLE], first: 20) { totalCount edges { node { ... on Article { url } } } } }`;
const STORIES = `{ stories(first: 50) { totalCount nodes { articleCount articles(first: 50) { nodes { url } } } } }`;

describe("removeSource with deleteArticles reaches search and stories, across a restart", () => {
  let server: FixtureServer;
  let dataDir: string;
  let gw: Running | undefined;
  const found = async (q: string) => {
    const body = await gw!.gql(SEARCH, { q });
    expect(body.errors).toBeUndefined();
    return { total: body.data.search.totalCount as number, urls: body.data.search.edges.map((e: any) => e.node?.url ?? null).sort() as Array<string | null> };
  };
  const storyUrls = async () => {
    const body = await gw!.gql(STORIES);
    expect(body.errors).toBeUndefined();
    for (const s of body.data.stories.nodes) expect(s.articleCount).toBe(s.articles.nodes.length);
    return (body.data.stories.nodes as any[]).flatMap((s) => s.articles.nodes.map((n: any) => n.url)).sort();
  };

  beforeAll(async () => {
    server = await startFixtureServer();
    server.route("/glacier.xml", { headers: RSS, body: feed("Glacier Desk", "glacier.example", [["one", "Glacier collapse floods alpine valley"], ["two", "Alpine valley flooded by glacier collapse"]]) });
    server.route("/harbour.xml", { headers: RSS, body: feed("Harbour Desk", "harbour.example", [["one", "Harbour reopens after storm"], ["two", "Glacier melt raises harbour water level"]]) });
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-searchdel-"));
    gw = await start(dataDir);
  });
  afterAll(async () => {
    await gw?.gateway.stop();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds the source's articles while it is there", async () => {
    for (const [id, file] of [["glacier", "/glacier.xml"], ["harbour", "/harbour.xml"]]) {
      const added = await gw!.gql(`mutation ($url: String!, $id: String!) { addSource(input: { url: $url, id: $id }) { source { slug health { itemCount } } } }`, { url: server.url(file!), id }, true);
      expect(added.errors).toBeUndefined();
    }
    await gw!.gateway.search.whenIdle();
    expect(await found("glacier")).toEqual({ total: 3, urls: ["https://glacier.example/one", "https://glacier.example/two", "https://harbour.example/two"] });
    expect(await storyUrls()).toEqual(expect.arrayContaining(["https://glacier.example/one", "https://glacier.example/two"]));
  });

  it("after removeSource(deleteArticles: true), search no longer finds them, totalCount drops, stories do not list them", async () => {
    const removed = await gw!.gql(`mutation { removeSource(id: "glacier", deleteArticles: true) { id articlesDeleted } }`, undefined, true);
    expect(removed.data.removeSource).toEqual({ id: "glacier", articlesDeleted: 2 });
    await gw!.gateway.search.whenIdle();
    expect(await found("glacier")).toEqual({ total: 1, urls: ["https://harbour.example/two"] });
    expect(await found("alpine")).toEqual({ total: 0, urls: [] });
    const urls = await storyUrls();
    expect(urls.filter((u: string) => u.startsWith("https://glacier.example/"))).toEqual([]);
    expect(urls).toEqual(["https://harbour.example/one", "https://harbour.example/two"]);
  });

  it("after a restart nothing reappears", async () => {
    await gw!.gateway.stop();
    gw = await start(dataDir);
    expect(await found("glacier")).toEqual({ total: 1, urls: ["https://harbour.example/two"] });
    expect(await found("alpine")).toEqual({ total: 0, urls: [] });
    expect(await storyUrls()).toEqual(["https://harbour.example/one", "https://harbour.example/two"]);
  });

  it("a stored row that no longer fits the config schema is logged and not started; the others are, and the gateway stays up", async () => {
    server.route("/broken.xml", { headers: RSS, body: feed("Broken Desk", "broken.example", [["one", "Never polled"]]) });
    server.route("/fine.xml", { headers: RSS, body: feed("Fine Desk", "fine.example", [["one", "Polled as usual"]]) });
    const now = new Date().toISOString();
    // Written behind the gateway's back, as an older version (or a hand edit) could have: pollIntervalSeconds 0 and
    // an unknown key do not fit today's schema.
    const db = new Database(path.join(dataDir, "forum.db"));
    try {
      db.transaction(() => {
        const insert = db.prepare("INSERT INTO stored_sources (id, kind, config, created_at, updated_at) VALUES (?, 'feed', ?, ?, ?)");
        insert.run("broken", JSON.stringify({ id: "broken", name: "Broken", url: server.url("/broken.xml"), pollIntervalSeconds: 0, legacy: true }), now, now);
        insert.run("fine", JSON.stringify({ id: "fine", name: "Fine", url: server.url("/fine.xml"), pollIntervalSeconds: 900 }), now, now);
        db.prepare("UPDATE stored_sources_seq SET seq = seq + 1 WHERE id = 1").run();
      })();
    } finally {
      db.close();
    }
    const deadline = Date.now() + 5_000;
    let slugs: string[] = [];
    while (!slugs.includes("fine") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      slugs = ((await gw!.gql("{ sources { slug } }")).data.sources as Array<{ slug: string }>).map((s) => s.slug);
    }
    expect(slugs).toEqual(["harbour", "fine"]);
    expect(gw!.logs).toContainEqual(expect.objectContaining({ source: "broken", msg: "a stored source does not fit the config schema; it is not started" }));
    expect(server.hits("/broken.xml")).toBe(0);
    expect((await gw!.gql(`{ source(id: "broken") { slug } }`)).data.source).toBeNull();
    expect((await gw!.gql(`{ source(id: "harbour") { articles(first: 5) { totalCount } } }`)).data.source.articles.totalCount).toBe(2);
  });
});
