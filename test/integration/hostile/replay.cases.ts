import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import net, { type LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { toGlobalId } from "../../../src/model/ids.js";
import { fromRoot } from "../../../src/paths.js";
import { fakeDns } from "../../helpers/fake-dns.js";
import { startFixtureServer, type FixtureServer } from "../../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";
import { HOSTILE_STRINGS } from "./arguments.cases.js";
import { ADMIN, admin, expectNoLeak, query, type Answer } from "./world.js";

/**
 * The hostile feeds and pages of the feeds and URL issues, replayed all at once. The "public internet" is a
 * fixture server on 127.0.0.2 (the only private address the gateway may reach, `net.allowAddresses`) behind
 * a lying DNS; a victim server on 127.0.0.1 counts every connection it gets (any one is an SSRF). A source
 * `good` is polled once while its feed is good; then every route turns hostile and 50 GraphQL requests (admin
 * refreshes, unfurls, citation queries, reads) run concurrently. The process must stay up, every answer must
 * be well-formed with a documented code, and `good`'s articles must be intact.
 */

const RSS = { "content-type": "application/rss+xml; charset=utf-8" };
const HTML = { "content-type": "text/html; charset=utf-8" };
const rssFixture = (name: string) => fromRoot("test", "fixtures", "rss", name);
const urlFixture = (name: string) => fromRoot("test", "fixtures", "url", name);

const FIXTURE_FEEDS: ReadonlyArray<[string, string, Record<string, string>]> = [
  ["malformed", "malformed.xml", RSS],
  ["billion-laughs", "billion-laughs.xml", RSS],
  ["xxe", "xxe-file.xml", RSS],
  ["not-a-feed", "not-a-feed.xml", RSS],
  ["html-page", "html-page.html", HTML],
  ["empty", "empty.xml", RSS],
  ["proto-keys", "proto-keys.xml", RSS],
  ["snippet-script", "snippet-entity-script.xml", RSS],
  ["atom-bad-date", "atom-one-bad-published-date.xml", { "content-type": "application/atom+xml" }],
  ["duplicate-guids", "duplicate-guids.xml", RSS],
  ["odd-dates", "odd-dates.xml", RSS],
  ["windows-1252", "windows-1252-declared.xml", { "content-type": "application/rss+xml" }],
  ["no-guid-no-link", "no-guid-no-link.xml", RSS],
];
const GENERATED_FEEDS = ["oversize", "gzip-bomb", "drip", "slow-headers", "loop", "to-victim", "to-evil", "status-404", "status-500", "huge-item", "links-to-victim", "bad-encoding", "truncated-gzip"];
const PAGES = readdirSync(fromRoot("test", "fixtures", "url")).filter((f) => f.endsWith(".html"));
const HOSTILE_PAGES = ["huge", "gzip-bomb", "drip", "slow-headers", "loop-a", "to-victim", "to-evil", "to-metadata", "gone", "pdf", "deep-html", "og-to-victim", "script-title", "bad-encoding"];

export interface ReplayWorld {
  gw: TestGateway;
  web: FixtureServer;
  victim: net.Server;
  victimConnections: () => number;
  victimPort: number;
  dir: string;
  at: (p: string) => string;
  baseline: Array<{ title: string; url: string; publishedAt: string; summaryText: string }>;
}

export const replay = {} as ReplayWorld;

function rssDocument(items: Array<{ title: string; link?: string; guid: string; description?: string }>): string {
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Q</title><link>https://news.fixture.example/</link><description>q</description>${items
    .map((i) => `<item><title>${escape(i.title)}</title>${i.link ? `<link>${escape(i.link)}</link>` : ""}<guid isPermaLink="false">${i.guid}</guid><pubDate>Fri, 20 Nov 2026 07:40:00 GMT</pubDate><description>${escape(i.description ?? "d")}</description></item>`)
    .join("")}</channel></rss>`;
}

export const LONG_URL = `https://news.fixture.example/long/${"a".repeat(600)}`;
export const ENCODED_URL = "https://news.fixture.example/q?x=%26utm_source%3Dfeed";
export const PLAIN_URL = "https://news.fixture.example/plain-story";

export async function startReplayWorld(): Promise<void> {
  const web = await startFixtureServer({ host: "127.0.0.2" });
  let connections = 0;
  const victim = net.createServer((socket) => {
    connections += 1;
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 40\r\n\r\n<title>victim internal secret</title>");
  });
  await new Promise<void>((r) => victim.listen(0, "127.0.0.1", r));
  const victimPort = (victim.address() as net.AddressInfo).port;
  const port = web.host.split(":")[1];
  // Every feed and page gets a host name of its own (feed-<id>.test, page-<name>.test, all 127.0.0.2): the
  // gateway's per-host circuit breaker would otherwise open after five hostile answers and stop the rest of
  // the replay from reaching the parsers at all.
  const hostOf = (p: string) => {
    const m = /^\/(feeds|pages)\/([^/?#]+)/.exec(p);
    return m ? `${m[1] === "feeds" ? "feed" : "page"}-${m[2]!.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.test` : "public.test";
  };
  const at = (p: string) => `http://${hostOf(p)}:${port}${p}`;
  const fake = fakeDns({ "public.test": "127.0.0.2", "evil.test": "127.0.0.1", "meta.test": "169.254.169.254", "rebind.test": ["127.0.0.2", "127.0.0.1"] });
  const dns = ((hostname: string, options: unknown, callback: unknown) =>
    (fake as (...args: unknown[]) => void)(/^(feed|page)-[a-z0-9-]+\.test$/.test(hostname) ? "public.test" : hostname, options, callback)) as unknown as LookupFunction;

  // feeds
  web.serveFile("/feeds/good", rssFixture("rss2-basic.xml"), RSS);
  for (const [id, file, headers] of FIXTURE_FEEDS) web.serveFile(`/feeds/${id}`, rssFixture(file), headers);
  const big = rssDocument(Array.from({ length: 2000 }, (_, i) => ({ title: `Big ${i}`, link: `https://big.fixture.example/${i}`, guid: `big-${i}`, description: "y".repeat(400) })));
  web.route("/feeds/oversize", { headers: RSS, body: big });
  web.route("/feeds/gzip-bomb", { headers: { ...RSS, "content-encoding": "gzip" }, body: zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024)) });
  web.route("/feeds/truncated-gzip", { headers: { ...RSS, "content-encoding": "gzip" }, body: zlib.gzipSync(Buffer.from(big)).subarray(0, 4000) });
  const drip = (headers: Record<string, string>) => (_req: unknown, res: import("node:http").ServerResponse) => {
    res.writeHead(200, headers);
    const timer = setInterval(() => res.write("<"), 100);
    res.on("close", () => clearInterval(timer));
  };
  web.route("/feeds/drip", drip(RSS));
  web.route("/feeds/slow-headers", { headers: RSS, body: "<rss/>", delayMs: 5_000 });
  web.route("/feeds/loop", { status: 302, headers: { location: "/feeds/loop" } });
  web.route("/feeds/to-victim", { status: 302, headers: { location: `http://127.0.0.1:${victimPort}/feed` } });
  web.route("/feeds/to-evil", { status: 301, headers: { location: `http://evil.test:${victimPort}/feed` } });
  web.route("/feeds/status-404", { status: 404, headers: { "content-type": "text/html" }, body: "<h1>not found</h1>" });
  web.route("/feeds/status-500", { status: 500, headers: { "content-type": "text/plain" }, body: "stack trace: at /srv/app.js:1" });
  web.route("/feeds/huge-item", { headers: RSS, body: rssDocument([{ title: "T".repeat(200_000), link: "https://news.fixture.example/huge-title", guid: "huge" }]) });
  web.route("/feeds/links-to-victim", {
    headers: RSS,
    body: rssDocument([
      { title: "internal", link: `http://127.0.0.1:${victimPort}/admin`, guid: "v1", description: `<img src="http://127.0.0.1:${victimPort}/img"><a href="http://evil.test:${victimPort}/">x</a>` },
      { title: "metadata", link: "http://169.254.169.254/latest/meta-data/", guid: "v2" },
      { title: "script", link: "javascript:alert(1)", guid: "v3", description: `<script>alert(1)</script><img src=x onerror=alert(1)>` },
    ]),
  });
  web.route("/feeds/bad-encoding", { headers: { "content-type": "application/rss+xml; charset=x-no-such-charset" }, body: Buffer.from([0x3c, 0x72, 0x73, 0x73, 0xff, 0xfe, 0x00, 0x80, 0x3e]) });
  web.route("/feeds/quirks", {
    headers: RSS,
    body: rssDocument([
      { title: "Plain story", link: PLAIN_URL, guid: "q1" },
      { title: "Long URL story", link: LONG_URL, guid: "q2" },
      { title: "Encoded separator story", link: ENCODED_URL, guid: "q3" },
    ]),
  });

  // pages
  for (const page of PAGES) web.serveFile(`/pages/${page}`, urlFixture(page), page.startsWith("windows-1252") ? { "content-type": "text/html" } : HTML);
  web.route("/pages/huge", (_req, res) => {
    res.writeHead(200, HTML);
    const chunk = Buffer.alloc(64 * 1024, 120);
    let sent = 0;
    const write = () => {
      while (sent < 8 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (sent < 8 * 1024 * 1024) res.once("drain", write);
      else res.end();
    };
    res.on("error", () => {});
    write();
  });
  web.route("/pages/gzip-bomb", { headers: { ...HTML, "content-encoding": "gzip" }, body: zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024)) });
  web.route("/pages/drip", drip(HTML));
  web.route("/pages/slow-headers", { headers: HTML, body: "<title>late</title>", delayMs: 5_000 });
  web.route("/pages/loop-a", { status: 302, headers: { location: "/pages/loop-b" } });
  web.route("/pages/loop-b", { status: 302, headers: { location: "/pages/loop-a" } });
  web.route("/pages/to-victim", { status: 302, headers: { location: `http://127.0.0.1:${victimPort}/admin` } });
  web.route("/pages/to-evil", { status: 307, headers: { location: `http://evil.test:${victimPort}/` } });
  web.route("/pages/to-metadata", { status: 302, headers: { location: "http://meta.test/latest/meta-data/" } });
  web.route("/pages/gone", { status: 404, headers: HTML, body: "<title>Page not found</title><meta property=og:title content='Not found'>" });
  web.route("/pages/pdf", { headers: { "content-type": "application/pdf", "content-length": String(50 * 1024 * 1024) }, body: Buffer.alloc(1024) });
  web.route("/pages/deep-html", { headers: HTML, body: `<html><head><title>Deep</title></head><body>${"<div>".repeat(190_000)}</body></html>` });
  web.route("/pages/og-to-victim", {
    headers: HTML,
    body: `<html><head><title>OG victim</title><meta property="og:image" content="http://127.0.0.1:${victimPort}/x.png"><link rel="alternate" type="application/json+oembed" href="http://127.0.0.1:${victimPort}/oembed"><link rel="icon" href="http://127.0.0.1:${victimPort}/favicon.ico"></head></html>`,
  });
  web.route("/pages/script-title", { headers: HTML, body: `<html><head><meta property="og:title" content="<script>alert(1)</script>Title"><meta property="og:description" content="<img src=x onerror=alert(1)>"><meta property="og:image" content="javascript:alert(1)"></head></html>` });
  web.route("/pages/bad-encoding", { headers: { "content-type": "text/html; charset=x-unknown" }, body: Buffer.from([0x3c, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3e, 0xff, 0xfe, 0x80, 0x00]) });

  // a forum thread whose posts cite every page, good and hostile, and the victim directly
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-hostile-replay-"));
  await writeThreadWithBodies(path.join(dir, "forum.db"), [
    ...PAGES.map((p) => `<p>See <a href="${at(`/pages/${p}`)}">${p}</a></p>`),
    ...HOSTILE_PAGES.map((p) => `<p>Hostile <a href="${at(`/pages/${p}`)}">${p}</a> ${at(`/pages/${p}?utm_source=x`)}</p>`),
    `<p><a href="http://127.0.0.1:${victimPort}/">internal</a> <a href="http://rebind.test:${victimPort}/">rebind</a> <a href="javascript:alert(1)">js</a></p>`,
  ]);

  const gw = await startTestGateway(
    {
      forum: { seedDemo: false },
      adminToken: ADMIN,
      news: { demoFeeds: false, poll: false, maxFeedBytes: 256 * 1024, parseTimeoutMs: 5_000 },
      net: { allowAddresses: ["127.0.0.2"], timeoutMs: 1_500, connectTimeoutMs: 1_000, perHostConcurrency: 16, globalConcurrency: 64 },
      unfurl: { enabled: true, waitMs: 3_000, maxBytes: 256 * 1024, negativeTtlSeconds: 10 },
      sources: [
        { id: "good", name: "Good feed", url: at("/feeds/good") },
        { id: "quirks", name: "Quirky but valid feed", url: at("/feeds/quirks") },
        ...[...FIXTURE_FEEDS.map(([id]) => id), ...GENERATED_FEEDS].map((id) => ({ id, name: `Hostile ${id}`, url: at(`/feeds/${id}`) })),
      ],
    },
    { dataDir: dir, lookup: dns },
  );
  Object.assign(replay, { gw, web, victim, victimConnections: () => connections, victimPort, dir, at });
}

