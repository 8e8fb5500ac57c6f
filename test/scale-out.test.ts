import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixtureServer, type FixtureServer } from "./helpers/fixture-server.js";
import { startGatewayProcess, type GatewayProcess } from "./helpers/gateway.js";
import { startRedis, type TestRedis } from "./helpers/servers.js";

/**
 * Three gateway processes (the built CLI) sharing one redis-server, polling fixture feeds on 127.0.0.1.
 * The tests run in order on the same cluster: polls once per interval, identical answers, SIGKILL during a
 * poll, then Redis stopped and started again.
 */
const INTERVAL_S = 2;
const LEASE_TTL_MS = 1500;
const FEEDS = ["alpha", "beta", "gamma"];
const SLOW = "gamma";

let redis: TestRedis;
let web: FixtureServer;
const gateways: GatewayProcess[] = [];
/** Fetches per feed: arrival time and the fetching process (each process has its own User-Agent). */
const fetches = new Map<string, Array<{ at: number; agent: string }>>(FEEDS.map((f) => [f, []]));
let itemsPerFeed = 3;
/** When set, the next request for the slow feed hangs (a poll stays in flight until its process dies). */
let hangNextSlowFetch = false;

/** The shared stores of the cluster: the one place to switch the forum store to PostgreSQL. */
const stores = () => ({
  forum: { store: "sqlite" },
  cache: { store: "redis", redisUrl: redis.url, keyPrefix: "scale:", timeoutMs: 500, leaseTtlMs: LEASE_TTL_MS },
});

function rss(feed: string): string {
  const items = Array.from({ length: itemsPerFeed }, (_, i) =>
    `<item><title>${feed} story ${i + 1}</title><link>http://news.example/${feed}/${i + 1}</link><guid>${feed}-${i + 1}</guid>` +
    `<pubDate>${new Date(Date.UTC(2026, 10, 20, 8, i)).toUTCString()}</pubDate><description>About ${feed} ${i + 1}</description></item>`,
  ).join("");
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${feed}</title><link>http://news.example/</link>${items}</channel></rss>`;
}

