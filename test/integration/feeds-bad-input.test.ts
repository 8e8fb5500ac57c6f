import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureHandler, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * "Bad input gets a clear error and loses nothing": one real gateway polls one source `fx` on a real fixture
 * server (127.0.0.1 only). The route behind it is switched to each kind of bad answer in turn; every time the
 * admin refresh must answer normally, the source's health must say what went wrong in words, and the articles
 * stored before must all still be there.
 */
const ADMIN = "test-admin-token-bad-input-0123456789";
const fixture = (name: string) => fromRoot("test", "fixtures", "rss", name);
const RSS = { "content-type": "application/rss+xml; charset=utf-8" };
const FX = toGlobalId("Source", "fx", "fx");

const admin = async (gw: TestGateway, query: string, variables?: Record<string, unknown>) =>
  (await gw.graphql(query, variables, { authorization: `Bearer ${ADMIN}` })).body;

const refresh = (gw: TestGateway, id = FX) =>
  admin(gw, `mutation ($id: ID!) { refreshSource(id: $id) { slug health { status lastError itemCount consecutiveFailures lastSuccessAt } } }`, { id });

async function articles(gw: TestGateway): Promise<{ totalCount: number; nodes: Array<{ title: string | null; url: string | null; publishedAt: string | null; summaryText: string | null }> }> {
  const { body } = await gw.graphql(
    `query ($id: ID!) { source(id: $id) { articles(first: 100) { totalCount nodes { title url publishedAt summaryText } } } }`,
    { id: FX },
  );
  expect(body.errors).toBeUndefined();
  return body.data.source.articles;
}

async function article(gw: TestGateway, url: string) {
  const { body } = await gw.graphql(`query ($url: String!) { article(url: $url) { title publishedAt updatedAt } }`, { url });
  expect(body.errors).toBeUndefined();
  return body.data.article as { title: string | null; publishedAt: string | null; updatedAt: string | null } | null;
}

/**
 * A well-formed RSS 2.0 document of at least `bytes` bytes, `perItem` bytes of description per item. Written
 * straight into one Buffer: no 20 MB of strings left for the garbage collector to pause the main thread over.
 */
function generatedFeed(bytes: number, perItem = 400): Buffer {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Generated</title><link>https://big.fixture.example/</link>\n`;
  const tail = "</channel></rss>\n";
  const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(Math.ceil(perItem / 57)).slice(0, perItem);
  const out = Buffer.allocUnsafe(bytes + perItem + 4096);
  let offset = out.write(head);
  for (let i = 0; offset < bytes; i++) {
    offset += out.write(
      `<item><title>Generated story ${i}</title><link>https://big.fixture.example/2026/11/${i}</link>` +
        `<guid isPermaLink="false">big-${i}</guid><pubDate>Fri, 20 Nov 2026 07:40:00 GMT</pubDate><description>${filler}</description></item>\n`,
      offset,
    );
  }
  offset += out.write(tail, offset);
  return out.subarray(0, offset);
}