export async function stopReplayWorld(): Promise<void> {
  await replay.gw?.close();
  await replay.web?.close();
  await new Promise((r) => (replay.victim ? replay.victim.close(r) : r(undefined)));
  if (replay.dir) rmSync(replay.dir, { recursive: true, force: true });
}

async function goodArticles(): Promise<ReplayWorld["baseline"]> {
  const { body } = await replay.gw.graphql(
    `{ source(id: "${toGlobalId("Source", "good", "good")}") { health { itemCount } articles(first: 50) { totalCount nodes { title url publishedAt summaryText } } } }`,
  );
  expect(body.errors).toBeUndefined();
  expect(body.data.source.articles.totalCount).toBe(body.data.source.health.itemCount);
  return body.data.source.articles.nodes;
}

/** Warm-up before the memory baseline: one good poll (this is the "earlier good poll"), one unfurl, one thread query. */
export async function warmUpReplayWorld(): Promise<void> {
  const refreshed = await admin(replay.gw, `mutation { refreshSource(id: "${toGlobalId("Source", "good", "good")}") { health { status itemCount } } }`);
  expect(refreshed.json.data.refreshSource.health).toEqual({ status: "OK", itemCount: 3 });
  replay.baseline = await goodArticles();
  expect(replay.baseline.map((a) => a.title)).toEqual(["Harbour crane toppled by gale", "Council approves new ferry timetable", "Library reopens after renovation"]);
  const unfurled = await query(replay.gw, "query ($u: String!) { unfurl(url: $u) { title } }", { u: replay.at("/pages/title-only.html") });
  expect(unfurled.json.errors).toBeUndefined();
}

