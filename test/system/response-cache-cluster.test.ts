import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway.js";
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from "../helpers/servers.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, userToken } from "../helpers/tokens.js";

/**
 * Two gateway processes (the built CLI) with the response cache on, sharing one PostgreSQL forum store and one
 * redis-server: the generation lives in Redis, so a post written through one gateway shows in the very next
 * response of the other, and an entry one gateway stored is served by the other to the same viewer only.
 */
const THREAD = toGlobalId("Thread", "local", 1);
const PAGE = `query Page($t: ID!) { node(id: $t) { ... on Thread { posts(first: 50) { nodes { position body } } } } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { position } userErrors { code } } }`;

let redis: TestRedis;
let postgres: TestPostgres;
const gateways: GatewayProcess[] = [];

async function post(gateway: GatewayProcess, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as any;
}

async function counts(gateway: GatewayProcess) {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const read = (result: string) => Number(text.match(new RegExp(`crosswire_cache_requests_total\\{cache="responses",result="${result}"\\} (\\d+)`))?.[1] ?? 0);
  return { hit: read("hit"), miss: read("miss") };
}

async function outcome(gateway: GatewayProcess, run: () => Promise<unknown>) {
  const before = await counts(gateway);
  await run();
  const after = await counts(gateway);
  if (after.hit - before.hit === 1 && after.miss === before.miss) return "hit";
  return after.miss - before.miss === 1 && after.hit === before.hit ? "miss" : "neither";
}

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query("CREATE DATABASE response_cache_cluster").finally(() => admin.end());
  const forumUrl = postgres.url.replace(/\/postgres$/, "/response_cache_cluster");
  for (const n of [1, 2]) {
    gateways.push(await startGatewayProcess({
      forum: { store: "postgres", postgresUrl: forumUrl },
      cache: { store: "redis", redisUrl: redis.url, keyPrefix: "responses:", timeoutMs: 1000, responses: { enabled: true } },
      news: { demoFeeds: true, poll: false },
      unfurl: { enabled: false },
      search: { postSyncSeconds: 30 },
      auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 100 },
      net: { userAgent: `crosswire-responses/${n}` },
    }));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await redis?.stop();
  await postgres?.destroy();
});

describe("the response cache on two gateways sharing PostgreSQL and Redis", () => {
  it("a post written through one gateway shows in the very next response of the other", async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const before = await post(two, PAGE, { t: THREAD });
    const count = before.data.node.posts.nodes.length;
    expect(await outcome(two, () => post(two, PAGE, { t: THREAD }))).toBe("hit");
    // The other gateway reads the entry the first one stored (Redis tier): same generation.
    expect(await outcome(one, () => post(one, PAGE, { t: THREAD }))).toBe("hit");
    const token = await userToken("u-cluster-cache");
    const written = await post(one, CREATE_POST, { input: { threadId: THREAD, body: "Written on gateway one." } }, { authorization: `Bearer ${token}` });
    expect(written.data.createPost.userErrors).toEqual([]);
    const after = await post(two, PAGE, { t: THREAD });
    expect(after.data.node.posts.nodes).toHaveLength(count + 1);
    expect(after.data.node.posts.nodes.at(-1).body).toContain("Written on gateway one.");
  });

  it("an entry stored by one gateway for one viewer is served by the other to that viewer only", async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const query = `query Names { sources { slug name } }`;
    const alice = { authorization: `Bearer ${await userToken("u-alice")}` };
    const bob = { authorization: `Bearer ${await userToken("u-bob")}` };
    expect(await outcome(one, () => post(one, query, {}, alice))).toBe("miss");
    expect(await outcome(two, () => post(two, query, {}, bob))).toBe("miss");
    expect(await outcome(two, () => post(two, query, {}))).toBe("miss");
    expect(await outcome(two, () => post(two, query, {}, alice))).toBe("hit");
  });
});
