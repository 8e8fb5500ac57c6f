import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway.js";
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from "../helpers/servers.js";

/**
 * Two gateway processes (the built CLI) on one redis-server and one PostgreSQL database: a source added through
 * one is stored in PostgreSQL, picked up by the other within storedSources.syncSeconds, and polled once per
 * interval across both (the poll leases); removed through the other, it stops everywhere (a poll due meanwhile on the
 * first checks the row first: the deleted articles do not come back) and its deleted articles leave both search indexes.
 */
const ADMIN = "admin-token-for-the-sources-cluster";
const INTERVAL_S = 3;
const SYNC_S = 1;

let redis: TestRedis;
let postgres: TestPostgres;
let web: FixtureServer;
const gateways: GatewayProcess[] = [];
const fetches: Array<{ at: number; agent: string }> = [];

function rss(req: IncomingMessage, res: ServerResponse): void {
  fetches.push({ at: Date.now(), agent: String(req.headers["user-agent"]) });
  const items = [1, 2, 3].map((i) => `<item><title>Desk story ${i}</title><link>http://desk.example/${i}</link><guid>desk-${i}</guid></item>`).join("");
  const body = `<?xml version="1.0"?><rss version="2.0"><channel><title>Cluster Desk</title><link>http://desk.example/</link>${items}</channel></rss>`;
  res.writeHead(200, { "content-type": "application/rss+xml", "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function admin(g: GatewayProcess, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${g.url}/graphql`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as any;
}
const slugs = async (g: GatewayProcess) => ((await g.graphql("{ sources { slug origin } }")).body.data.sources as Array<{ slug: string }>).map((s) => s.slug);

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query("CREATE DATABASE sources_cluster").finally(() => client.end());
  web = await startFixtureServer();
  web.route("/desk.xml", rss);
  const started = await Promise.all(
    [1, 2].map((n) =>
      startGatewayProcess({
        forum: { store: "postgres", postgresUrl: postgres.url.replace(/\/postgres$/, "/sources_cluster"), seedDemo: false },
        cache: { store: "redis", redisUrl: redis.url, keyPrefix: "sources:", leaseTtlMs: 1500 },
        sources: [],
        news: { demoFeeds: false, poll: true },
        net: { allowAddresses: ["127.0.0.1"], userAgent: `crosswire-test/${n}`, timeoutMs: 10_000 },
        unfurl: { enabled: false },
        storedSources: { syncSeconds: SYNC_S },
        // Each gateway's own search.db catches up from the shared store's write order this often (deletions too).
        search: { postSyncSeconds: SYNC_S },
        adminToken: ADMIN,
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

describe("a stored source on two gateways sharing Redis and PostgreSQL", () => {
  it("added through one, is seen by the other within the sync interval and polled once per interval across both", async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const added = await admin(a, `mutation ($url: String!) { addSource(input: { url: $url, id: "desk", pollIntervalSeconds: ${INTERVAL_S} }) { source { slug health { status itemCount } } } }`, { url: web.url("/desk.xml") });
    expect(added.errors).toBeUndefined();
    expect(added.data.addSource.source).toEqual({ slug: "desk", health: { status: "OK", itemCount: 3 } });
    const addedAt = Date.now();
    await until("gateway 2 to list the stored source", async () => (await slugs(b)).includes("desk"), (SYNC_S + 3) * 1000);
    expect(Date.now() - addedAt).toBeLessThan((SYNC_S + 3) * 1000);
    const onB = (await b.graphql(`{ source(id: "desk") { origin readOnly articles(first: 5) { totalCount } } }`)).body.data.source;
    expect(onB).toEqual({ origin: "STORED", readOnly: false, articles: { totalCount: 3 } });

    await sleep(4 * INTERVAL_S * 1000);
    // The first fetch is discovery's (addSource reads the URL to know it is a feed); then addSource's poll and
    // about one per interval after it, from either process: never twice within an interval.
    expect(fetches[0]!.agent).toBe("crosswire-test/1");
    const times = fetches.slice(1).map((f) => f.at);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap ${i}`).toBeGreaterThan(INTERVAL_S * 1000 - 300);
  }, 60_000);

  it("removed through the other, it leaves both and is polled no more; its articles are deleted once", async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const found = async (g: GatewayProcess) => (await g.graphql(`{ search(query: "desk story", types: [ARTICLE]) { totalCount } }`)).body.data.search.totalCount as number;
    await until("both gateways' search to find the desk's articles", async () => (await found(a)) === 3 && (await found(b)) === 3, (SYNC_S + 5) * 1000);
    const removed = await admin(b, `mutation { removeSource(id: "desk", deleteArticles: true) { id articlesDeleted } }`);
    expect(removed.data.removeSource).toEqual({ id: "desk", articlesDeleted: 3 });
    await until("gateway 1 to drop the source", async () => !(await slugs(a)).includes("desk"), (SYNC_S + 3) * 1000);
    await sleep(500); // a poll already running when the source went finishes
    const after = fetches.length;
    await sleep(2 * INTERVAL_S * 1000);
    expect(fetches.length).toBe(after);
    const left = (await a.graphql(`{ articles(first: 10) { totalCount } }`)).body.data.articles.totalCount;
    expect(left).toBe(0);
    // Each gateway's own search index drops them: b at once (its store hook), a from the tombstones at its catch-up.
    expect(await found(b)).toBe(0);
    await until("gateway 1's search index to drop the deleted articles", async () => (await found(a)) === 0, (SYNC_S + 5) * 1000);
  }, 40_000);
});
