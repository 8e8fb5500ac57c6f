/**
 * Scenario 3: threads citing 50 distinct pages that no feed carries, on an upstream that answers after
 * `upstreamLatencyMs`. Unfurling is on (the only scenario where it is), reaching 127.0.0.2 through
 * `net.allowAddresses` exactly as test/unfurl.test.ts does; default concurrency caps. One gateway, three threads,
 * each citing its own 50 URLs, so each measure starts cold:
 *
 *   first      thread 1, one query: wall time of the full response (50 URLs on one host)
 *   in flight  thread 2, 10 identical queries at once: upstream fetches (must be 50)
 *   spread     thread 3, the same pages as thread 1 under 10 host names (5 each, fake DNS to 127.0.0.2)
 *   warm       thread 1 again, every page now known: latency with 1 connection
 */
import { performance } from "node:perf_hooks";
import { blast, percentile } from "../load.mjs";
import { startChild } from "../processes.mjs";
import { CITED_PAGES, threadId } from "../queries.mjs";
import { citationThreads } from "../data.mjs";
import { startUpstream } from "../upstream.mjs";

const PAGES = 50;

const page = (title) =>
  `<!doctype html><html><head><title>${title} | Bench Post</title><meta property="og:title" content="${title}">` +
  `<meta property="og:site_name" content="Bench Post"><meta property="article:published_time" content="2026-11-20T10:00:00Z">` +
  `</head><body><p>${"Text of the story. ".repeat(40)}</p></body></html>`;

async function query(port, thread) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: CITED_PAGES, variables: { id: threadId(thread) } }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`cold citations query failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  const statuses = body.data.thread.posts.edges.map((e) => e.node.citations[0]?.status);
  return { resolved: statuses.filter((s) => s === "RESOLVED").length, statuses };
}

export async function coldCitations(env) {
  const latencyMs = env.upstreamLatencyMs;
  const upstream = await startUpstream({ host: "127.0.0.2", latencyMs });
  for (let i = 1; i <= 2 * PAGES; i++) upstream.route(`/story/${i}`, { body: page(`Story ${i}`) });
  const hosts = Array.from({ length: 10 }, (_, h) => `news-${h + 1}.bench.test`);
  const dns = Object.fromEntries(hosts.map((h) => [h, "127.0.0.2"]));
  const urls = (from, host = (i) => upstream.host) => Array.from({ length: PAGES }, (_, i) => upstream.url(`/story/${from + i}`, host(i)));
  const threads = [urls(1), urls(PAGES + 1), urls(1, (i) => hosts[i % hosts.length])];
  const overrides = { unfurl: { enabled: true }, net: { allowAddresses: ["127.0.0.2"] } };

  const dataDir = env.tempDir("cold-citations");
  await env.prepare([dataDir, citationThreads(threads)]);
  const gateway = await startChild("crosswire", { dataDir, overrides, dns });
  try {
    const measure = async (run) => {
      upstream.reset();
      const t = performance.now();
      const answer = await run();
      return { answer, ms: performance.now() - t, upstreamFetches: upstream.total, maxConcurrentFetches: upstream.maxInFlight };
    };
    const first = await measure(() => query(gateway.port, 1));
    const fetchesBefore = (await gateway.call("stats")).fetchCount;
    const inFlight = await measure(() => Promise.all(Array.from({ length: 10 }, () => query(gateway.port, 2))));
    const unfurlerFetches = (await gateway.call("stats")).fetchCount - fetchesBefore;
    const spread = await measure(() => query(gateway.port, 3));

    // Warm: every page known; one connection, so latency is the service time, not a queue.
    upstream.reset();
    const warmRequest = {
      url: `http://127.0.0.1:${gateway.port}/graphql`,
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
      first: { ms: first.ms, resolved: first.answer.resolved, upstreamFetches: first.upstreamFetches, maxConcurrentFetches: first.maxConcurrentFetches },
      inFlight: {
        queries: 10,
        ms: inFlight.ms,
        upstreamFetches: inFlight.upstreamFetches,
        unfurlerFetches,
        allResolved: inFlight.answer.every((a) => a.resolved === PAGES),
      },
      spread: {
        hosts: hosts.length, ms: spread.ms, resolved: spread.answer.resolved,
        upstreamFetches: spread.upstreamFetches, maxConcurrentFetches: spread.maxConcurrentFetches,
      },
      warm: {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        rps: warm.responses / warm.seconds,
        responses: warm.responses,
        unexpected: Object.entries(warm.statuses).filter(([s]) => s !== "200").reduce((n, [, c]) => n + c, 0),
        upstreamFetches: upstream.total,
      },
    };
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}
