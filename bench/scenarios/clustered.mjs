/**
 * Scenarios 9 and 10: the thread page with crosswire's stores on PostgreSQL (forum.store) and Redis (cache.store),
 * as several gateways run them. Both use one fresh PostgreSQL database and one Redis key prefix (bench/backends.mjs),
 * written once, read by three gateways: one talking to the stores directly, one through the latency proxy
 * (bench/latency-proxy.mjs: 1 ms each way in front of each store), and the floor for the ratio.
 *
 * 9. Warm thread page (scenario 1's query and load) against the floor, interleaved. Target: ≥ 0.5× the floor.
 * 10. Thread 2's page at 10, 100 and 500 posts, 1 connection, with and without the proxy, interleaved; and the round
 *     trips one request makes (counted by the proxies, after a warm-up request). Targets: round trips ≤ 6 and the same
 *     at every size; p50 with the proxy ≤ p50 without + round trips × 2 ms.
 */
import { graphqlRequest, interleave, ratio } from "../load.mjs";
import { THREAD_PAGE, threadId } from "../queries.mjs";
import { openBackends } from "../backends.mjs";
import { startLatencyProxy } from "../latency-proxy.mjs";
import { startChild } from "../processes.mjs";
import { sourceConfigs } from "../shared.mjs";
import { checkSameAnswers } from "./thread-page.mjs";

const DELAY_MS = 1;
const SIZES = [10, 100, 500];

/** The stores, the dataset in them, and the three servers. Call `stop()` when done. */
export async function startClustered(env, dataset) {
  const backends = await openBackends();
  const proxies = [];
  const servers = {};
  const stop = async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await Promise.all(proxies.map((p) => p.close()));
    await backends.close();
  };
  try {
    const pgUrl = new URL(backends.postgresUrl);
    const redisUrl = new URL(backends.redisUrl);
    const pgProxy = await startLatencyProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432), delayMs: DELAY_MS });
    const redisProxy = await startLatencyProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379), delayMs: DELAY_MS });
    proxies.push(pgProxy, redisProxy);
    const via = (url, proxy) => Object.assign(new URL(url), { port: String(proxy.port) }).toString();
    const direct = backends.overrides();
    const proxied = backends.overrides({ postgresUrl: via(backends.postgresUrl, pgProxy), redisUrl: via(backends.redisUrl, redisProxy) });
    const [datasetFile] = await env.prepare([env.tempDir("clustered-data"), dataset, direct]);
    // No background work between requests: the search's forum sync would otherwise query PostgreSQL now and then.
    const common = { sources: sourceConfigs(dataset.sources), search: { postSyncSeconds: 0 } };
    const [a, b, floor] = await Promise.all([
      startChild("crosswire", { dataDir: env.tempDir("clustered-direct"), overrides: { ...common, ...direct } }),
      startChild("crosswire", { dataDir: env.tempDir("clustered-proxied"), overrides: { ...common, ...proxied } }),
      startChild("floor", { datasetFile }),
    ]);
    Object.assign(servers, { crosswire: a, proxied: b, floor });
    return { servers, proxies: { pg: pgProxy, redis: redisProxy }, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** Scenario 9. */
export async function clusteredWarm(env, { servers }) {
  const first = 100;
  const responseBytes = await checkSameAnswers(servers, 1, first, ["floor", "proxied"]);
  const targets = Object.fromEntries(["crosswire", "floor"].map((n) => [n, graphqlRequest(servers[n].port, THREAD_PAGE, { id: threadId(1), first })]));
  const results = await interleave(targets, { ...env.timing.warm, connections: env.connections, log: env.log });
  return { posts: first, responseBytes, connections: env.connections, ...results, ratios: { crosswireOverFloor: ratio(results.crosswire, results.floor) } };
}

async function post(port, first) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: THREAD_PAGE, variables: { id: threadId(2), first } }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) throw new Error(`thread page at ${first} posts: HTTP ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
}

/** Scenario 10. */
export async function latencyProxy(env, { servers, proxies }) {
  const roundTrips = [];
  for (const posts of SIZES) {
    await post(servers.proxied.port, posts); // warm: statement caches, connection pools, Apollo's document cache
    proxies.pg.reset();
    proxies.redis.reset();
    await post(servers.proxied.port, posts);
    roundTrips.push({ posts, pg: proxies.pg.roundTrips, redis: proxies.redis.roundTrips, total: proxies.pg.roundTrips + proxies.redis.roundTrips });
  }
  const targets = {};
  for (const posts of SIZES) {
    for (const name of ["crosswire", "proxied"]) targets[`${name}@${posts}`] = graphqlRequest(servers[name].port, THREAD_PAGE, { id: threadId(2), first: posts });
  }
  // At least 5 requests a round: a 500-post page takes about half a second, and a p50 of 2 samples says little.
  const results = await interleave(targets, { ...env.timing.scaling, connections: 1, minRequests: 5, log: env.log });
  const points = SIZES.map((posts, i) => {
    const direct = results[`crosswire@${posts}`];
    const proxied = results[`proxied@${posts}`];
    const added = proxied.p50 - direct.p50;
    const allowed = roundTrips[i].total * 2 * DELAY_MS;
    return { posts, direct: direct.p50, proxied: proxied.p50, added, allowed, roundTrips: roundTrips[i], unexpected: direct.unexpected + proxied.unexpected, errors: direct.errors + proxied.errors };
  });
  return { delayMs: DELAY_MS, sizes: SIZES, points };
}
