import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway.js";
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from "../helpers/servers.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, userToken } from "../helpers/tokens.js";
import { connect, subscribe } from "../helpers/ws-client.js";

/**
 * Two gateway processes (the built CLI) on one PostgreSQL forum store and one redis-server (pub/sub, claims):
 * a post written through one is pushed to a subscriber of the other within 1 s, once, although the search sync
 * timer is 30 s (so the event comes from the write, not from the timer).
 */
const THREAD = toGlobalId("Thread", "local", 1);
const LIVE_BLOG = "https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3241";
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) {
  post { id position } citations { canonicalUrl status } userErrors { code } } }`;

let redis: TestRedis;
let postgres: TestPostgres;
let forumUrl: string;
const gateways: GatewayProcess[] = [];

async function write(gateway: GatewayProcess, token: string, input: Record<string, unknown>) {
  const res = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: CREATE_POST, variables: { input } }),
  });
  return (await res.json()) as { data: { createPost: { post: { id: string; position: number }; citations: Array<{ status: string }>; userErrors: unknown[] } } };
}

async function sql<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: forumUrl });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query("CREATE DATABASE writes_cluster").finally(() => admin.end());
  forumUrl = postgres.url.replace(/\/postgres$/, "/writes_cluster");
  for (const n of [1, 2]) {
    // One at a time: the first seeds the demo forum, the second finds it.
    gateways.push(await startGatewayProcess({
      forum: { store: "postgres", postgresUrl: forumUrl },
      cache: { store: "redis", redisUrl: redis.url, keyPrefix: "writes:", timeoutMs: 1000 },
      news: { demoFeeds: true, poll: false },
      unfurl: { enabled: false },
      search: { postSyncSeconds: 30 },
      auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 100 },
      net: { userAgent: `crosswire-writes/${n}` },
    }));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await redis?.stop();
  await postgres?.destroy();
});

describe("writes on two gateways sharing PostgreSQL and Redis", () => {
  it("pushes postAdded and threadCited to a graphql-ws subscriber on the other process within 1 s of the write, exactly once", async () => {
    const [writer, reader] = gateways as [GatewayProcess, GatewayProcess];
    const client = connect(reader.url);
    const posts = subscribe(client, `subscription($t: ID!) { postAdded(threadId: $t) { id position } }`, { t: THREAD });
    const cited = subscribe(client, `subscription($t: ID!) { threadCited(threadId: $t) { reason post { id } article { canonicalUrl } } }`, { t: THREAD });
    await new Promise((r) => setTimeout(r, 500)); // both subscriptions registered on the reader
    const started = Date.now();
    const answer = await write(writer, await userToken("u-cluster-1"), { threadId: THREAD, body: `Cluster post citing ${LIVE_BLOG}` });
    expect(answer.data.createPost.userErrors).toEqual([]);
    expect(answer.data.createPost.citations).toEqual([{ canonicalUrl: LIVE_BLOG, status: "RESOLVED" }]);
    const id = answer.data.createPost.post.id;

    const added = await posts.next(1000);
    const citation = await cited.next(1000);
    expect(added.data.postAdded.id).toBe(id);
    expect(citation.data.threadCited).toEqual({ reason: "NEW_POST", post: { id }, article: { canonicalUrl: LIVE_BLOG } });
    expect(added.receivedAt - started).toBeLessThan(1000);
    expect(citation.receivedAt - started).toBeLessThan(1000);
    if (process.env.WRITES_FIGURES) console.log(`postAdded after ${added.receivedAt - started} ms, threadCited after ${citation.receivedAt - started} ms`);

    // A write on the reader runs the reader's sync, which finds the writer's post too (claimed already in Redis):
    // still one event each on thread 1.
    const other = await write(reader, await userToken("u-cluster-3"), { threadId: toGlobalId("Thread", "local", 2), body: "Elsewhere." });
    expect(other.data.createPost.userErrors).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(posts.received).toEqual([]);
    expect(cited.received).toEqual([]);
    await client.dispose();
  }, 20_000);

  it("gives concurrent posts to one thread from both processes distinct positions, and a retry sent to both writes once", async () => {
    const token = await userToken("u-cluster-2");
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => write(gateways[i % 2]!, token, { threadId: THREAD, body: `concurrent ${i}` })),
    );
    const positions = answers.map((a) => a.data.createPost.post.position);
    expect(new Set(positions).size).toBe(10);

    const input = { threadId: THREAD, body: "retried across processes", clientMutationId: "cross-1" };
    const [a, b] = await Promise.all([write(gateways[0]!, token, input), write(gateways[1]!, token, input)]);
    expect(b.data.createPost.post.id).toBe(a.data.createPost.post.id);
    const rows = await sql<{ n: string }>("SELECT COUNT(*) AS n FROM posts WHERE body_markdown = 'retried across processes'");
    expect(Number(rows[0]!.n)).toBe(1);
  }, 20_000);
});
