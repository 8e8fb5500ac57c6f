import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway.js";
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from "../helpers/servers.js";
import { connect, subscribe } from "../helpers/ws-client.js";

/**
 * Three gateway processes (the built CLI) sharing one redis-server (source health, leases, caches) and one PostgreSQL
 * database (forum-local, seeded with the demo forum by whichever process gets there first), polling fixture
 * feeds on 127.0.0.1; the bundled demo feeds give the demo forum's citations their articles. The tests run in
 * order on the same cluster: polls once per interval, identical answers, SIGKILL during a poll, PostgreSQL
 * stopped and started again, then Redis stopped and started again.
 */
const INTERVAL_S = 2;
const LEASE_TTL_MS = 1500;
const FEEDS = ["alpha", "beta", "gamma"];
const SLOW = "gamma";
const DEMO_THREAD = toGlobalId("Thread", "local", 1);

let redis: TestRedis;
let postgres: TestPostgres;
let forumUrl: string;
let web: FixtureServer;
const gateways: GatewayProcess[] = [];
/** Fetches per feed: arrival time and the fetching process (each process has its own User-Agent). */
const fetches = new Map<string, Array<{ at: number; agent: string }>>(FEEDS.map((f) => [f, []]));
let itemsPerFeed = 3;
/** When set, the next request for the slow feed hangs (a poll stays in flight until its process dies). */
let hangNextSlowFetch = false;

/** The shared stores of the cluster. */
const stores = () => ({
  forum: { store: "postgres", postgresUrl: forumUrl },
  cache: { store: "redis", redisUrl: redis.url, keyPrefix: "scale:", timeoutMs: 1000, leaseTtlMs: LEASE_TTL_MS },
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

/** One statement on the shared forum database, from outside the gateways. */
async function sql<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: forumUrl });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}
const countRows = async (table: string) => Number((await sql<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

const alive = () => gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);

const SNAPSHOT = `{
  sources { id slug name health { status itemCount consecutiveFailures lastError } }
  articles(first: 100) { totalCount nodes { url title sources { slug } } }
}`;

/** The README's first query (a thread, its posts, the articles they cite and who else cites them) plus every board. */
const FORUM = `{
  forums { slug threads(first: 20) { totalCount edges { node { title posts(first: 1) { totalCount } } } } }
  thread(id: "${DEMO_THREAD}") { title citedArticles(first: 3) { citationCount article { title } }
    posts(first: 6) { edges { node { author { name } citations { url article { title publishedAt sources { name }
      citedBy(first: 3) { totalCount edges { node { author { name } thread { title } } } } } } } } } }
}`;

/** Posts as the gateways see them: the sum over every board's threads. */
function postsSeen(forums: Array<{ threads: { edges: Array<{ node: { posts: { totalCount: number } } }> } }>): number {
  return forums.flatMap((f) => f.threads.edges).reduce((n, e) => n + e.node.posts.totalCount, 0);
}

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query("CREATE DATABASE scale_out").finally(() => admin.end());
  forumUrl = postgres.url.replace(/\/postgres$/, "/scale_out");
  web = await startFixtureServer();
  for (const feed of FEEDS) web.route(`/${feed}.xml`, feedHandler(feed));
  const started = await Promise.all(
    [1, 2, 3].map((n) =>
      startGatewayProcess({
        ...stores(),
        sources: FEEDS.map((f) => ({ id: f, name: `Feed ${f}`, url: web.url(`/${f}.xml`), pollIntervalSeconds: INTERVAL_S })),
        news: { demoFeeds: true, poll: true },
        net: { allowPrivateNetworks: true, userAgent: `crosswire-test/${n}`, timeoutMs: 30_000 },
        unfurl: { enabled: false },
        search: { postSyncSeconds: 1 },
      }),
    ),
  );
  gateways.push(...started);
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await web?.close();
  await redis?.stop();
  await postgres?.destroy();
});