function feedHandler(feed: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    fetches.get(feed)!.push({ at: Date.now(), agent: String(req.headers["user-agent"]) });
    if (feed === SLOW && hangNextSlowFetch) {
      hangNextSlowFetch = false;
      return; // never answered: the poll is in flight until the client gives up or dies
    }
    const body = rss(feed);
    res.writeHead(200, { "content-type": "application/rss+xml", "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const SNAPSHOT = `{
  sources { id slug name health { status itemCount consecutiveFailures lastError } }
  articles(first: 100) { totalCount nodes { url title sources { slug } } }
}`;

beforeAll(async () => {
  redis = await startRedis();
  web = await startFixtureServer();
  for (const feed of FEEDS) web.route(`/${feed}.xml`, feedHandler(feed));
  const started = await Promise.all(
    [1, 2, 3].map((n) =>
      startGatewayProcess({
        ...stores(),
        sources: FEEDS.map((f) => ({ id: f, name: `Feed ${f}`, url: web.url(`/${f}.xml`), pollIntervalSeconds: INTERVAL_S })),
        news: { demoFeeds: false, poll: true },
        net: { allowPrivateNetworks: true, userAgent: `crosswire-test/${n}`, timeoutMs: 30_000 },
        unfurl: { enabled: false },
        search: { postSyncSeconds: 1 },
      }),
    ),
  );
  gateways.push(...started);
}, 30_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await web?.close();
  await redis?.stop();
});

describe("three gateways on one Redis", () => {
  it("polls each feed exactly once per interval across the cluster", async () => {
    await until("a first poll of every feed", () => FEEDS.every((f) => fetches.get(f)!.length > 0), 15_000);
    const from = Date.now();
    await sleep(3 * INTERVAL_S * 1000 + 1500); // three intervals, plus the jitter (up to 10 % each)
    for (const feed of FEEDS) {
      const times = fetches.get(feed)!.map((f) => f.at);
      // Never twice within an interval, never an interval without a poll.
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      for (const gap of gaps) {
        expect(gap, `${feed}: gaps ${gaps.join(", ")} ms`).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 50);
        expect(gap, `${feed}: gaps ${gaps.join(", ")} ms`).toBeLessThan(2 * INTERVAL_S * 1000);
      }
      expect(times.filter((t) => t >= from).length, feed).toBeGreaterThanOrEqual(3);
    }
    // The work is shared: more than one process did polls (each has its own User-Agent).
    const agents = new Set([...fetches.values()].flat().map((f) => f.agent));
    expect(agents.size).toBeGreaterThan(1);
  }, 30_000);

  it("answers the same query identically on every process", async () => {
    const answers = await Promise.all(gateways.map((g) => g.graphql(SNAPSHOT)));
    for (const answer of answers) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.articles.totalCount).toBe(FEEDS.length * itemsPerFeed);
      expect(answer.body.data.sources.map((s: any) => s.health.status)).toEqual(["OK", "OK", "OK"]);
    }
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(answers[2]!.body).toEqual(answers[0]!.body);
    // Search: each process indexes articles others ingested too (catch-up from the shared store).
    const search = `{ search(query: "${SLOW} story", types: [ARTICLE], first: 20) { totalCount } }`;
    for (const g of gateways) {
      await until(`search on ${g.url} finding ${SLOW}`, async () => (await g.graphql(search)).body.data?.search.totalCount === itemsPerFeed, 10_000);
    }
  }, 30_000);

  it("a process killed (SIGKILL) mid-poll loses its lease; another polls the feed; no article is lost", async () => {
    const probe = gateways[0]!;
    const before = (await probe.graphql(SNAPSHOT)).body.data.articles.nodes.map((n: any) => n.url);
    expect(before).toHaveLength(FEEDS.length * itemsPerFeed);
    itemsPerFeed = 5; // the next successful poll brings two more stories per feed
    const seen = fetches.get(SLOW)!.length;
    hangNextSlowFetch = true;
    const hung = await until("the hanging poll", () => fetches.get(SLOW)!.length > seen && fetches.get(SLOW)![seen], 10_000);
    const victim = gateways.find((g) => hung.agent === `crosswire-test/${gateways.indexOf(g) + 1}`)!;
    expect(victim).toBeDefined();
    victim.child.kill("SIGKILL");
    await new Promise((r) => victim.child.once("exit", r));
    const killedAt = Date.now();
    const survivors = gateways.filter((g) => g !== victim);

    const takeover = await until("another process polling the feed", () => fetches.get(SLOW)!.slice(seen + 1).find((f) => f.agent !== hung.agent), 15_000);
    // Not before the lease expired (the dead process held it since just before its fetch), and well within a few TTLs after.
    expect(takeover.at - hung.at).toBeGreaterThanOrEqual(LEASE_TTL_MS - 300);
    expect(takeover.at - killedAt).toBeLessThan(10_000);

    for (const g of survivors) {
      const urls = await until(`the new ${SLOW} stories on ${g.url}`, async () => {
        const nodes = (await g.graphql(SNAPSHOT)).body.data?.articles.nodes as Array<{ url: string }> | undefined;
        return nodes && nodes.some((n) => n.url === `http://news.example/${SLOW}/5`) && nodes.map((n) => n.url);
      }, 10_000);
      for (const url of before) expect(urls).toContain(url);
      expect(urls.length).toBeGreaterThan(before.length);
    }
  }, 40_000);

  it("survives Redis going away: not ready, forum data still served, news fields SERVICE_UNAVAILABLE; recovers by itself", async () => {
    const alive = gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);
    const g = alive[0]!;
    const sourceId = (await g.graphql(`{ sources { id } }`)).body.data.sources[0].id;
    const query = `query ($id: ID!) { forums { slug } source(id: $id) { slug health { status } } article(url: "http://news.example/alpha/1") { title } }`;
    const ok = await g.graphql(query, { id: sourceId });
    expect(ok.body.errors).toBeUndefined();
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200);

    await redis.stop();
    try {
      const readyz = await fetch(`${g.url}/readyz`);
      expect(readyz.status).toBe(503);
      expect(JSON.stringify(await readyz.json())).toMatch(/Redis/);
      const started = Date.now();
      const down = await g.graphql(query, { id: sourceId });
      expect(Date.now() - started).toBeLessThan(5_000); // bounded by cache.timeoutMs, not a hang
      expect(down.body.data.forums.length).toBeGreaterThan(0);
      expect(down.body.data.source).toBeNull();
      expect(down.body.data.article).toBeNull();
      const codes = down.body.errors.map((e: any) => e.extensions.code);
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set(["SERVICE_UNAVAILABLE"]));
      // Still up: health and the other processes too.
      for (const other of alive) expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${g.url}/metrics`)).status).toBe(200); // the scrape survives; only the source gauges are missing
      const feed = await fetch(`${g.url}/feeds/sources/${FEEDS[0]}.rss`);
      expect(feed.status).toBe(503); // a feed reader is told to come back, not given a 500
      expect(feed.headers.get("retry-after")).toBe("5");
      await sleep(2_000);
    } finally {
      await redis.start();
    }
    // Same processes, no restart: ready again and answering (this Redis kept nothing; the pollers refill it).
    for (const other of alive) {
      await until(`${other.url} ready again`, async () => (await fetch(`${other.url}/readyz`)).status === 200, 15_000);
      await until(`${other.url} answering again`, async () => {
        const again = await other.graphql(query, { id: sourceId });
        return again.body.errors === undefined && again.body.data.source?.slug === FEEDS[0];
      }, 10_000);
    }
  }, 40_000);
});
