import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { ArticleStore } from "../../src/articles/store.js";
import { createCache } from "../../src/cache/index.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import type { ArticleRecord, ParsedItem } from "../../src/model/news.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const fixture = (name: string) => fromRoot("test", "fixtures", "rss", name);
const THREAD = toGlobalId("Thread", "local", 1);

describe("an entry's identity is its guid/id within its source; the canonical link only joins citations", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/podcast.xml", fixture("shared-link-podcast.xml"), { "content-type": "application/rss+xml" });
    server.serveFile("/releases.atom", fixture("fragment-links-releases.xml"), { "content-type": "application/atom+xml" });
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-identity-"));
    await writeThreadWithBodies(path.join(dir, "forum.db"), [
      `<p>Listen: <a href="https://pod.fixture.example/">the show</a></p>`,
      `<p>Changelog: https://code.fixture.example/releases#v1.1</p>`,
    ]);
    gw = await startTestGateway(
      {
        forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowPrivateNetworks: true },
        sources: [
          { id: "podcast", name: "Podcast", url: server.url("/podcast.xml") },
          { id: "releases", name: "Releases", url: server.url("/releases.atom") },
        ],
      },
      { dataDir: dir },
    );
    await gw.gateway.news.refresh("podcast");
    await gw.gateway.news.refresh("releases");
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const titles = async (slug: string) => {
    const { body } = await gw.graphql(`{ articles(first: 20, filter: { sources: ["${slug}"] }) { edges { node { title url canonicalUrl } } } }`);
    return body.data.articles.edges.map((e: { node: { title: string } }) => e.node);
  };

  it("keeps every podcast episode although all link to the home page", async () => {
    expect((await titles("podcast")).map((a: { title: string }) => a.title)).toEqual([
      "Episode 3: Harbour cranes", "Episode 2: Ferries", "Episode 1: The library",
    ]);
  });

  it("keeps every release although their links differ only by #fragment, and each keeps its own link", async () => {
    const found = await titles("releases");
    expect(found.map((a: { url: string }) => a.url)).toEqual([
      "https://code.fixture.example/releases#v1.2", "https://code.fixture.example/releases#v1.1", "https://code.fixture.example/releases#v1.0",
    ]);
    expect(new Set(found.map((a: { canonicalUrl: string }) => a.canonicalUrl))).toEqual(new Set(["https://code.fixture.example/releases"]));
  });

  it("article(url:) finds each release by its own #fragment link", async () => {
    for (const v of ["v1.2", "v1.1", "v1.0"]) {
      const { body } = await gw.graphql(`query ($u: String!) { article(url: $u) { title } }`, { u: `https://code.fixture.example/releases#${v}` });
      expect(body.data.article.title).toBe(v);
    }
  });

  it("a citation of a shared link joins the entry that first claimed it (the feed's first item carrying it)", async () => {
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { citedArticles { canonicalUrl article { title } } } }`, { id: THREAD });
    const cited = Object.fromEntries(body.data.thread.citedArticles.map((c: { canonicalUrl: string; article: { title: string } | null }) => [c.canonicalUrl, c.article?.title]));
    expect(cited["https://pod.fixture.example"]).toBe("Episode 3: Harbour cranes");
    expect(cited["https://code.fixture.example/releases"]).toBe("v1.2");
  });

  it("polling the same feed again adds nothing and duplicates nothing", async () => {
    const outcome = await gw.gateway.news.refresh("podcast");
    expect(outcome).toMatchObject({ kind: "stored", added: 0, updated: 0, unchanged: 3, warnings: [] });
    expect(await titles("podcast")).toHaveLength(3);
  });
});

describe("upgrading a data dir written by the previous store (article key = canonical link)", () => {
  const item = (guid: string | null, link: string, title: string, publishedAt: string): ParsedItem => ({
    guid, link, title, summaryHtml: `<p>${title}</p>`, author: null, publishedAt, updatedAt: null, imageUrl: null, categories: [], warnings: [],
  });
  let dir: string;
  let store: ArticleStore;
  let close: () => Promise<void>;
  let before: Map<string, ArticleRecord>;

  const all = async (sourceId: string) => {
    const keys = (await store.index(sourceId)).map((e) => e.k);
    return (await store.getMany(keys)) as ArticleRecord[];
  };

  beforeAll(async () => {
    // test/fixtures/migration/v1-datadir/cache.db was written by the old code (make-v1-datadir.mjs says how).
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-migrate-"));
    cpSync(fromRoot("test", "fixtures", "migration", "v1-datadir"), dir, { recursive: true });
    const cache = createCache(dir);
    // The keyv-era store is copied into the article rows on open (src/articles/upgrade.ts).
    const db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
    store = new ArticleStore(cache.keyv, db);
    close = async () => {
      await cache.keyv.disconnect();
      await db.close();
    };
    const keys = (await store.index("*")).map((e) => e.k);
    before = new Map((await store.getMany(keys)).map((r) => [r!.key, r!]));
  });
  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts from what the old rule kept: one article for three episodes, one for two releases", () => {
    expect([...before.keys()].sort()).toEqual([
      "https://blog.example/2026/11/no-guid", "https://blog.example/2026/11/one", "https://blog.example/2026/11/two",
      "https://code.example/releases", "https://pod.example",
    ]);
  });

  it("re-polling every feed restores the collapsed entries, keeps every stored article under its key and duplicates none", async () => {
    const at = new Date("2026-11-21T12:00:00Z");
    await store.upsert("podcast", [
      item("ep-3", "https://pod.example/", "Episode 3", "2026-11-19T10:00:00.000Z"),
      item("ep-2", "https://pod.example/", "Episode 2", "2026-11-12T10:00:00.000Z"),
      item("ep-1", "https://pod.example/", "Episode 1", "2026-11-05T10:00:00.000Z"),
    ], at);
    await store.upsert("releases", [
      item("tag:v1.2", "https://code.example/releases#v1.2", "v1.2", "2026-11-18T09:00:00.000Z"),
      item("tag:v1.1", "https://code.example/releases#v1.1", "v1.1", "2026-11-10T09:00:00.000Z"),
    ], at);
    const blog = await store.upsert("blog", [
      item("post-2", "https://blog.example/2026/11/two?utm_source=rss", "Two", "2026-11-17T08:00:00.000Z"),
      item("post-1", "https://blog.example/2026/11/one", "One", "2026-11-16T08:00:00.000Z"),
      item(null, "https://blog.example/2026/11/no-guid", "No guid", "2026-11-15T08:00:00.000Z"),
    ], at);
    const mirror = await store.upsert("mirror", [item("mirror-1", "https://blog.example/2026/11/one/", "One (mirrored)", "2026-11-16T08:00:00.000Z")], at);
    expect(blog).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
    expect(mirror).toMatchObject({ added: 0, updated: 0, unchanged: 1 });

    for (const [key, record] of before) expect((await store.getMany([key]))[0]).toEqual(record);
    expect((await all("podcast")).map((a) => a.title)).toEqual(["Episode 3", "Episode 2", "Episode 1"]);
    expect((await all("releases")).map((a) => a.url)).toEqual(["https://code.example/releases#v1.2", "https://code.example/releases#v1.1"]);
    const everything = await all("*");
    expect(everything).toHaveLength(8);
    expect(new Set(everything.map((a) => a.key)).size).toBe(8);
    expect((await store.getMany(["https://blog.example/2026/11/one"]))[0]!.sourceIds).toEqual(["blog", "mirror"]);
  });
});
