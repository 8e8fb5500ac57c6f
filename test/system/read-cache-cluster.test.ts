import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway.js";
import { startPostgres, type TestPostgres } from "../helpers/servers.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, userToken } from "../helpers/tokens.js";

/**
 * The read cache (src/db/read-cache.ts) on PostgreSQL, two gateway processes on one database: the tables' triggers
 * notify every write (src/db/pg-change-clock.ts), so a warm page is served from memory and a write — through either
 * gateway, or straight into PostgreSQL — shows on both: at once on the gateway that wrote, within a notification's
 * latency on the other (measured; bounded here at 2 s), and never missed while the listening connection is down.
 */
const THREAD = toGlobalId("Thread", "local", 1);
const PAGE = `query Page($t: ID!) { thread(id: $t) { posts(first: 100) { totalCount nodes { position body author { name } } } } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { position } userErrors { code } } }`;

let postgres: TestPostgres;
let forumUrl: string;
const gateways: GatewayProcess[] = [];

async function page(gateway: GatewayProcess): Promise<{ totalCount: number; bodies: string[] }> {
  const { body } = await gateway.graphql(PAGE, { t: THREAD });
  expect(body.errors).toBeUndefined();
  return { totalCount: body.data.thread.posts.totalCount, bodies: body.data.thread.posts.nodes.map((n: { body: string }) => n.body) };
}

async function hits(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return Number(/crosswire_read_cache_lookups_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
}

/** Milliseconds until `gateway` shows `text` (polling), or Infinity after 2 s. */
async function until(gateway: GatewayProcess, text: string): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < 2_000) {
    if ((await page(gateway)).bodies.some((b) => b.includes(text))) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Infinity;
}

async function sql(query: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: forumUrl });
  await client.connect();
  try {
    return await client.query(query, params);
  } finally {
    await client.end();
  }
}

async function insertPost(position: number, body: string) {
  await sql("INSERT INTO posts (thread_id, author_id, position, body_html, created_at) VALUES (1, 1, $1, $2, $3)", [position, body, new Date().toISOString()]);
}

beforeAll(async () => {
  postgres = await startPostgres();
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query("CREATE DATABASE read_cache_cluster").finally(() => admin.end());
  forumUrl = postgres.url.replace(/\/postgres$/, "/read_cache_cluster");
  for (const n of [1, 2]) {
    gateways.push(await startGatewayProcess({
      forum: { store: "postgres", postgresUrl: forumUrl },
      news: { demoFeeds: false, poll: false },
      unfurl: { enabled: false },
      auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 100 },
      net: { userAgent: `crosswire-reads/${n}` },
    }));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await postgres?.destroy();
});

describe("the read cache on two gateways sharing PostgreSQL", () => {
  it("serves a warm page from memory, and a post written through one gateway shows there at once and on the other within 2 s", async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const before = await page(two);
    await page(one);
    const [hitsOne, hitsTwo] = [await hits(one), await hits(two)];
    expect(await page(two)).toEqual(before);
    await page(one);
    expect(await hits(two)).toBeGreaterThan(hitsTwo);
    expect(await hits(one)).toBeGreaterThan(hitsOne);

    const token = await userToken("u-read-cache-cluster");
    const res = await fetch(`${one.url}/graphql`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CREATE_POST, variables: { input: { threadId: THREAD, body: "Written on gateway one." } } }),
    });
    expect(((await res.json()) as any).data.createPost.userErrors).toEqual([]);
    // The writer: the very next response.
    expect((await page(one)).totalCount).toBe(before.totalCount + 1);
    const delay = await until(two, "Written on gateway one.");
    console.log(`read cache across gateways: a post written on one showed on the other after ${delay.toFixed(1)} ms`);
    expect(delay).toBeLessThan(2_000);
  });

  it("shows a post written straight into PostgreSQL (no gateway involved) on both gateways", async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    await Promise.all([page(one), page(two)]);
    await insertPost(900, "<p>Written by another client.</p>");
    expect(await until(one, "Written by another client.")).toBeLessThan(2_000);
    expect(await until(two, "Written by another client.")).toBeLessThan(2_000);
  });

  it("misses nothing while its listening connection is down: a write made then shows in the next responses", async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    await Promise.all([page(one), page(two)]);
    const killed = await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'crosswire-changes'");
    expect(killed.rowCount).toBe(2);
    await insertPost(901, "<p>Written while nobody listened.</p>");
    expect((await page(one)).bodies.some((b) => b.includes("Written while nobody listened."))).toBe(true);
    expect((await page(two)).bodies.some((b) => b.includes("Written while nobody listened."))).toBe(true);
    // Listening again (reconnected with backoff): warm pages are served from memory once more.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page(two);
    const warm = await hits(two);
    await page(two);
    expect(await hits(two)).toBeGreaterThan(warm);
  });
});