describe("bad input gets a clear error and loses nothing", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  let feedUrl: string;
  let baseline: { titles: string[]; urls: string[] };
  let failures = 0;
  const hostname = existsSync("/etc/hostname") ? readFileSync("/etc/hostname", "utf8").trim() : "";

  beforeAll(async () => {
    server = await startFixtureServer();
    feedUrl = server.url("/feed");
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false, maxFeedBytes: 64 * 1024 },
      net: { allowPrivateNetworks: true, timeoutMs: 500 },
      adminToken: ADMIN,
      sources: [{ id: "fx", name: "Fixture feed", url: feedUrl }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("stores the 3 articles of a good feed first", async () => {
    server.serveFile("/feed", fixture("rss2-basic.xml"), RSS);
    const res = await refresh(gw);
    expect(res.errors).toBeUndefined();
    expect(res.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 3, consecutiveFailures: 0, lastError: null });
    const stored = await articles(gw);
    expect(stored.totalCount).toBe(3);
    baseline = { titles: stored.nodes.map((n) => n.title!), urls: stored.nodes.map((n) => n.url!) };
    expect(baseline.titles).toEqual(["Harbour crane toppled by gale", "Council approves new ferry timetable", "Library reopens after renovation"]);
  });

  const oneMegabyteFeed = generatedFeed(1024 * 1024);
  const badCases: Array<{ name: string; route: () => FixtureHandler | string; error: () => RegExp }> = [
    {
      name: "malformed XML",
      route: () => fixture("malformed.xml"),
      error: () => /^the feed is not well-formed XML \(Unexpected close tag at line 11\) \(at /,
    },
    {
      name: "an HTML page served as the feed",
      route: () => ({ status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: readFileSync(fixture("html-page.html")) }),
      error: () => /^the address returned an HTML page, not a feed \(is it the site's homepage\?\) \(at /,
    },
    {
      name: "an empty body",
      route: () => ({ status: 200, headers: RSS, body: "" }),
      error: () => /^the address returned an empty response, not a feed \(at /,
    },
    {
      name: "404",
      route: () => ({ status: 404, headers: { "content-type": "text/plain" }, body: "not found" }),
      error: () => new RegExp(`^${escape(feedUrl)} answered HTTP 404 Not Found \\(at `),
    },
    {
      name: "500",
      route: () => ({ status: 500, headers: { "content-type": "text/plain" }, body: "oops" }),
      error: () => new RegExp(`^${escape(feedUrl)} answered HTTP 500 Internal Server Error \\(at `),
    },
    {
      name: "a server slower than net.timeoutMs",
      route: () => ({ status: 200, headers: RSS, body: readFileSync(fixture("rss2-basic.xml")), delayMs: 2000 }),
      error: () => new RegExp(`^gave up on ${escape(feedUrl)} after 500 ms \\(net\\.timeoutMs\\) \\(at `),
    },
    {
      name: "a 1 MB feed over news.maxFeedBytes (Content-Length given)",
      route: () => ({ status: 200, headers: RSS, body: oneMegabyteFeed }),
      error: () => new RegExp(`^the response from ${escape(feedUrl)} is larger than the limit of 65536 bytes \\(news\\.maxFeedBytes\\) \\(at `),
    },
    {
      name: "a 1 MB feed over news.maxFeedBytes (chunked, no Content-Length)",
      route: () => (_req, res) => {
        res.writeHead(200, RSS);
        for (let offset = 0; offset < oneMegabyteFeed.length; offset += 16 * 1024) res.write(oneMegabyteFeed.subarray(offset, offset + 16 * 1024));
        res.end();
      },
      error: () => new RegExp(`^the response from ${escape(feedUrl)} is larger than the limit of 65536 bytes \\(news\\.maxFeedBytes\\) \\(at `),
    },
    {
      // Right after "malformed XML" as far as the parser is concerned (the cases between never reach it): before
      // the fix, the shared xml2js parser was left lenient by the malformed feed and this bomb was *stored*.
      name: "an XML entity bomb (billion laughs)",
      route: () => fixture("billion-laughs.xml"),
      error: () => /^the feed uses an XML entity that is not allowed \(entity expansion and external entities are refused\) at line 19 \(at /,
    },
    {
      name: "an external entity (XXE) naming /etc/hostname",
      route: () => fixture("xxe-file.xml"),
      error: () => /^the feed uses an XML entity that is not allowed \(entity expansion and external entities are refused\) at line 10 \(at /,
    },
    {
      name: "well-formed XML that is not a feed",
      route: () => fixture("not-a-feed.xml"),
      error: () => /^the document is XML but not an RSS or Atom feed \(at /,
    },
  ];

  /** Refreshes `fx` once and checks (a)–(d); returns lastError. */
  async function expectFailedRefreshLosingNothing(error: RegExp, options: { requests: number } = { requests: 1 }): Promise<string> {
    const hitsBefore = server.hits("/feed");
    const res = await refresh(gw);
    // (a) the mutation answers normally: a bad feed is the source's problem, not the request's
    expect(res.errors).toBeUndefined();
    expect(server.hits("/feed")).toBe(hitsBefore + options.requests);
    // (b) health says so, in words
    failures += 1;
    const health = res.data.refreshSource.health;
    expect(health.status).toBe(failures < 3 ? "DEGRADED" : "FAILING");
    expect(health.consecutiveFailures).toBe(failures);
    expect(health.lastError).toMatch(error);
    expect(health.lastError).toMatch(/ \(at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\); 3 stored articles kept$/);
    if (hostname) expect(health.lastError).not.toMatch(new RegExp(`\\b${escape(hostname)}\\b`));
    expect(health.itemCount).toBe(3);
    expect(health.lastSuccessAt).not.toBeNull();
    // the same through a plain query
    const { body } = await gw.graphql(`query ($id: ID!) { source(id: $id) { health { status lastError consecutiveFailures } } }`, { id: FX });
    expect(body.data.source.health).toEqual({ status: health.status, lastError: health.lastError, consecutiveFailures: failures });
    // (c) nothing lost, nothing added
    const stored = await articles(gw);
    expect(stored.totalCount).toBe(3);
    expect(stored.nodes.map((n) => n.title)).toEqual(baseline.titles);
    expect(stored.nodes.map((n) => n.url)).toEqual(baseline.urls);
    expect(await article(gw, "https://news.fixture.example/2026/11/19/ferry-timetable")).toMatchObject({
      title: "Council approves new ferry timetable",
      publishedAt: "2026-11-19T12:15:00.000Z",
    });
    // (d) ordinary queries still answer
    const sources = await gw.graphql(`{ sources { slug } }`);
    expect(sources.status).toBe(200);
    expect(sources.body).toEqual({ data: { sources: [{ slug: "fx" }] } });
    return health.lastError;
  }

  for (const bad of badCases) {
    it(`${bad.name}: a clear error, the 3 articles kept, the gateway still answering`, async () => {
      const route = bad.route();
      if (typeof route === "string") server.serveFile("/feed", route, RSS);
      else server.route("/feed", route);
      await expectFailedRefreshLosingNothing(bad.error());
    });
  }

  // Last of the failures: src/net then leaves the whole host (127.0.0.1, every port) alone until Retry-After has passed.
  it("429 with Retry-After: a clear error, the wait honoured, the 3 articles kept, the gateway still answering", async () => {
    server.route("/feed", { status: 429, headers: { "content-type": "text/plain", "retry-after": "1" }, body: "slow down" });
    const answeredAt = Date.now();
    await expectFailedRefreshLosingNothing(
      new RegExp(`^${escape(feedUrl)} answered HTTP 429 Too Many Requests; the server asked to wait 1 s before trying again \\(at `),
    );
    // asked again within the second: not sent at all, and said so
    const backoff = await expectFailedRefreshLosingNothing(/^not asking 127\.0\.0\.1:\d+ again before \d{2}:\d{2} UTC: it answered HTTP 429 \(at /, {
      requests: 0,
    });
    expect(backoff).not.toMatch(/asked to wait/);
    // let the Retry-After run out before the next tests poll the same host (a wait, not a speed assertion)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, answeredAt + 1_200 - Date.now())));
  });

  it("accepts duplicate guids as one article each, the corrected (newer) copy winning", async () => {
    server.serveFile("/feed", fixture("duplicate-guids.xml"), RSS);
    const res = await refresh(gw);
    expect(res.errors).toBeUndefined();
    expect(res.data.refreshSource.health).toMatchObject({
      status: "OK",
      consecutiveFailures: 0,
      itemCount: 5,
      lastError: "stored with warnings: 2 items repeated an earlier item's id or link",
    });
    expect(await article(gw, "https://news.fixture.example/2026/11/20/storm-warning")).toMatchObject({
      title: "Storm warning raised (corrected)",
      publishedAt: "2026-11-20T09:00:00.000Z",
    });
    expect(await article(gw, "https://news.fixture.example/2026/11/20/ferry-fares")).toMatchObject({
      title: "Ferry fares frozen (update)",
      publishedAt: "2026-11-20T08:30:00.000Z",
    });
    const stored = await articles(gw);
    expect(stored.totalCount).toBe(5);
    expect(stored.nodes.filter((n) => /storm warning/i.test(n.title ?? ""))).toHaveLength(1);
    expect(stored.nodes.filter((n) => /ferry fares/i.test(n.title ?? ""))).toHaveLength(1);
  });

  it("stores items without guid or link (by a hash of their content), and a second identical poll adds nothing", async () => {
    server.serveFile("/feed", fixture("no-guid-no-link.xml"), RSS);
    const first = await refresh(gw);
    expect(first.errors).toBeUndefined();
    expect(first.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 8, lastError: null });
    const stored = await articles(gw);
    expect(stored.totalCount).toBe(8);
    const linkless = stored.nodes.filter((n) => n.url === null);
    expect(linkless.map((n) => n.title).sort()).toEqual([null, "Title and description only (1)", "Title and description only (2)"].sort());
    expect(linkless.find((n) => n.title === null)!.summaryText).toBe("Only a description: no title, guid, link or date.");

    const second = await refresh(gw);
    expect(second.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 8 });
    const again = await articles(gw);
    expect(again.totalCount).toBe(8);
    expect(again.nodes.filter((n) => n.url === null)).toHaveLength(3);
  });

  it("stores odd dates as parsed, and lists the items that have none", async () => {
    server.serveFile("/feed", fixture("odd-dates.xml"), RSS);
    const res = await refresh(gw);
    expect(res.errors).toBeUndefined();
    expect(res.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 15, lastError: null });
    const expected = [
      "2026-11-20T12:40:00.000Z", // Thu, 20 Nov 2026 07:40:00 EST
      "2026-11-20T07:40:00.000Z", // 2026-11-20T07:40:00 (no zone: UTC)
      "2026-11-20T00:00:00.000Z", // 2026-11-20
      "2026-11-20T06:40:00.000Z", // 20 Nov 2026 07:40 +0100
      "2026-11-20T07:40:00.000Z", // Thursday, 20-Nov-26 07:40:00 GMT
      null, // <pubDate/>
      null, // no pubDate
    ];
    for (const [i, publishedAt] of expected.entries()) {
      expect(await article(gw, `https://news.fixture.example/2026/11/20/odd-date-${i + 1}`), `odd-date-${i + 1}`).toMatchObject({ publishedAt });
    }
    const stored = await articles(gw);
    expect(stored.totalCount).toBe(15);
    const titles = stored.nodes.map((n) => n.title ?? "");
    expect(titles.filter((t) => t.startsWith("Odd date "))).toHaveLength(7);
    expect(stored.nodes.filter((n) => /^Odd date [67]:/.test(n.title ?? "")).map((n) => n.publishedAt)).toEqual([null, null]);
  });

  it("after all of it, the first 3 articles are intact", async () => {
    const stored = await articles(gw);
    for (const [i, url] of baseline.urls.entries()) {
      expect(stored.nodes.find((n) => n.url === url)?.title).toBe(baseline.titles[i]);
    }
    expect(await article(gw, "https://news.fixture.example/2026/11/20/harbour-crane")).toEqual({
      title: "Harbour crane toppled by gale",
      publishedAt: "2026-11-20T07:40:00.000Z",
      updatedAt: null,
    });
    expect(await article(gw, "https://news.fixture.example/2026/11/18/library-reopens")).toEqual({
      title: "Library reopens after renovation",
      publishedAt: "2026-11-18T09:00:00.000Z",
      updatedAt: null,
    });
  });

  it("parses a 20 MB feed off the main thread: the event loop keeps ticking and queries are answered while it parses", async () => {
    const big = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false, maxFeedBytes: 64 * 1024 * 1024 },
      net: { allowPrivateNetworks: true, timeoutMs: 60_000 },
      adminToken: ADMIN,
      sources: [{ id: "big", name: "Big feed", url: server.url("/big") }],
    });
    try {
      const body = generatedFeed(20 * 1024 * 1024, 330);
      expect(body.length).toBeGreaterThanOrEqual(20 * 1024 * 1024);
      expect(body.length).toBeLessThan(64 * 1024 * 1024); // under this gateway's news.maxFeedBytes
      server.route("/big", { status: 200, headers: RSS, body });

      // The parse window, as the main thread sees it: from handing the bytes to the pool to getting items back.
      // A GraphQL query is sent the moment the parse has been handed over.
      const pool = big.gateway.news.parser;
      const parsesBefore = pool.tasksRun;
      const run = pool.run.bind(pool);
      const parse = { start: 0, end: 0 };
      let query: Promise<{ body: any; at: number }> | undefined;
      pool.run = async (input, transfer) => {
        parse.start = performance.now();
        const pending = run(input, transfer);
        query = big.graphql(`{ sources { slug } }`).then(({ body }) => ({ body, at: performance.now() }));
        try {
          return await pending;
        } finally {
          parse.end = performance.now();
        }
      };

      const ticks: number[] = [];
      const ticker = setInterval(() => ticks.push(performance.now()), 10);
      let result: any;
      try {
        result = await refresh(big, toGlobalId("Source", "big", "big"));
      } finally {
        clearInterval(ticker);
      }

      // the refresh really parsed the whole feed (and kept the capped number of items)
      expect(result.errors).toBeUndefined();
      expect(result.data.refreshSource.health).toMatchObject({ status: "OK", itemCount: 2000 });
      expect(result.data.refreshSource.health.lastError).toMatch(/^stored with warnings: the feed has \d{5} items; only the first 2000 were read$/);
      expect(pool.tasksRun).toBe(parsesBefore + 1);
      expect(parse.end).toBeGreaterThan(parse.start);

      // While the worker parsed, the main thread kept running timers (a 20 MB parse on it stalls the loop for
      // over a second: no tick at all, one huge gap)...
      const during = [parse.start, ...ticks.filter((t) => t > parse.start && t < parse.end), parse.end];
      const longestGap = Math.max(...during.slice(1).map((t, i) => t - during[i]!));
      const stats = `${during.length - 2} ticks in a ${Math.round(parse.end - parse.start)} ms parse, longest gap ${Math.round(longestGap)} ms; ${ticks.length} ticks in the whole refresh`;
      if (process.env.CROSSWIRE_TEST_VERBOSE) console.log(`20 MB refresh: ${stats}`);
      expect(during.length - 2, stats).toBeGreaterThanOrEqual(10);
      expect(longestGap, stats).toBeLessThan(500);
      expect(ticks.length, stats).toBeGreaterThanOrEqual(20);
      // ...and answered GraphQL before the parse was done.
      const answered = await query!;
      expect(answered.body).toEqual({ data: { sources: [{ slug: "big" }] } });
      expect(answered.at, stats).toBeLessThan(parse.end);
    } finally {
      await big.close();
    }
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
