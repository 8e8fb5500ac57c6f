/**
 * Scenario 11: what the article store costs as it grows. At 1,000 / 10,000 / 100,000 stored articles (and
 * 1,000,000 in the full run), each in a fresh data directory seeded through the store's own write path
 * (bench/seed.mjs): one poll's store step (50 new items of one source, timed in the gateway, median of 5 after 3 untimed),
 * `articles(first: 20)` over HTTP at 1 connection (p50 of 40 after 5 warm-up requests), and start-up (createGateway
 * to listening, in a fresh process on that data directory). Each is reported as a ratio to its cost at 1,000.
 * Targets (issue 22): each within 1.5× of the 1,000-article cost; start-up independent of the size.
 *
 * The search index is not seeded (its cost is its own; see child.mjs `seed`): the start-up therefore includes
 * whatever the search catch-up does with a store it has not indexed yet, as a start after a lost search.db would.
 */
import { blast, graphqlRequest, percentile } from "../load.mjs";
import { startChild } from "../processes.mjs";
import { SEED_SOURCES } from "../seed.mjs";
import { sourceConfigs } from "../shared.mjs";

const ARTICLES = `query BenchArticles { articles(first: 20) { edges { cursor node { id title publishedAt } } pageInfo { hasNextPage endCursor } } }`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function articlesPage(port) {
  const request = graphqlRequest(port, ARTICLES, {});
  const check = await fetch(request.url, request).then((r) => r.json());
  if (check.errors || check.data?.articles?.edges?.length !== 20) throw new Error(`articles(first: 20) answered ${JSON.stringify(check).slice(0, 300)}`);
  await blast(request, { amount: 5, connections: 1 });
  const run = await blast(request, { amount: 40, connections: 1 });
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), unexpected: Object.entries(run.statuses).filter(([s]) => s !== "200").reduce((n, [, c]) => n + c, 0), errors: run.errors };
}

async function measure(env, n) {
  const dataDir = env.tempDir(`store-${n}`);
  const overrides = { sources: sourceConfigs(SEED_SOURCES), search: { postSyncSeconds: 0 } };
  const seeder = await startChild("crosswire", { dataDir, overrides });
  const point = { articles: n };
  try {
    const seeded = await seeder.call("seed", { n });
    point.seededWith = seeded.how;
    point.seedSeconds = seeded.ms / 1000;
    env.log(`    ${n.toLocaleString("en-US")} articles seeded in ${point.seedSeconds.toFixed(1)} s (${seeded.how})`);
    // Warm-up first: at 1,000 articles seeding is one upsert, and the JIT has barely seen the store's code.
    for (let i = 0; i < 3; i++) await seeder.call("upsert50");
    const polls = [];
    for (let i = 0; i < 5; i++) polls.push(await seeder.call("upsert50"));
    point.pollMs = median(polls);
    point.polls = polls;
    point.page = await articlesPage(seeder.port);
  } finally {
    await seeder.stop();
  }
  // Start-up only: no wait for the search index's catch-up of the seeded articles (minutes at 1,000,000).
  const restarted = await startChild("crosswire", { dataDir, overrides, waitForSearch: false });
  point.startupMs = restarted.startup.startupMs;
  await restarted.stop();
  env.log(`    ${n.toLocaleString("en-US")}: poll ${point.pollMs.toFixed(1)} ms, articles(first: 20) p50 ${point.page.p50.toFixed(1)} ms, start-up ${point.startupMs.toFixed(0)} ms`);
  return point;
}

export async function storeSize(env) {
  const sizes = env.quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const points = [];
  for (const n of sizes) points.push(await measure(env, n));
  const [base] = points;
  for (const p of points) {
    p.ratios = { poll: p.pollMs / base.pollMs, page: p.page.p50 / base.page.p50, startup: p.startupMs / base.startupMs };
  }
  return { sizes, points };
}
