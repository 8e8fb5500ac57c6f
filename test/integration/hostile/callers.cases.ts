import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localForumFile } from "../../../sources/forum-local/index.js";
import { toGlobalId } from "../../../src/model/ids.js";
import { createFetcher, FetchError } from "../../../src/net/index.js";
import { fakeDns } from "../../helpers/fake-dns.js";
import { startFixtureServer, type FixtureServer } from "../../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";
import { connect, rssFeed, subscribe, until } from "../../helpers/ws-client.js";
import { ADMIN, admin, post, query } from "./world.js";

/**
 * Anonymous callers (issue 18 items 3, 4, 7, 8): what a client without a token can make the gateway fetch, store
 * or publish, and how much. Each case names the class it pins; every gateway here treats loopback as a client
 * like any other (`rateLimit.exemptLoopback: false`), since the tests' clients are on 127.0.0.1.
 *
 * The "public internet" is a fixture server on 127.0.0.2 behind a fake DNS (allowAddresses: 127.0.0.2).
 */

const page = (title: string, extra = "") =>
  `<!doctype html><html><head><title>${title}</title><meta property="og:title" content="${title}">${extra}</head><body><p>${title}</p></body></html>`;
const html = (body: string) => ({ headers: { "content-type": "text/html" }, body });

let web: FixtureServer;
const names: Record<string, string> = { "public.test": "127.0.0.2", "feed.test": "127.0.0.2" };
for (let i = 0; i < 60; i++) names[`drip${i}.test`] = "127.0.0.2";
const dns = fakeDns(names);
const webPort = () => web.host.split(":")[1];
const at = (p: string, host = "public.test") => `http://${host}:${webPort()}${p}`;

async function withGateway<T>(config: Record<string, unknown>, fn: (gw: TestGateway) => Promise<T>, dataDir?: string): Promise<T> {
  const gw = await startTestGateway({
    adminToken: ADMIN,
    forum: { seedDemo: false },
    news: { demoFeeds: false, poll: false },
    search: { postSyncSeconds: 0 },
    ...config,
    net: { allowAddresses: ["127.0.0.2"], ...(config.net as object) },
    rateLimit: { exemptLoopback: false, ...(config.rateLimit as object) },
  }, { lookup: dns, ...(dataDir ? { dataDir } : {}) });
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}

