import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localForumFile } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, userToken } from "../helpers/tokens.js";
import { rssFeed } from "../helpers/ws-client.js";

const ADMIN = "response-cache-admin-token-0123456789";
const CITED = "https://liveblog.example/2026/11/25/harbour-fire-live";
const THREAD = toGlobalId("Thread", "local", "1");
const PAGE = `query Page($t: ID!) { node(id: $t) { ... on Thread { title posts(first: 20) { nodes { body citations { canonicalUrl status article { title } } } } } } }`;
const HEALTH = `{ sources { slug health { status consecutiveFailures } } }`;

describe("the response cache (cache.responses): reused until something it shows changes, per viewer", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  let feed = rssFeed([{ guid: "bg-0", title: "Background", link: "https://outlet.example/background" }]);
  let feedStatus = 200;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const refresh = () => gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: toGlobalId("Source", "outlet", "outlet") }, admin);
  const counts = async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const read = (result: string) => Number(text.match(new RegExp(`crosswire_cache_requests_total\\{cache="responses",result="${result}"\\} (\\d+)`))?.[1] ?? 0);
    return { hit: read("hit"), miss: read("miss") };
  };
  /** What one more request did to the counters: "hit" or "miss". */
  const outcome = async (run: () => Promise<unknown>) => {
    const before = await counts();
    await run();
    const after = await counts();
    return after.hit - before.hit === 1 && after.miss === before.miss ? "hit" : after.miss - before.miss === 1 && after.hit === before.hit ? "miss" : "neither";
  };

  beforeAll(async () => {
    fixture = await startFixtureServer();
    fixture.route("/outlet.xml", (_req, res) => void res.writeHead(feedStatus, { "content-type": "application/rss+xml" }).end(feedStatus === 200 ? feed : "down"));
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-responses-"));
    await writeThreadWithBodies(localForumFile(dataDir), [`<p>Follow <a href="${CITED}">the live blog</a>.</p>`, `<p>Nothing cited here.</p>`]);
    gw = await startTestGateway({
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      search: { postSyncSeconds: 0 },
      auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 1000 },
      cache: { responses: { enabled: true } },
      sources: [{ id: "outlet", name: "Outlet", url: fixture.url("/outlet.xml") }],
    }, { dataDir });
    await refresh();
  });

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers the same query from the cache the second time, with the same body and Cache-Control", async () => {
    const post = () => fetch(`${gw.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: PAGE, variables: { t: THREAD } }) });
    const first = await post();
    const firstBody = await first.text();
    let second: Response | undefined;
    expect(await outcome(async () => (second = await post()))).toBe("hit");
    expect(await second!.text()).toBe(firstBody);
    expect(second!.headers.get("cache-control")).toBe(first.headers.get("cache-control"));
    expect(JSON.parse(firstBody).data.node.posts.nodes).toHaveLength(2);
    // Other variables are another entry.
    expect(await outcome(() => gw.graphql(PAGE, { t: toGlobalId("Thread", "local", "2") }))).toBe("miss");
  });

  it("a new article for a cited URL shows in the very next response", async () => {
    await gw.graphql(PAGE, { t: THREAD });
    const before = await gw.graphql(PAGE, { t: THREAD });
    expect(before.body.data.node.posts.nodes[0].citations[0].article).toBeNull();
    feed = rssFeed([{ guid: "live-1", title: "Harbour fire: live", link: CITED }]);
    await refresh();
    const after = await gw.graphql(PAGE, { t: THREAD });
    expect(after.body.data.node.posts.nodes[0].citations[0]).toMatchObject({ status: "RESOLVED", article: { title: "Harbour fire: live" } });
  });

  it("a new post shows in the very next response", async () => {
    await gw.graphql(PAGE, { t: THREAD });
    expect(await outcome(() => gw.graphql(PAGE, { t: THREAD }))).toBe("hit");
    const token = await userToken("u-cache-1");
    const written = await gw.graphql(`mutation ($input: CreatePostInput!) { createPost(input: $input) { post { position } userErrors { code } } }`,
      { input: { threadId: THREAD, body: "A third post." } }, { authorization: `Bearer ${token}` });
    expect(written.body.data.createPost.userErrors).toEqual([]);
    const after = await gw.graphql(PAGE, { t: THREAD });
    expect(after.body.data.node.posts.nodes[2].body).toContain("A third post.");
    expect(after.body.data.node.posts.nodes).toHaveLength(3);
  });

  it("a health change shows in the very next response", async () => {
    const ok = await gw.graphql(HEALTH);
    expect(ok.body.data.sources[0].health.status).toBe("OK");
    expect(await outcome(() => gw.graphql(HEALTH))).toBe("hit");
    feedStatus = 500;
    await refresh();
    const after = await gw.graphql(HEALTH);
    expect(after.body.data.sources[0].health.consecutiveFailures).toBe(1);
    expect(after.body.data.sources[0].health.status).not.toBe("OK");
    feedStatus = 200;
  });

  it("never serves one viewer's entry to another viewer or to a request without credentials", async () => {
    const query = `{ sources { slug name } }`;
    const alice = { authorization: `Bearer ${await userToken("u-alice")}` };
    const bob = { authorization: `Bearer ${await userToken("u-bob")}` };
    expect(await outcome(() => gw.graphql(query, {}, alice))).toBe("miss");
    expect(await outcome(() => gw.graphql(query, {}, alice))).toBe("hit");
    expect(await outcome(() => gw.graphql(query, {}, bob))).toBe("miss");
    expect(await outcome(() => gw.graphql(query))).toBe("miss");
    expect(await outcome(() => gw.graphql(query, {}, admin))).toBe("miss");
    expect(await outcome(() => gw.graphql(query, {}, bob))).toBe("hit");
  });

  it("skips mutations and responses with errors", async () => {
    expect(await outcome(() => refresh())).toBe("neither");
    const broken = `{ node(id: "not-a-global-id") { id } }`;
    const first = await gw.graphql(broken);
    expect(first.body.errors?.length).toBeGreaterThan(0);
    expect(await outcome(() => gw.graphql(broken))).toBe("miss");
  });

  it("bump() drops every entry", async () => {
    await gw.graphql(HEALTH);
    expect(await outcome(() => gw.graphql(HEALTH))).toBe("hit");
    gw.gateway.responses!.bump();
    expect(gw.gateway.responses!.memory.entries).toBe(0);
    expect(await outcome(() => gw.graphql(HEALTH))).toBe("miss");
  });
});

describe("the response cache is off by default", () => {
  it("has no cache and counts nothing without cache.responses.enabled", async () => {
    const gw = await startTestGateway({ news: { demoFeeds: false, poll: false } });
    try {
      expect(gw.gateway.responses).toBeNull();
      await gw.graphql("{ forums { name } }");
      await gw.graphql("{ forums { name } }");
      expect(await (await fetch(`${gw.url}/metrics`)).text()).not.toContain('cache="responses"');
    } finally {
      await gw.close();
    }
  });
});

describe("the response cache and answers that are not final", () => {
  let web: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  const delayMs = 600;
  const PENDING_PAGE = `query($t: ID!) { node(id: $t) { ... on Thread { posts(first: 5) { nodes { citations { status article { title } } } } } } }`;

  beforeAll(async () => {
    web = await startFixtureServer({ host: "127.0.0.2" });
    web.route("/slow", async (_req, res) => {
      await new Promise((r) => setTimeout(r, delayMs));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html><html><head><title>Slow story</title><meta property="og:title" content="Slow story"></head><body></body></html>`);
    });
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-responses-pending-"));
    await writeThreadWithBodies(localForumFile(dataDir), [`<p><a href="http://slow.test:${web.host.split(":")[1]}/slow">slow</a></p>`]);
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowAddresses: ["127.0.0.2"] },
      unfurl: { enabled: true, waitMs: 50 },
      cache: { responses: { enabled: true } },
    }, { dataDir, lookup: fakeDns({ "slow.test": "127.0.0.2" }) });
  });
  afterAll(async () => {
    await gw?.close();
    await web?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("does not store a response with a PENDING citation: the next one shows the article once it arrived", async () => {
    const first = await gw.graphql(PENDING_PAGE, { t: THREAD });
    expect(first.body.data.node.posts.nodes[0].citations[0].status).toBe("PENDING");
    await new Promise((r) => setTimeout(r, delayMs + 400));
    const second = await gw.graphql(PENDING_PAGE, { t: THREAD });
    expect(second.body.data.node.posts.nodes[0].citations[0]).toEqual({ status: "RESOLVED", article: { title: "Slow story" } });
  });
});
