/**
 * Scenario 4: 20 feeds × 500 items (RSS and Atom alternating) on a loopback upstream, polled through the
 * admin `refreshAllSources` mutation with the default settings (the default parse pool — one worker per spare
 * core, at most 4 — or `--parse-workers N`; 4 requests per host). First poll: everything is parsed and stored;
 * besides items/s, the CPU time per item of the main thread and of the other threads (the parse workers, mostly),
 * which a loaded machine moves much less than wall time. Second poll: the upstream answers 304 to the stored
 * ETag, and nothing may be parsed. Each repetition is a fresh gateway process, so its peak RSS is this work's.
 */
import { performance } from "node:perf_hooks";
import { ADMIN_TOKEN, sourceConfigs } from "../shared.mjs";
import { ingestionFeeds } from "../data.mjs";
import { CONTENT_TYPE, renderFeed } from "../feeds.mjs";
import { startChild } from "../processes.mjs";
import { startUpstream } from "../upstream.mjs";

const FEEDS = 20;
const ITEMS = 500;
/** Items stored by the first poll (the profile's per-item figures divide by it). */
export const INGESTION_ITEMS = FEEDS * ITEMS;

export async function refreshAll(port) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query: "mutation { refreshAllSources { slug health { status itemCount lastError } } }" }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`refreshAllSources failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data.refreshAllSources;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

/** A small query (no store behind it but the forum's board list), as a client would send during a big poll. */
const PROBE_QUERY = JSON.stringify({ query: "{ forums { name } }" });
const PROBE_GAP_MS = 10;

/**
 * Sends the small query at one connection, PROBE_GAP_MS apart, until `stop()`: the latencies a GraphQL client sees
 * while the gateway polls and indexes. Returns { stop(): Promise<number[]> } (the latencies in ms).
 */
export function probeLatency(port) {
  const latencies = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: PROBE_QUERY });
      const body = await res.json();
      if (body.errors) throw new Error(`probe query failed: ${JSON.stringify(body.errors).slice(0, 200)}`);
      latencies.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

/** The 20 feeds on a loopback upstream (ETag on each), and the gateway config that polls them. */
export async function serveFeeds(env) {
  const feeds = ingestionFeeds({ seed: env.seed, feeds: FEEDS, items: ITEMS });
  const upstream = await startUpstream({ host: "127.0.0.1", latencyMs: env.feedLatencyMs });
  let feedBytes = 0;
  for (const { source, items } of feeds) {
    const body = renderFeed(source, items);
    feedBytes += Buffer.byteLength(body);
    upstream.route(`/feeds/${source.id}.xml`, { body, contentType: CONTENT_TYPE[source.format], etag: `"${source.id}-v1"` });
  }
  const sources = sourceConfigs(feeds.map((f) => f.source), (s) => upstream.url(`/feeds/${s.id}.xml`));
  const news = { demoFeeds: false, poll: false, ...(env.parseWorkers ? { parseWorkers: env.parseWorkers } : {}) };
  // A fetch may wait behind the others for a while on a loaded machine: the default 15 s failed a feed at load 8.
  return { upstream, feedBytes, overrides: { sources, news, net: { allowAddresses: ["127.0.0.1"], timeoutMs: 120_000 } } };
}

export async function ingestion(env) {
  const { upstream, feedBytes, overrides } = await serveFeeds(env);
  const runs = [];
  let latency = null;
  try {
    // The repetitions measure throughput and CPU; one more, with the small query sent throughout, its latency (its
    // requests would count in the main thread's CPU per item).
    for (let rep = 0; rep <= env.timing.ingestionRepeats; rep++) {
      const probing = rep === env.timing.ingestionRepeats;
      const gateway = await startChild("crosswire", { dataDir: env.tempDir(`ingest-${rep}`), overrides });
      try {
        let quietLatencies = [];
        if (probing) {
          const quiet = probeLatency(gateway.port);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          quietLatencies = await quiet.stop();
        }
        const idle = await gateway.call("stats");
        upstream.reset();
        let t = performance.now();
        const probe = probing ? probeLatency(gateway.port) : null;
        const polled = await refreshAll(gateway.port);
        const firstMs = performance.now() - t;
        const bad = polled.filter((s) => s.health.status !== "OK" || s.health.itemCount !== ITEMS);
        if (bad.length) throw new Error(`first poll: ${bad.length} sources not OK with ${ITEMS} items, e.g. ${JSON.stringify(bad[0])}`);
        const afterFirst = await gateway.call("stats");
        // The search indexer works through the new articles after the poll (its writes on the search writer thread).
        await gateway.call("searchIdle");
        const indexed = await gateway.call("stats");
        if (probe) {
          const busy = await probe.stop();
          latency = { quietP50Ms: percentile(quietLatencies, 0.5), busyP50Ms: percentile(busy, 0.5), busyP99Ms: percentile(busy, 0.99), busyProbes: busy.length };
          env.log(`    latency probe: first poll ${(performance.now() - t).toFixed(0)} ms with indexing, p50 ${latency.busyP50Ms.toFixed(1)} ms`);
          continue;
        }

        upstream.reset();
        t = performance.now();
        const repolled = await refreshAll(gateway.port);
        const notModifiedMs = performance.now() - t;
        const afterSecond = await gateway.call("stats");
        runs.push({
          firstMs,
          itemsPerSecond: (FEEDS * ITEMS) / (firstMs / 1000),
          firstParses: afterFirst.parses - idle.parses,
          parseWorkers: idle.parseWorkers,
          mainMicrosPerItem: afterFirst.mainCpuMs === null ? NaN : ((afterFirst.mainCpuMs - idle.mainCpuMs) * 1000) / (FEEDS * ITEMS),
          otherMicrosPerItem: afterFirst.mainCpuMs === null ? NaN
            : ((afterFirst.processCpuMs - idle.processCpuMs - (afterFirst.mainCpuMs - idle.mainCpuMs)) * 1000) / (FEEDS * ITEMS),
          indexedMainMicrosPerItem: indexed.mainCpuMs === null ? NaN : ((indexed.mainCpuMs - idle.mainCpuMs) * 1000) / (FEEDS * ITEMS),
          idleRssBytes: idle.rssBytes,
          peakRssBytes: afterFirst.maxRssBytes,
          notModifiedMs,
          notModifiedAnswers: upstream.notModified,
          notModifiedParses: afterSecond.parses - afterFirst.parses,
          notModifiedAllOk: repolled.every((s) => s.health.status === "OK" && s.health.itemCount === ITEMS),
        });
      } finally {
        await gateway.stop();
      }
      env.log(`    repetition ${rep + 1}: first poll ${runs.at(-1).firstMs.toFixed(0)} ms, 304 poll ${runs.at(-1).notModifiedMs.toFixed(0)} ms`);
    }
  } finally {
    await upstream.close();
  }
  const pick = (key) => median(runs.map((r) => r[key]));
  return {
    feeds: FEEDS,
    itemsPerFeed: ITEMS,
    feedBytes,
    repetitions: runs.length,
    firstMs: pick("firstMs"),
    itemsPerSecond: pick("itemsPerSecond"),
    parseWorkers: runs[0]?.parseWorkers,
    mainMicrosPerItem: pick("mainMicrosPerItem"),
    otherMicrosPerItem: pick("otherMicrosPerItem"),
    indexedMainMicrosPerItem: pick("indexedMainMicrosPerItem"),
    ...latency,
    peakRssBytes: pick("peakRssBytes"),
    idleRssBytes: pick("idleRssBytes"),
    notModifiedMs: pick("notModifiedMs"),
    notModifiedParses: Math.max(...runs.map((r) => r.notModifiedParses)),
    notModifiedAnswers: pick("notModifiedAnswers"),
    runs,
  };
}