describe("three gateways on one Redis and one PostgreSQL", () => {
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

  it("answers the same news and forum queries identically on every process, with one copy of the demo forum", async () => {
    const answers = await Promise.all(gateways.map((g) => g.graphql(SNAPSHOT)));
    for (const answer of answers) {
      expect(answer.body.errors).toBeUndefined();
      const urls: string[] = answer.body.data.articles.nodes.map((n: any) => n.url);
      expect(urls.filter((u) => u.startsWith("http://news.example/"))).toHaveLength(FEEDS.length * itemsPerFeed);
      expect(urls.length).toBeGreaterThan(FEEDS.length * itemsPerFeed); // and the demo feeds' articles
      expect(new Set(answer.body.data.sources.map((s: any) => s.health.status))).toEqual(new Set(["OK"]));
    }
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(answers[2]!.body).toEqual(answers[0]!.body);

    // Forum data and the articles its citations resolve to, from PostgreSQL: the same on every process.
    const forum = await Promise.all(gateways.map((g) => g.graphql(FORUM)));
    for (const answer of forum) expect(answer.body.errors).toBeUndefined();
    expect(forum[1]!.body).toEqual(forum[0]!.body);
    expect(forum[2]!.body).toEqual(forum[0]!.body);
    const { forums, thread } = forum[0]!.body.data;
    expect(thread.title).toBe("Sarn truce: phase-two talks live thread");
    expect(thread.citedArticles.length).toBeGreaterThan(0);
    for (const cited of thread.citedArticles) expect(cited.article.title).toEqual(expect.any(String));
    const citations = thread.posts.edges.flatMap((e: any) => e.node.citations);
    const resolved = citations.filter((c: any) => c.article !== null);
    expect(resolved.length).toBeGreaterThan(0);
    expect(resolved.some((c: any) => c.article.citedBy.totalCount > 1)).toBe(true);
    // Seeded once: one process logged the seed, and the database holds one copy (as many posts as the gateways show).
    expect(gateways.filter((g) => g.output().includes("seeded the demo forum")).length).toBe(1);
    expect(await countRows("forums")).toBe(forums.length);
    expect(await countRows("posts")).toBe(postsSeen(forums));

    // Search: each process indexes articles others ingested too (catch-up from the shared store), and the shared forum.
    const search = `{ articles: search(query: "${SLOW} story", types: [ARTICLE], first: 20) { totalCount }
      posts: search(query: "phase-two", types: [POST], first: 50) { totalCount } }`;
    const counts = await Promise.all(gateways.map((g) => until(`search on ${g.url} finding ${SLOW} and the forum`, async () => {
      const data = (await g.graphql(search)).body.data;
      return data?.articles.totalCount === itemsPerFeed && data.posts.totalCount > 0 && data.posts.totalCount;
    }, 10_000)));
    expect(new Set(counts).size).toBe(1);
  }, 30_000);

  it("a process killed (SIGKILL) mid-poll loses its lease; another polls the feed; no article or post is lost", async () => {
    const probe = gateways[0]!;
    const before = (await probe.graphql(SNAPSHOT)).body.data.articles.nodes.map((n: any) => n.url);
    expect(before.filter((u: string) => u.startsWith("http://news.example/"))).toHaveLength(FEEDS.length * itemsPerFeed);
    const forumBefore = (await probe.graphql(FORUM)).body.data;
    const postsBefore = await countRows("posts");
    expect(postsSeen(forumBefore.forums)).toBe(postsBefore);
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
      const forumAfter = await g.graphql(FORUM);
      expect(forumAfter.body.errors).toBeUndefined();
      expect(forumAfter.body.data).toEqual(forumBefore);
    }
    expect(await countRows("posts")).toBe(postsBefore);
  }, 40_000);

  const NEWS_AND_FORUM = `query ($id: ID!) {
    thread(id: "${DEMO_THREAD}") { title posts(first: 2) { totalCount } }
    source(id: $id) { slug health { status } }
    article(url: "http://news.example/alpha/1") { title }
  }`;
  const sourceId = async (g: GatewayProcess) => (await g.graphql(`{ sources { id slug } }`)).body.data.sources.find((s: any) => s.slug === FEEDS[0]).id as string;

  // Articles live in PostgreSQL with the forum (src/articles, issue 22 item 4): with PostgreSQL down, thread and
  // article fields fail (SERVICE_UNAVAILABLE) while source health (Redis) is still served; with Redis down, articles are.
  it("survives PostgreSQL going away: not ready, source health still served, forum and article fields SERVICE_UNAVAILABLE; recovers by itself", async () => {
    const running = alive();
    expect(running.length).toBeGreaterThanOrEqual(2);
    const id = await sourceId(running[0]!);
    const ok = await running[0]!.graphql(NEWS_AND_FORUM, { id });
    expect(ok.body.errors).toBeUndefined();
    const title = ok.body.data.thread.title;
    for (const g of running) expect((await fetch(`${g.url}/readyz`)).status).toBe(200);

    await postgres.stop();
    const stoppedAt = Date.now();
    try {
      for (const g of running) {
        const readyz = await fetch(`${g.url}/readyz`);
        expect(readyz.status).toBe(503);
        const problems = JSON.stringify(await readyz.json());
        expect(problems).toMatch(/forum store/);
        expect(problems).not.toMatch(/Redis/);
        const started = Date.now();
        const down = await g.graphql(NEWS_AND_FORUM, { id });
        expect(Date.now() - started).toBeLessThan(5_000); // bounded by cache.timeoutMs, not a hang
        expect(down.body.data.thread).toBeNull();
        expect(down.body.data.source).toEqual({ slug: FEEDS[0], health: { status: "OK" } });
        expect(down.body.data.article).toBeNull();
        expect(down.body.errors.length).toBeGreaterThan(0);
        for (const error of down.body.errors) {
          expect(error.extensions.code).toBe("SERVICE_UNAVAILABLE");
          expect(["thread", "article"]).toContain(error.path[0]);
        }
        expect(new Set(down.body.errors.map((e: { path: string[] }) => e.path[0]))).toEqual(new Set(["thread", "article"]));
        expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
      }
      const feed = await fetch(`${running[0]!.url}/feeds/sources/${FEEDS[0]}.rss`);
      expect(feed.status).toBe(503); // a feed reader is told to come back, not given a 500
      expect(feed.headers.get("retry-after")).toBe("5");
      // The feeds change meanwhile: their polls fail to store while PostgreSQL is down, and store once it is back.
      itemsPerFeed = 6;
      await sleep(Math.max(0, stoppedAt + 3_000 - Date.now())); // down for a few seconds
    } finally {
      await postgres.start();
    }
    for (const g of running) {
      await until(`${g.url} ready again`, async () => (await fetch(`${g.url}/readyz`)).status === 200, 15_000);
      const again = await g.graphql(NEWS_AND_FORUM, { id });
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data.thread.title).toBe(title);
      await until(`${g.url} serving a story polled after PostgreSQL came back`, async () =>
        (await g.graphql(`{ article(url: "http://news.example/alpha/6") { title } }`)).body.data?.article?.title === "alpha story 6", 15_000);
    }
  }, 50_000);

  it("survives Redis going away: not ready, forum data and articles still served, source health SERVICE_UNAVAILABLE; recovers by itself", async () => {
    const running = alive();
    const g = running[0]!;
    const id = await sourceId(g);
    const ok = await g.graphql(NEWS_AND_FORUM, { id });
    expect(ok.body.errors).toBeUndefined();
    for (const other of running) expect((await fetch(`${other.url}/readyz`)).status).toBe(200);

    await redis.stop();
    try {
      for (const other of running) {
        const readyz = await fetch(`${other.url}/readyz`);
        expect(readyz.status).toBe(503);
        const problems = JSON.stringify(await readyz.json());
        expect(problems).toMatch(/Redis/);
        expect(problems).not.toMatch(/forum store/);
        const started = Date.now();
        const down = await other.graphql(NEWS_AND_FORUM, { id });
        expect(Date.now() - started).toBeLessThan(5_000); // bounded by cache.timeoutMs, not a hang
        expect(down.body.data.thread).toEqual(ok.body.data.thread); // forum data, from PostgreSQL
        expect(down.body.data.source).toBeNull();
        expect(down.body.data.article).toEqual(ok.body.data.article); // an article, from PostgreSQL
        const errors = down.body.errors as Array<{ path: string[]; extensions: { code: string } }>;
        expect(errors.map((e) => e.path[0]).sort()).toEqual(["source"]);
        for (const error of errors) expect(error.extensions.code).toBe("SERVICE_UNAVAILABLE");
        expect((await fetch(`${other.url}/healthz`)).status).toBe(200); // still up
      }
      expect((await fetch(`${g.url}/metrics`)).status).toBe(200); // the scrape survives; only the source gauges are missing
      const feed = await fetch(`${g.url}/feeds/sources/${FEEDS[0]}.rss`);
      expect(feed.status).toBe(200); // its articles are in PostgreSQL
      expect(await feed.text()).toContain("alpha story 1");
      await sleep(2_000);
    } finally {
      await redis.start();
    }
    // Same processes, no restart: ready again and answering (this Redis kept nothing; the pollers refill it).
    for (const other of running) {
      await until(`${other.url} ready again`, async () => (await fetch(`${other.url}/readyz`)).status === 200, 15_000);
      await until(`${other.url} answering again`, async () => {
        const again = await other.graphql(NEWS_AND_FORUM, { id });
        return again.body.errors === undefined && again.body.data.source?.slug === FEEDS[0] && again.body.data.thread.title === ok.body.data.thread.title;
      }, 10_000);
    }
  }, 40_000);

  it("a post written into the shared forum store is announced once across the cluster (every process finds it on its sync)", async () => {
    const [first] = alive();
    const client = connect(first!.url);
    const posts = subscribe(client, `subscription($t: ID!) { postAdded(threadId: $t) { id bodyText } }`, { t: DEMO_THREAD });
    try {
      await sleep(500); // the subscription is registered on first's pub/sub
      const [{ id, position }] = await sql<{ id: string; position: string }>(
        "SELECT (SELECT MAX(id) FROM posts) + 1 AS id, (SELECT MAX(position) FROM posts WHERE thread_id = 1) + 1 AS position",
      );
      await sql(`INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (${id}, 1, 1, ${position}, '<p>Written by the forum software</p>', '${new Date().toISOString()}')`);
      const event = await posts.next();
      expect(event.data.postAdded).toEqual({ id: toGlobalId("Post", "local", id!), bodyText: "Written by the forum software" });
      // every process syncs each second (search.postSyncSeconds): give them all several chances to announce it again
      await sleep(4000);
      expect(posts.received).toHaveLength(0); // nothing queued after the one event next() took
      expect(alive().length).toBeGreaterThanOrEqual(2);
    } finally {
      await client.dispose();
    }
  }, 30_000);
});