const ALLOWED_FIELD_CODES = new Set(["UNFURL_FAILED", "UNFURL_BLOCKED", "BAD_USER_INPUT"]);

function expectWellFormed(answer: Answer, label: string): void {
  expect(answer.status, `${label}: ${answer.text.slice(0, 200)}`).toBe(200);
  expect(answer.json, label).toBeTypeOf("object");
  expect("data" in answer.json || "errors" in answer.json, label).toBe(true);
  for (const error of answer.json.errors ?? []) {
    expect(ALLOWED_FIELD_CODES.has(error.extensions?.code), `${label}: ${JSON.stringify(error).slice(0, 300)}`).toBe(true);
    expect(typeof error.message).toBe("string");
  }
  expectNoLeak(answer);
  expect(answer.text).not.toContain("victim internal secret");
}

export function replayCases(): void {
  describe("hostile feeds and pages replayed under 50 concurrent requests", () => {
    it("the storm: 50 concurrent admin refreshes, unfurls and citation queries all answer well-formed; the process stays up", async () => {
      const { gw, at } = replay;
      // the good source turns hostile too: its stored articles must survive every failed poll
      replay.web.serveFile("/feeds/good", rssFixture("billion-laughs.xml"), RSS);
      const hostileSources = [...FIXTURE_FEEDS.map(([id]) => id), ...GENERATED_FEEDS];
      const refresh = (id: string) => admin(gw, `mutation ($id: ID!) { refreshSource(id: $id) { slug health { status lastError itemCount } } }`, { id: toGlobalId("Source", id, id) });
      const unfurl = (url: string) => query(gw, "query ($u: String!) { unfurl(url: $u) { title canonicalUrl summary imageUrl } }", { u: url });
      const thread = () => query(gw, `{ thread(id: "${toGlobalId("Thread", "local", 1)}") { posts(first: 50) { nodes { citations { url status error article { title } } } } } }`);
      const jobs: Array<[string, () => Promise<Answer>]> = [
        ...hostileSources.map((id) => [`refresh ${id}`, () => refresh(id)] as [string, () => Promise<Answer>]),
        ["refresh good", () => refresh("good")],
        ["refreshAllSources", () => admin(gw, "mutation { refreshAllSources { slug health { status } } }")],
        ...HOSTILE_PAGES.map((p) => [`unfurl ${p}`, () => unfurl(at(`/pages/${p}`))] as [string, () => Promise<Answer>]),
        ...["og-basic.html", "json-ld-graph.html"].map((p) => [`unfurl ${p}`, () => unfurl(at(`/pages/${p}`))] as [string, () => Promise<Answer>]),
        [`unfurl victim`, () => unfurl(`http://127.0.0.1:${replay.victimPort}/`)],
        [`unfurl rebind`, () => unfurl(`http://rebind.test:${replay.victimPort}/`)],
        ["thread 1", thread],
        ["thread 2", thread],
        ["articles", () => query(gw, "{ articles(first: 100) { totalCount nodes { title summary } } }")],
        ["river", () => query(gw, "{ river(first: 50) { totalCount } }")],
      ];
      expect(jobs).toHaveLength(50);

      const ticks: number[] = [];
      const ticker = setInterval(() => ticks.push(performance.now()), 20);
      const started = performance.now();
      const answers = await Promise.all(jobs.map(async ([label, run]) => [label, await run()] as const)).finally(() => clearInterval(ticker));
      const took = performance.now() - started;
      const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
      console.log(`storm: 50 concurrent requests answered in ${Math.round(took)} ms; longest event-loop gap ${Math.round(Math.max(...gaps))} ms`);

      for (const [label, answer] of answers) expectWellFormed(answer, label);
      // every refresh answered with the source and its health in words, never a request error
      for (const [label, answer] of answers.filter(([l]) => l.startsWith("refresh "))) {
        expect(answer.json.errors, label).toBeUndefined();
        expect(answer.json.data.refreshSource.health.status, label).toMatch(/^(OK|DEGRADED|FAILING)$/);
      }
      for (const id of ["malformed", "billion-laughs", "xxe", "oversize", "gzip-bomb", "drip", "loop", "to-victim", "status-500"]) {
        const [, answer] = answers.find(([l]) => l === `refresh ${id}`)!;
        expect(answer.json.data.refreshSource.health, id).toMatchObject({ status: "FAILING", itemCount: 0 });
        expect(answer.json.data.refreshSource.health.lastError, id).toMatch(/\w/);
        expect(answer.json.data.refreshSource.health.lastError, id).not.toMatch(/\/srv\/app\.js|victim internal secret/);
      }
      // the event loop kept ticking (no parse, bomb or regex stalled the main thread for long)
      expect(Math.max(...gaps), `storm took ${Math.round(took)} ms`).toBeLessThan(1_000);
      expect(took).toBeLessThan(20_000);
    }, 30_000);

    it("after the storm: no connection ever reached the victim on 127.0.0.1", () => {
      expect(replay.victimConnections()).toBe(0);
    });

    it("after the storm: the good source's 3 articles from the earlier good poll are intact, and its health says why it fails", async () => {
      expect(await goodArticles()).toEqual(replay.baseline);
      const { body } = await replay.gw.graphql(`{ source(id: "${toGlobalId("Source", "good", "good")}") { health { status itemCount lastSuccessAt lastError consecutiveFailures } } }`);
      expect(body.data.source.health).toMatchObject({ itemCount: 3 });
      expect(body.data.source.health.status).toMatch(/^(DEGRADED|FAILING)$/);
      expect(body.data.source.health.lastSuccessAt).not.toBeNull();
      expect(body.data.source.health.lastError).toMatch(/entity|XML/i);
      for (const url of replay.baseline.map((a) => a.url)) {
        const article = await query(replay.gw, "query ($u: String!) { article(url: $u) { title } }", { u: url });
        expect(article.json.data.article.title).toBe(replay.baseline.find((a) => a.url === url)!.title);
      }
    });

    it("after the storm: the process answers /healthz, /readyz and GraphQL, and Object.prototype is not polluted", async () => {
      expect((await fetch(`${replay.gw.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${replay.gw.url}/readyz`)).status).toBe(200);
      expect((await replay.gw.graphql("{ __typename }")).body).toEqual({ data: { __typename: "Query" } });
      const probe = {} as Record<string, unknown>;
      expect(probe.polluted).toBeUndefined();
      expect(probe.isAdmin).toBeUndefined();
      expect(Object.keys(Object.prototype)).toEqual([]);
    });

    it("after the storm: nothing executable was stored (summaries sanitized), error pages and blocked links stored nothing", async () => {
      const { body } = await replay.gw.graphql("{ articles(first: 100) { totalCount nodes { url canonicalUrl summary imageUrl } } }");
      expect(body.errors).toBeUndefined();
      for (const a of body.data.articles.nodes) {
        // escaped text such as `&lt;img onerror=…&gt;` is harmless; a live tag, handler or javascript: link is not
        expect(a.summary ?? "").not.toMatch(/<script|<[a-z][^>]*\son\w+\s*=|href\s*=\s*["']?\s*javascript:/i);
        expect(a.imageUrl ?? "").not.toMatch(/^(javascript|data):/i);
      }
      for (const url of [replay.at("/pages/gone"), `http://127.0.0.1:${replay.victimPort}/`, replay.at("/pages/to-victim"), replay.at("/pages/drip")]) {
        const article = await query(replay.gw, "query ($u: String!) { article(url: $u) { title } }", { u: url });
        expect(article.json.data.article, url).toBeNull();
      }
    });

    it("unicode and control characters in unfurl(url:) with unfurling on: a documented code or an article, never a fetch of the victim", async () => {
      for (const [label, value] of HOSTILE_STRINGS) {
        for (const url of [value, replay.at(`/pages/og-basic.html?q=${value}`), `http://127.0.0.1:${replay.victimPort}/${value}`, `http://evil.test:${replay.victimPort}/${value}`]) {
          const answer = await query(replay.gw, "query ($u: String!) { unfurl(url: $u) { title } }", { u: url });
          expectWellFormed(answer, `${label} ${url.slice(0, 60)}`);
        }
      }
      expect(replay.victimConnections()).toBe(0);
    });

    it("feed items linking to private addresses are stored as text and never fetched", async () => {
      const { body } = await replay.gw.graphql(`{ source(id: "${toGlobalId("Source", "links-to-victim", "links-to-victim")}") { articles(first: 10) { nodes { title url summary } } } }`);
      expect(body.errors).toBeUndefined();
      for (const a of body.data.source.articles.nodes) expect(a.summary ?? "").not.toMatch(/<script|<[a-z][^>]*\son\w+\s*=/i);
      expect(replay.victimConnections()).toBe(0);
    });

    describe("a quirky but valid feed (a long link, an encoded '&' in a query value)", () => {
      const quirks = toGlobalId("Source", "quirks", "quirks");
      async function stored(): Promise<Array<{ id: string; title: string; url: string; canonicalUrl: string }>> {
        const refreshed = await admin(replay.gw, `mutation { refreshSource(id: "${quirks}") { health { status itemCount lastError } } }`);
        expect(refreshed.json.data.refreshSource.health, JSON.stringify(refreshed.json)).toMatchObject({ status: "OK", itemCount: 3 });
        const { body } = await replay.gw.graphql(`{ source(id: "${quirks}") { articles(first: 10) { nodes { id title url canonicalUrl } } } }`);
        return body.data.source.articles.nodes;
      }

      it("control: a plain article refetches by its own id and by its own canonicalUrl", async () => {
        const plain = (await stored()).find((a) => a.title === "Plain story")!;
        expect((await query(replay.gw, "query ($id: ID!) { node(id: $id) { id } }", { id: plain.id })).json.data.node).toEqual({ id: plain.id });
        expect((await query(replay.gw, "query ($u: String!) { article(url: $u) { id } }", { u: plain.canonicalUrl! })).json.data.article).toEqual({ id: plain.id });
      });

      // MISBEHAVIOUR: parseGlobalId (src/model/ids.ts) refuses IDs over 512 characters, but Article IDs embed the
      // canonical URL (up to 4096 characters): the API hands out IDs that node(id:) then calls malformed.
      it("FIXED: an article with a 600-character link refetches by the id the API gave it", async () => {
        const long = (await stored()).find((a) => a.title === "Long URL story")!;
        expect(long.id.length).toBeGreaterThan(512);
        const answer = await query(replay.gw, "query ($id: ID!) { node(id: $id) { id } }", { id: long.id });
        expect(answer.json.errors).toBeUndefined();
        expect(answer.json.data.node).toEqual({ id: long.id });
      });

      // MISBEHAVIOUR: canonicalUrl (src/urls/index.ts) decodes the query after sorting it (normalize-url's
      // sortQueryParameters), so `x=%26utm_source%3Dfeed` becomes `x=&utm_source=feed`: the stored canonical URL
      // carries a tracking parameter and is not a fixed point, and article(url: canonicalUrl) misses the article.
      it("FIXED: an article whose link has %26 in a query value is found by its own canonicalUrl", async () => {
        const encoded = (await stored()).find((a) => a.title === "Encoded separator story")!;
        const answer = await query(replay.gw, "query ($u: String!) { article(url: $u) { id } }", { u: encoded.canonicalUrl });
        expect(answer.json.data.article).toEqual({ id: encoded.id });
      });

      it("FIXED: a stored canonical URL never carries a tracking parameter", async () => {
        for (const a of await stored()) expect(a.canonicalUrl, a.title).not.toMatch(/[?&](utm_\w+|fbclid|gclid)=/i);
      });
    });
  });
}
