/**
 * Scenario 3: a thread citing 50 distinct pages that no feed carries, on an upstream that answers after
 * `upstreamLatencyMs`. Unfurling is on (the only scenario where it is), reaching 127.0.0.2 through
 * `net.allowAddresses` exactly as test/unfurl.test.ts does; default concurrency caps.
 *
 *   first      one query on a cold gateway: wall time of the full response
 *   in flight  10 identical queries at once on another cold gateway: upstream fetches (must be 50)
 *   spread     the same 50 pages under 10 host names (5 each, fake DNS to 127.0.0.2): what the per-host cap costs
 *   warm       the first gateway again, every page now known: latency with 1 connection
 */
import { performance } from "node:perf_hooks";
import { blast, percentile } from "../load.mjs";
import { startChild } from "../processes.mjs";
import { CITED_PAGES, threadId } from "../queries.mjs";
import { singleCitationThread } from "../data.mjs";
import { startUpstream } from "../upstream.mjs";

const PAGES = 50;

const page = (title) =>
  `<!doctype html><html><head><title>${title} | Bench Post</title><meta property="og:title" content="${title}">` +
  `<meta property="og:site_name" content="Bench Post"><meta property="article:published_time" content="2026-11-20T10:00:00Z">` +
  `</head><body><p>${"Text of the story. ".repeat(40)}</p></body></html>`;

async function query(port) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: CITED_PAGES, variables: { id: threadId(1) } }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`cold citations query failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  const statuses = body.data.thread.posts.edges.map((e) => e.node.citations[0]?.status);
  return { resolved: statuses.filter((s) => s === "RESOLVED").length, statuses };
}

export async function coldCitations(env) {
  const latencyMs = env.upstreamLatencyMs;
  const upstream = await startUpstream({ host: "127.0.0.2", latencyMs });
  for (let i = 1; i <= PAGES; i++) upstream.route(`/story/${i}`, { body: page(`Story ${i}`) });
  const hosts = Array.from({ length: 10 }, (_, h) => `news-${h + 1}.bench.test`);
  const dns = Object.fromEntries(hosts.map((h) => [h, "127.0.0.2"]));
  const oneHost = Array.from({ length: PAGES }, (_, i) => upstream.url(`/story/${i + 1}`));
  const spread = Array.from({ length: PAGES }, (_, i) => upstream.url(`/story/${i + 1}`, hosts[i % hosts.length]));
  const overrides = { unfurl: { enabled: true }, net: { allowAddresses: ["127.0.0.2"] } };

  const gateways = {};
  const began = performance.now();
  try {
    const dirs = { first: env.tempDir("cold-first"), inFlight: env.tempDir("cold-inflight"), spread: env.tempDir("cold-spread") };
    await env.prepare([dirs.first, singleCitationThread(oneHost)], [dirs.inFlight, singleCitationThread(oneHost)], [dirs.spread, singleCitationThread(spread)]);
    const start = (dataDir, extra = {}) => startChild("crosswire", { dataDir, overrides, ...extra });
    [gateways.first, gateways.inFlight, gateways.spread] = await Promise.all([start(dirs.first), start(dirs.inFlight), start(dirs.spread, { dns })]);
    env.log(`    gateways ready after ${((performance.now() - began) / 1000).toFixed(1)} s`);

    // First full response, one query, cold.
    upstream.reset();
    let t = performance.now();
    const first = await query(gateways.first.port);
    const firstMs = performance.now() - t;
    const firstFetches = upstream.total;
    const firstConcurrency = upstream.maxInFlight;

    // Ten identical queries in flight at once, cold: one fetch per URL in all.
    upstream.reset();
    t = performance.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => query(gateways.inFlight.port)));
    const inFlightMs = performance.now() - t;
    const inFlightFetches = upstream.total;
    const inFlightStats = await gateways.inFlight.call("stats");

    // Same pages under 10 host names.
    upstream.reset();
    t = performance.now();
    const spreadAnswer = await query(gateways.spread.port);
    const spreadMs = performance.now() - t;
    const spreadConcurrency = upstream.maxInFlight;

    // Warm: every page known; one connection, so latency is the service time, not a queue.
    upstream.reset();
    const warmRequest = {
      url: `http://127.0.0.1:${gateways.first.port}/graphql`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: CITED_PAGES, variables: { id: threadId(1) } }),
    };
    await blast(warmRequest, { seconds: env.timing.coldWarmup, connections: 1 });
    // Timed is fine here: with one connection at most one request is abandoned, and nothing is measured after it.
    const warm = await blast(warmRequest, { seconds: env.timing.coldWarm, connections: 1 });
    const sorted = warm.latencies.sort((a, b) => a - b);

    return {
      pages: PAGES,
      upstreamLatencyMs: latencyMs,
      caps: { perHostConcurrency: 4, globalConcurrency: 32 },
      first: { ms: firstMs, resolved: first.resolved, upstreamFetches: firstFetches, maxConcurrentFetches: firstConcurrency },
      inFlight: {
        queries: 10,
        ms: inFlightMs,
        upstreamFetches: inFlightFetches,
        unfurlerFetches: inFlightStats.fetchCount,
        allResolved: answers.every((a) => a.resolved === PAGES),
      },
      spread: { hosts: hosts.length, ms: spreadMs, resolved: spreadAnswer.resolved, upstreamFetches: upstream.total, maxConcurrentFetches: spreadConcurrency },
      warm: {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        rps: warm.responses / warm.seconds,
        responses: warm.responses,
        upstreamFetches: upstream.total,
      },
    };
  } finally {
    const stopping = performance.now();
    await Promise.all(Object.values(gateways).map((g) => g.stop()));
    await upstream.close();
    env.log(`    gateways stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s`);
  }
}
