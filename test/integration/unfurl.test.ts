import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * The "public internet" lives on 127.0.0.2, the only private address the gateway is allowed to reach here;
 * a victim server on 127.0.0.1 counts every connection it gets. An allowlist is per address, not per port,
 * which is why the victim is on a different address. Any connection to it is an SSRF, even a failed one.
 */
let web: FixtureServer;
let victim: net.Server;
let victimConnections = 0;
let victimPort = 0;
let gw: TestGateway;
let dir: string;
let dns: ReturnType<typeof fakeDns>;

const page = (title: string, extra = "") =>
  `<!doctype html><html><head><title>${title} | Public Post</title><meta property="og:title" content="${title}">` +
  `<meta property="og:site_name" content="Public Post"><meta property="article:published_time" content="2026-11-20T10:00:00Z">${extra}</head><body><p>text</p></body></html>`;
const html = (body: string) => ({ headers: { "content-type": "text/html; charset=utf-8" }, body });

beforeAll(async () => {
  web = await startFixtureServer({ host: "127.0.0.2" });
  victim = net.createServer((socket) => {
    victimConnections += 1;
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 40\r\n\r\n<title>victim internal secret</title>");
  });
  await new Promise<void>((r) => victim.listen(0, "127.0.0.1", r));
  victimPort = (victim.address() as net.AddressInfo).port;
  const port = web.host.split(":")[1];
  dns = fakeDns({
    "public.test": "127.0.0.2",
    "news.fixture.example": "127.0.0.2",
    localhost: "127.0.0.1",
    "evil.test": "127.0.0.1",
    "meta.test": "169.254.169.254",
    "rebind.test": ["127.0.0.2", "127.0.0.1"],
    "mixed.test": ["127.0.0.1", "127.0.0.2"],
  });
  for (let i = 1; i <= 50; i++) web.route(`/story/${i}`, html(page(`Story ${i}`)));
  dir = mkdtempSync(path.join(tmpdir(), "crosswire-unfurl-"));
  await writeThreadWithBodies(
    path.join(dir, "forum.db"),
    Array.from({ length: 50 }, (_, i) => `<p>Read <a href="http://public.test:${port}/story/${i + 1}">story ${i + 1}</a></p>`),
  );
  gw = await startTestGateway(
    {
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      // Generous limits: other processes may load this 2-core machine; the drip case still ends at timeoutMs.
      net: { allowAddresses: ["127.0.0.2"], timeoutMs: 4000, connectTimeoutMs: 3000 },
      unfurl: { waitMs: 10_000, maxBytes: 256 * 1024 },
    },
    { dataDir: dir, lookup: dns },
  );
});