export function callerCases(): void {
  beforeAll(async () => {
    web = await startFixtureServer({ host: "127.0.0.2" });
  });
  afterAll(async () => {
    await web?.close();
  });

  describe("item 3: an anonymous unfurl does not publish, and client-triggered fetches are bounded", () => {
    it("a page only a client unfurled stays out of the river, article lists, search and feeds, and its future date is clamped", async () => {
      const future = new Date(Date.now() + 2 * 86_400_000).toISOString();
      web.route("/planted", html(page("Zzplanted headline", `<meta property="article:published_time" content="${future}">`)));
      await withGateway({ unfurl: { enabled: true, waitMs: 5_000 } }, async (gw) => {
        const before = Date.now();
        const unfurled = await query(gw, "query ($u: String!) { unfurl(url: $u) { title publishedAt } }", { u: at("/planted") });
        expect(unfurled.json.data.unfurl.title).toBe("Zzplanted headline");
        expect(Date.parse(unfurled.json.data.unfurl.publishedAt)).toBeLessThanOrEqual(Date.now());
        expect(Date.parse(unfurled.json.data.unfurl.publishedAt)).toBeGreaterThanOrEqual(before - 1_000);
        // still answerable by its URL (it is stored), but published nowhere
        await gw.gateway.search.whenIdle();
        const byUrl = await query(gw, "query ($u: String!) { article(url: $u) { title } }", { u: at("/planted") });
        expect(byUrl.json.data.article.title).toBe("Zzplanted headline");
        const lists = await query(gw, `{ articles(first: 50) { totalCount nodes { title } } river(first: 50) { totalCount }
          search(query: "zzplanted", first: 5) { totalCount } }`);
        expect(lists.json.errors).toBeUndefined();
        expect(lists.json.data.articles.totalCount).toBe(0);
        expect(lists.json.data.river.totalCount).toBe(0);
        expect(lists.json.data.search.totalCount).toBe(0);
        for (const format of ["atom", "rss", "json"]) {
          const feed = await fetch(`${gw.url}/feeds/river.${format}`);
          expect(feed.status).toBe(200);
          expect(await feed.text()).not.toContain("Zzplanted");
        }
      });
    });

    it("a page a forum post cites is published when the citation resolves", async () => {
      web.route("/cited", html(page("Zzcited story")));
      const dir = mkdtempSync(path.join(tmpdir(), "crosswire-callers-"));
      try {
        await writeThreadWithBodies(localForumFile(dir), [`<p>See <a href="${at("/cited")}">this</a>.</p>`]);
        await withGateway({ unfurl: { enabled: true, waitMs: 5_000 } }, async (gw) => {
          const cited = await query(gw, "{ forums { threads(first: 1) { nodes { posts(first: 1) { nodes { citations { status article { title } } } } } } } }");
          expect(cited.json.data.forums[0].threads.nodes[0].posts.nodes[0].citations[0]).toEqual({ status: "RESOLVED", article: { title: "Zzcited story" } });
          const lists = await query(gw, "{ articles(first: 5) { nodes { title } } }");
          expect(lists.json.data.articles.nodes.map((n: { title: string }) => n.title)).toEqual(["Zzcited story"]);
        }, dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a post of 200 links makes at most unfurl.maxLinksPerPost fetches; the rest answer FAILED unfetched", async () => {
      for (let i = 0; i < 200; i++) web.route(`/many/${i}`, html(page(`Link ${i}`)));
      const dir = mkdtempSync(path.join(tmpdir(), "crosswire-callers-"));
      try {
        const links = Array.from({ length: 200 }, (_, i) => `<a href="${at(`/many/${i}`)}">${i}</a>`).join(" ");
        await writeThreadWithBodies(localForumFile(dir), [`<p>${links}</p>`]);
        await withGateway({ unfurl: { enabled: true, waitMs: 5_000, perClientPerMinute: 1_000 } }, async (gw) => {
          const hitsBefore = web.requests.filter((r) => r.path.startsWith("/many/")).length;
          const answer = await query(gw, "{ forums { threads(first: 1) { nodes { posts(first: 1) { nodes { citations { status error } } } } } } }");
          const citations = answer.json.data.forums[0].threads.nodes[0].posts.nodes[0].citations;
          expect(citations).toHaveLength(20); // MAX_CITATIONS_PER_POST: the first 20 links are stored as citations
          expect(citations.filter((c: { status: string }) => c.status === "RESOLVED")).toHaveLength(5);
          expect(citations[5].error).toMatch(/unfurl\.maxLinksPerPost/);
          expect(web.requests.filter((r) => r.path.startsWith("/many/")).length - hitsBefore).toBe(5);
        }, dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("one client address starts at most unfurl.perClientPerMinute unfurl fetches; an admin is not counted", async () => {
      for (let i = 0; i < 8; i++) web.route(`/budget/${i}`, html(page(`Budget ${i}`)));
      await withGateway({ unfurl: { enabled: true, waitMs: 5_000, perClientPerMinute: 5 } }, async (gw) => {
        const answers = [];
        for (let i = 0; i < 7; i++) answers.push(await query(gw, "query ($u: String!) { unfurl(url: $u) { title } }", { u: at(`/budget/${i}`) }));
        expect(answers.slice(0, 5).map((a) => a.json.data.unfurl?.title)).toEqual(["Budget 0", "Budget 1", "Budget 2", "Budget 3", "Budget 4"]);
        for (const a of answers.slice(5)) {
          expect(a.json.errors[0].extensions.code).toBe("UNFURL_FAILED");
          expect(a.json.errors[0].message).toMatch(/unfurl\.perClientPerMinute/);
        }
        expect(web.hits("/budget/5") + web.hits("/budget/6")).toBe(0);
        const asAdmin = await admin(gw, "query ($u: String!) { unfurl(url: $u) { title } }", { u: at("/budget/7") });
        expect(asAdmin.json.data.unfurl.title).toBe("Budget 7");
      });
    });

    it("40 slow-drip unfurls hold only the client lane: an admin refreshSource and a feed poll complete while they drip", async () => {
      const dripping = new Set<unknown>();
      let stopped = false;
      web.route("/drip", (req, res) => {
        if (stopped) return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": "text/html" });
        const timer = setInterval(() => res.write(" "), 100);
        dripping.add(res);
        req.socket.once("close", () => {
          clearInterval(timer);
          dripping.delete(res);
        });
      });
      web.route("/feed.xml", { headers: { "content-type": "application/rss+xml" }, body: rssFeed([{ guid: "g1", title: "Feed item", link: "https://example.org/feed-item" }]) });
      await withGateway({
        unfurl: { enabled: true, waitMs: 5_000, perClientPerMinute: 1_000 },
        net: { timeoutMs: 60_000, globalConcurrency: 32, clientConcurrency: 8 },
        sources: [{ id: "fx", name: "Fixture", url: at("/feed.xml", "feed.test") }],
      }, async (gw) => {
        const drips = Array.from({ length: 40 }, (_, i) => query(gw, "query ($u: String!) { unfurl(url: $u) { title } }", { u: at("/drip", `drip${i}.test`) }).catch(() => null));
        await until(() => dripping.size >= 8, "8 drips in flight", 10_000);
        const refreshed = await admin(gw, "mutation ($id: ID!) { refreshSource(id: $id) { health { status } } }", { id: toGlobalId("Source", "fx", "fx") });
        expect(refreshed.json.data.refreshSource.health.status).toBe("OK");
        // the drips still hold their slots: the refresh did not wait for them
        expect(dripping.size).toBeGreaterThanOrEqual(8);
        const polled = await gw.gateway.news.sources.get("fx")!.poll();
        expect(polled).toBeDefined();
        expect(dripping.size).toBeGreaterThanOrEqual(8);
        // end the drips: their responses are cut and the unfurls fail
        stopped = true;
        for (const res of dripping) (res as { destroy(): void }).destroy();
        await Promise.all(drips);
      });
    }, 60_000);
  });

  describe("item 4: anonymous callers cannot grow stored state without bound", () => {
    const apqRows = (gw: TestGateway) =>
      gw.gateway.cacheStore.database.all<{ key: string; value: string }>("SELECT key, value FROM keyv WHERE key LIKE '%apq:%'");
    const register = (gw: TestGateway, text: string) =>
      post(gw, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(text).digest("hex") } } });

    it("APQ keeps no query text over persistedQueries.maxQueryBytes (900 KB of comment padding runs but is not stored)", async () => {
      await withGateway({ rateLimit: { enabled: false }, http: { bodyLimitBytes: 2 * 1024 * 1024 } }, async (gw) => {
        const padded = `{ __typename }\n#${"x".repeat(900 * 1024)}`;
        const answer = await register(gw, padded);
        expect(answer.json.data).toEqual({ __typename: "Query" });
        expect(apqRows(gw)).toEqual([]);
        expect((await register(gw, "{ sources { slug } }")).json.errors).toBeUndefined();
        expect(apqRows(gw)).toHaveLength(1);
      });
    });

    it("APQ keeps at most persistedQueries.maxStored registrations, the oldest deleted first", async () => {
      await withGateway({ rateLimit: { enabled: false }, persistedQueries: { maxStored: 10 } }, async (gw) => {
        for (let i = 0; i < 25; i++) expect((await register(gw, `query Q${i} { __typename }`)).json.errors).toBeUndefined();
        const rows = apqRows(gw);
        expect(rows).toHaveLength(10);
        expect(rows.some((r) => r.value.includes("Q24"))).toBe(true);
        expect(rows.some((r) => r.value.includes("Q0 "))).toBe(false);
      });
    });

    it("/metrics labels at most 100 client-defined operation names; the rest count as \"other\"", async () => {
      await withGateway({ rateLimit: { enabled: false } }, async (gw) => {
        for (let i = 0; i < 300; i += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, j) => query(gw, `query Op${i + j}x { __typename }`)));
        }
        const metrics = await (await fetch(`${gw.url}/metrics`)).text();
        const labels = new Set([...metrics.matchAll(/crosswire_graphql_requests_total\{operation="([^"]+)"/g)].map((m) => m[1]));
        expect(labels.size).toBeLessThanOrEqual(101);
        expect(labels.has("other")).toBe(true);
      });
    });
  });

  describe("item 7: fetcher corners", () => {
    const fetcher = (extra: Record<string, unknown> = {}) =>
      createFetcher({ lookup: dns, allowAddresses: ["127.0.0.2"], timeoutMs: 3_000, connectTimeoutMs: 500, ...extra });
    const failure = async (promise: Promise<unknown>): Promise<FetchError> => {
      try {
        await promise;
      } catch (error) {
        expect(error).toBeInstanceOf(FetchError);
        return error as FetchError;
      }
      throw new Error("the fetch succeeded");
    };

    it("decodes at most two content codings: gzip of gzip reads, gzip of gzip of gzip is refused", async () => {
      const twice = zlib.gzipSync(zlib.gzipSync("hello"));
      web.route("/gz2", { headers: { "content-type": "text/plain", "content-encoding": "gzip, gzip" }, body: twice });
      web.route("/gz3", { headers: { "content-type": "text/plain", "content-encoding": "gzip, gzip, gzip" }, body: zlib.gzipSync(twice) });
      expect(String((await fetcher().fetch({ url: at("/gz2") })).bytes)).toBe("hello");
      const error = await failure(fetcher().fetch({ url: at("/gz3") }));
      expect(error.code).toBe("NETWORK");
      expect(error.message).toMatch(/at most 2/);
    });

    it("fetches a public address only on net.allowPorts (80, 443), by name or literal, before any packet", async () => {
      const publicDns = fakeDns({ "elsewhere.test": "93.184.216.34" });
      const f = createFetcher({ lookup: publicDns, timeoutMs: 2_000, connectTimeoutMs: 500 });
      for (const url of ["http://elsewhere.test:8080/", "http://93.184.216.34:22/", "https://elsewhere.test:6379/"]) {
        const error = await failure(f.fetch({ url, clientChosen: true }));
        expect(error.code, url).toBe("BLOCKED_ADDRESS");
        expect(error.message, url).toMatch(/net\.allowPorts/);
      }
    });

    it("tells a client the same thing for a closed, a silent and a resetting port", async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.2", () => {
          const { port } = s.address() as net.AddressInfo;
          s.close(() => resolve(port));
        });
      });
      const silent = net.createServer((socket) => socket.resume()).listen(0, "127.0.0.2");
      const reset = net.createServer((socket) => socket.resetAndDestroy()).listen(0, "127.0.0.2");
      await Promise.all([silent, reset].map((s) => new Promise((r) => (s.listening ? r(null) : s.once("listening", r)))));
      try {
        const f = fetcher({ timeoutMs: 800 });
        const messages = [];
        for (const port of [closedPort, (silent.address() as net.AddressInfo).port, (reset.address() as net.AddressInfo).port]) {
          const error = await failure(f.fetch({ url: `http://127.0.0.2:${port}/x`, clientChosen: true }));
          expect(error.code).toBe("NETWORK");
          messages.push(error.message.replace(String(port), "PORT"));
        }
        expect(new Set(messages)).toEqual(new Set(["could not get an answer from 127.0.0.2:PORT"]));
      } finally {
        silent.close();
        reset.close();
      }
    });

    it.each([
      ["IPv4-compatible", "::a00:1"], ["IPv4-compatible loopback", "::7f00:1"], ["IPv4-mapped", "::ffff:127.0.0.1"],
      ["IPv4-translated", "::ffff:0:a00:1"], ["NAT64 of a private v4", "64:ff9b::a00:1"], ["NAT64 local-use", "64:ff9b:1::a00:1"],
      ["6to4 of a private v4", "2002:a00:1::1"], ["Teredo", "2001:0:4136:e378:8000:63bf:f5ff:fffe"],
      ["site-local", "fec0::1"], ["ULA", "fd00::1"], ["link-local", "fe80::1"], ["multicast", "ff02::1"], ["documentation", "2001:db8::1"],
    ])("refuses the %s address %s before connecting", async (_what, address) => {
      const error = await failure(createFetcher({ timeoutMs: 2_000, connectTimeoutMs: 500 }).fetch({ url: `http://[${address}]/`, clientChosen: true }));
      expect(error.code).toBe("BLOCKED_ADDRESS");
    });
  });

  describe("item 8: /feeds/* and subscriptions spend a per-address budget", () => {
    it("/feeds/* pages are charged per entry asked for; past rateLimit.costPerMinute they answer 429 with Retry-After", async () => {
      await withGateway({ rateLimit: { costPerMinute: 25_000, feedEntryCost: 20 } }, async (gw) => {
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await fetch(`${gw.url}/feeds/river.atom?limit=500`)).status);
        expect(statuses).toEqual([200, 200, 429, 429]);
        const refused = await fetch(`${gw.url}/feeds/river.rss?limit=500`);
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(await refused.text()).toMatch(/rateLimit\.costPerMinute/);
      });
    });

    it("a subscription's cost comes out of the address's budget, and its events are bounded per minute (close 4029)", async () => {
      const items = (n: number) => Array.from({ length: n }, (_, i) => ({ guid: `e${i}`, title: `Event ${i}`, link: `https://example.org/e${i}` }));
      let feed = rssFeed(items(1));
      web.route("/events.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(feed));
      await withGateway({
        rateLimit: { costPerMinute: 100, subscriptionEventsPerMinute: 3 },
        sources: [{ id: "ev", name: "Events", url: at("/events.xml", "feed.test") }],
      }, async (gw) => {
        const expensive = connect(gw.url);
        const refused = subscribe(expensive, "subscription { articleAdded { title sources { articles(first: 200) { nodes { title } } } } }");
        expect((await refused.error)[0].extensions.code).toBe("RATE_LIMITED");
        await expensive.dispose();

        const client = connect(gw.url);
        const sub = subscribe(client, "subscription { articleAdded { title } }");
        await new Promise((r) => setTimeout(r, 200));
        feed = rssFeed(items(8));
        await admin(gw, "mutation ($id: ID!) { refreshSource(id: $id) { health { status } } }", { id: toGlobalId("Source", "ev", "ev") });
        const closed = await client.closed;
        expect(closed.code).toBe(4029);
        expect(sub.received.length).toBeLessThanOrEqual(3);
      });
    });
  });
}