afterAll(async () => {
  await gw?.close();
  await web?.close();
  await new Promise((r) => victim?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const totalHits = () => web.requests.filter((r) => r.path.startsWith("/story/")).length;
const at = (p: string) => `http://public.test:${web.host.split(":")[1]}${p}`;

async function unfurl(url: string) {
  const { body } = await gw.graphql(`query ($url: String!) { unfurl(url: $url) { title canonicalUrl publishedAt summary provenance { field origin } } }`, { url });
  return body;
}

describe("unfurling cited links", () => {
  it("10 identical queries at once over 50 cited URLs cause exactly 50 fetches; a repeat query causes none", async () => {
    const query = `query ($id: ID!) { thread(id: $id) { posts(first: 50) { edges { node { citations { status error article { title } } } } } } }`;
    const variables = { id: toGlobalId("Thread", "local", 1) };
    const answers = await Promise.all(Array.from({ length: 10 }, () => gw.graphql(query, variables)));
    for (const { body } of answers) {
      expect(body.errors).toBeUndefined();
      const citations = body.data.thread.posts.edges.map((e: any) => e.node.citations[0]);
      expect(citations.filter((c: any) => c.status !== "RESOLVED")).toEqual([]);
      expect(citations.map((c: any) => c.article.title)).toEqual(Array.from({ length: 50 }, (_, i) => `Story ${i + 1}`));
    }
    expect(totalHits()).toBe(50);
    expect(gw.gateway.news.unfurler!.fetchCount).toBe(50);
    await gw.graphql(query, variables);
    expect(totalHits()).toBe(50);
  });

  const blocked: Array<[string, string]> = [
    ["loopback", `http://127.0.0.1:${"VPORT"}/`],
    ["localhost", `http://localhost:VPORT/`],
    ["IPv6 loopback", `http://[::1]:VPORT/`],
    ["decimal 2130706433", `http://2130706433:VPORT/`],
    ["hex 0x7f000001", `http://0x7f000001:VPORT/`],
    ["octal 0177.0.0.1", `http://0177.0.0.1:VPORT/`],
    ["short 127.1", `http://127.1:VPORT/`],
    ["IPv4-mapped IPv6", `http://[::ffff:127.0.0.1]:VPORT/`],
    ["unspecified 0.0.0.0", `http://0.0.0.0:VPORT/`],
    ["cloud metadata", `http://169.254.169.254/latest/meta-data/`],
    ["private 10/8", `http://10.0.0.1/`],
    ["private 192.168/16", `http://192.168.1.1/`],
    ["CGNAT 100.64/10", `http://100.64.0.1/`],
    ["multicast", `http://224.0.0.1/`],
    ["IPv6 ULA", `http://[fd00::1]/`],
    ["IPv6 link-local", `http://[fe80::1]/`],
    ["DNS name to loopback", `http://evil.test:VPORT/`],
    ["DNS name to metadata", `http://meta.test/`],
  ];
  it.each(blocked)("refuses %s without connecting", async (_, template) => {
    const url = template.replace("VPORT", String(victimPort));
    const body = await unfurl(url);
    expect(body.errors?.[0]?.extensions?.code).toBe("UNFURL_BLOCKED");
    expect(body.errors[0].message).toMatch(/refused|private|not allowed/i);
    expect(victimConnections).toBe(0);
  });

  it("refuses non-http schemes as bad input", async () => {
    for (const url of ["file:///etc/passwd", "ftp://public.test/x", "gopher://public.test/", "data:text/html,<title>x</title>", "javascript:alert(1)", "not a url"]) {
      const body = await unfurl(url);
      expect(body.errors[0].extensions.code, url).toBe("BAD_USER_INPUT");
    }
    expect(victimConnections).toBe(0);
  });

  it("checks every redirect hop: a public page redirecting to loopback is blocked", async () => {
    web.route("/to-victim", { status: 302, headers: { location: `http://127.0.0.1:${victimPort}/admin` } });
    web.route("/to-evil", { status: 301, headers: { location: `http://evil.test:${victimPort}/` } });
    for (const p of ["/to-victim", "/to-evil"]) {
      const body = await unfurl(at(p));
      expect(body.errors[0].extensions.code).toBe("UNFURL_BLOCKED");
    }
    expect(victimConnections).toBe(0);
  });

  it("a rebinding name (public first, loopback second) never reaches loopback", async () => {
    web.route("/rebind", html(page("Rebind bait")));
    const first = await unfurl(`http://rebind.test:${web.host.split(":")[1]}/rebind`);
    expect(first.data.unfurl.title).toBe("Rebind bait");
    // the second lookup of the same name answers loopback: a refetch (new URL) must be refused, not sent
    const second = await unfurl(`http://rebind.test:${victimPort}/again`);
    expect(second.errors[0].extensions.code).toBe("UNFURL_BLOCKED");
    const mixed = await unfurl(`http://mixed.test:${victimPort}/`);
    expect(mixed.errors[0].extensions.code).toBe("UNFURL_BLOCKED");
    expect(victimConnections).toBe(0);
  });

  it("fails cleanly on redirect loops, too many redirects, huge bodies, gzip bombs and slow drips", async () => {
    web.route("/loop-a", { status: 302, headers: { location: "/loop-b" } });
    web.route("/loop-b", { status: 302, headers: { location: "/loop-a" } });
    for (let i = 0; i < 6; i++) web.route(`/hop${i}`, { status: 302, headers: { location: `/hop${i + 1}` } });
    web.route("/hop6", html(page("Too far")));
    web.route("/huge", (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      const chunk = Buffer.alloc(64 * 1024, 120);
      let sent = 0;
      const write = () => {
        while (sent < 50 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 50 * 1024 * 1024) res.once("drain", write);
        else res.end();
      };
      write();
    });
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    web.route("/bomb", { headers: { "content-type": "text/html", "content-encoding": "gzip" }, body: bomb });
    web.route("/drip", (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      const timer = setInterval(() => res.write("<"), 200);
      res.on("close", () => clearInterval(timer));
    });
    const rssBefore = process.memoryUsage().rss;
    const cases: Array<[string, RegExp]> = [
      ["/loop-a", /redirect loop/i],
      ["/hop0", /redirect/i],
      ["/huge", /bytes|too large|larger/i],
      ["/bomb", /bytes|too large|larger/i],
      // A client-chosen URL's timeout reads like a refused or reset connection (no port oracle: src/net/errors.ts forClient).
      ["/drip", /could not get an answer from/i],
    ];
    for (const [p, message] of cases) {
      const body = await unfurl(at(p));
      expect(body.errors[0].extensions.code, p).toBe("UNFURL_FAILED");
      expect(body.errors[0].message, p).toMatch(message);
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect((await gw.graphql("{ sources { slug } }")).body.errors).toBeUndefined();
  });

  it("describes a PDF from its headers without downloading the body", async () => {
    let bodyBytesSent = 0;
    web.route("/report.pdf", (_req, res) => {
      res.writeHead(200, { "content-type": "application/pdf" });
      const chunk = Buffer.alloc(64 * 1024);
      const write = () => {
        while (bodyBytesSent < 20 * 1024 * 1024 && res.write(chunk)) bodyBytesSent += chunk.length;
        if (bodyBytesSent < 20 * 1024 * 1024) res.once("drain", write);
        else res.end();
      };
      res.on("error", () => {});
      write();
    });
    const body = await unfurl(at("/report.pdf"));
    expect(body.errors).toBeUndefined();
    expect(body.data.unfurl.title).toBe("report.pdf");
    expect(bodyBytesSent).toBeLessThan(20 * 1024 * 1024);
  });

  it("never stores an error page: a 404 is FAILED and no article exists for it", async () => {
    web.route("/gone", { status: 404, headers: { "content-type": "text/html" }, body: page("Page not found") });
    const body = await unfurl(at("/gone"));
    expect(body.errors[0].extensions.code).toBe("UNFURL_FAILED");
    expect(body.errors[0].message).toMatch(/404/);
    const article = await gw.graphql(`query ($url: String!) { article(url: $url) { title } }`, { url: at("/gone") });
    expect(article.body.data.article).toBeNull();
  });

  it("caches failures: a dead link is fetched once, then answered from the negative cache", async () => {
    web.route("/dead", { status: 500, body: "boom" });
    await unfurl(at("/dead"));
    await unfurl(at("/dead"));
    expect(web.hits("/dead")).toBe(1);
  });

  it("backs off a host that answered 429, honouring Retry-After, instead of retrying it", async () => {
    const slow = await startFixtureServer({ host: "127.0.0.2" });
    try {
      slow.route("/a", { status: 429, headers: { "retry-after": "120" }, body: "slow down" });
      slow.route("/b", html(page("B")));
      const port = slow.host.split(":")[1];
      const first = await unfurl(`http://127.0.0.2:${port}/a`);
      expect(first.errors[0].message).toMatch(/429/);
      const second = await unfurl(`http://127.0.0.2:${port}/b`);
      expect(second.errors[0].extensions.code).toBe("UNFURL_FAILED");
      expect(second.errors[0].message).toMatch(/not asking 127\.0\.0\.2:\d+ again/);
      expect(slow.hits("/b")).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it("one hostile citation does not fail the others in the same query", async () => {
    const bodies = [
      `<p><a href="${at("/story/1")}">ok</a> <a href="http://127.0.0.1:${victimPort}/">internal</a> <a href="${at("/gone")}">gone</a></p>`,
    ];
    const d = mkdtempSync(path.join(tmpdir(), "crosswire-unfurl-mixed-"));
    await writeThreadWithBodies(path.join(d, "forum.db"), bodies);
    const other = await startTestGateway(
      { forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowAddresses: ["127.0.0.2"] }, unfurl: { waitMs: 5000 } },
      { dataDir: d, lookup: dns },
    );
    try {
      const { body } = await other.graphql(`{ thread(id: "${toGlobalId("Thread", "local", 1)}") { posts(first: 1) { nodes { citations { status error article { title } } } } } }`);
      expect(body.errors).toBeUndefined();
      const [ok, internal, gone] = body.data.thread.posts.nodes[0].citations;
      expect(ok).toMatchObject({ status: "RESOLVED", article: { title: "Story 1" } });
      expect(internal).toMatchObject({ status: "BLOCKED", article: null });
      expect(internal.error).toMatch(/private|refused/);
      expect(gone).toMatchObject({ status: "FAILED", article: null });
      expect(victimConnections).toBe(0);
    } finally {
      await other.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("merging a page into a feed's article", () => {
  it("a page declaring a feed article's canonical URL fills only the gaps, with provenance per field", async () => {
    const feedServer = await startFixtureServer({ host: "127.0.0.2" });
    const d = mkdtempSync(path.join(tmpdir(), "crosswire-unfurl-merge-"));
    await writeThreadWithBodies(path.join(d, "forum.db"), ["<p>no links</p>"]);
    const port = feedServer.host.split(":")[1];
    feedServer.serveFile("/rss.xml", path.resolve("test/fixtures/rss/rss2-basic.xml"), { "content-type": "application/rss+xml" });
    feedServer.route("/amp/harbour-crane", {
      headers: { "content-type": "text/html" },
      body: page("A page title that must not win", `<link rel="canonical" href="https://news.fixture.example/2026/11/20/harbour-crane?utm_source=amp"><meta property="og:image" content="https://img.fixture.example/crane.jpg">`),
    });
    const g = await startTestGateway(
      {
        forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowAddresses: ["127.0.0.2"] },
        unfurl: { waitMs: 5000 }, adminToken: "merge-test-admin-token",
        sources: [{ id: "fx", name: "Fixture", url: `http://127.0.0.2:${port}/rss.xml` }],
      },
      { dataDir: d, lookup: dns },
    );
    try {
      const refresh = await g.graphql("mutation { refreshAllSources { health { status } } }", undefined, { authorization: "Bearer merge-test-admin-token" });
      expect(refresh.body.data.refreshAllSources[0].health.status).toBe("OK");
      // A page on another site claiming the feed article's canonical URL is not believed: it stays its own Article.
      const foreign = await g.graphql(`query ($url: String!) { unfurl(url: $url) { canonicalUrl title } }`, {
        url: `http://public.test:${port}/amp/harbour-crane`,
      });
      expect(foreign.body.data.unfurl.canonicalUrl).toBe(`http://public.test:${port}/amp/harbour-crane`);
      expect(foreign.body.data.unfurl.title).toBe("A page title that must not win");
      // The outlet's own AMP page is believed, and merges into the feed's Article.
      const { body } = await g.graphql(`query ($url: String!) { unfurl(url: $url) { canonicalUrl title imageUrl sources { slug } provenance { field origin } } }`, {
        url: `http://news.fixture.example:${port}/amp/harbour-crane`,
      });
      expect(body.errors).toBeUndefined();
      const article = body.data.unfurl;
      expect(article.canonicalUrl).toBe("https://news.fixture.example/2026/11/20/harbour-crane");
      expect(article.title).toMatch(/crane/i);
      expect(article.title).not.toContain("must not win");
      expect(article.imageUrl).toBe("https://img.fixture.example/crane.jpg");
      expect(article.sources).toEqual([{ slug: "fx" }]);
      const origin = Object.fromEntries(article.provenance.map((p: any) => [p.field, p.origin]));
      expect(origin).toMatchObject({ title: "FEED", imageUrl: "PAGE" });
      const count = await g.graphql(`{ articles(first: 10) { totalCount } }`);
      // The feed's 3; the AMP page merged into one of them; the foreign page, unfurled by a client only (no feed
      // carried it, no post cited it), is not published (issue 18 item 3), though unfurl answered with it.
      expect(count.body.data.articles.totalCount).toBe(3);
    } finally {
      await g.close();
      await feedServer.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("unfurl cache", () => {
  it("serves a stale entry at once and refreshes it in the background; a fresh one costs no fetch", async () => {
    const { createUrlSource } = await import("../../sources/url/index.js");
    const { default: Keyv } = await import("keyv");
    const { createFetcher } = await import("../../src/net/index.js");
    const pino = (await import("pino")).default;
    const server = await startFixtureServer();
    let version = 1;
    server.route("/p", (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(page(`Version ${version}`));
    });
    let clock = Date.parse("2026-11-25T00:00:00Z");
    const stored: Record<string, string | null> = {};
    const source = createUrlSource({
      fetcher: createFetcher({ allowPrivateNetworks: true }),
      articles: { async mergePage(key, p) { stored[key] = p.title; } },
      keyv: new Keyv(),
      logger: pino({ level: "silent" }),
      ttlMs: 60_000, staleMs: 600_000, negativeTtlMs: 10_000, maxBytes: 100_000,
      now: () => new Date(clock),
    });
    try {
      const url = server.url("/p");
      expect((await source.unfurl(url)).status).toBe("RESOLVED");
      expect(server.hits("/p")).toBe(1);
      clock += 30_000; // still fresh
      await source.unfurl(url);
      expect(server.hits("/p")).toBe(1);
      version = 2;
      clock += 60_000; // stale: answered from cache, refreshed behind
      const stale = await source.unfurl(url);
      expect(stale.status).toBe("RESOLVED");
      await source.settle();
      expect(server.hits("/p")).toBe(2);
      expect(Object.values(stored)).toContain("Version 2");
    } finally {
      await server.close();
    }
  });
});
