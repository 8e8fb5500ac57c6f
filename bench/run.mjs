/**
 * crosswire's benchmarks: `npm run bench` (full, a few minutes) or `npm run bench -- --quick` (under two minutes).
 *
 * Everything runs on loopback: the gateway (built, from dist/), the naive build (DataLoader off), the floor
 * baseline (plain graphql-js on node:http) and fixture upstreams, each server in its own process; this process
 * only generates data and drives load. Prints one table and writes bench/results.json. See bench/README.md.
 *
 * Options:
 *   --quick                 short rounds (the ratios are noisier)
 *   --only 1,2,5            run only these scenarios
 *   --seed N                data seed (default 42)
 *   --connections N         load connections (default 8)
 *   --upstream-latency MS   scenario 3's upstream latency (default 100)
 *   --feed-latency MS       scenario 4's upstream latency (default 0)
 *   --parse-workers N       scenario 4's news.parseWorkers (default: the gateway's default for this machine)
 *   --profile=WHAT [SECONDS]  instead of the scenarios: profile crosswire (node --cpu-prof) doing
 *                           warm (scenario 1), river (scenario 5) or ingestion (scenario 4); see runProfile
 *   --posts N               with --profile=warm: posts per page (default 100)
 *   --response-cache        with --profile=warm: crosswire with its response cache on (every request a hit)
 *   --node-env NAME         NODE_ENV of the server processes (default production)
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { generateDataset } from "./data.mjs";
import { blast, graphqlRequest } from "./load.mjs";
import { setNodeEnv, startChild } from "./processes.mjs";
import { summarizeProfile } from "./profile.mjs";
import { THREAD_PAGE, threadId } from "./queries.mjs";
import { formatTable, rows } from "./report.mjs";
import { coldCitations } from "./scenarios/cold-citations.mjs";
import { freshness } from "./scenarios/freshness.mjs";
import { INGESTION_ITEMS, ingestion, refreshAll, serveFeeds } from "./scenarios/ingestion.mjs";
import { syndication } from "./scenarios/syndication.mjs";
import { roundTrips, scaling, warmThreadPage } from "./scenarios/thread-page.mjs";
import { clusteredWarm, latencyProxy, startClustered } from "./scenarios/clustered.mjs";
import { storeSize } from "./scenarios/store-size.mjs";
import { RESPONSE_CACHE, responseCache, startCachedCrosswire } from "./scenarios/response-cache.mjs";
import { searchLatency } from "./search.mjs";
import { sourceConfigs } from "./shared.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);

const TIMING = {
  quick: {
    warm: { rounds: 3, seconds: 1, warmupSeconds: 0.75 },
    scaling: { rounds: 2, seconds: 0.75, warmupSeconds: 0.3 },
    syndication: { rounds: 2, seconds: 0.75, warmupSeconds: 0.3 },
    coldWarmup: 0.3,
    coldWarm: 1.5,
    ingestionRepeats: 1,
  },
  full: {
    warm: { rounds: 6, seconds: 4, warmupSeconds: 3 },
    scaling: { rounds: 4, seconds: 2.5, warmupSeconds: 1.5 },
    syndication: { rounds: 4, seconds: 2, warmupSeconds: 1 },
    coldWarmup: 1,
    coldWarm: 5,
    ingestionRepeats: 3,
  },
};

const { values: args, positionals } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    seed: { type: "string", default: "42" },
    connections: { type: "string", default: "8" },
    "upstream-latency": { type: "string", default: "100" },
    "feed-latency": { type: "string", default: "0" },
    "parse-workers": { type: "string" },
    profile: { type: "string" },
    posts: { type: "string", default: "100" },
    "response-cache": { type: "boolean", default: false },
    "node-env": { type: "string", default: "production" },
  },
  allowPositionals: true,
});

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpuModel;
  } catch {
    // not Linux: os.cpus() it is
  }
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    // not a git checkout (a tarball): say so rather than fail
  }
  return {
    node: process.version,
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel,
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryBytes: os.totalmem(),
    commit,
    date: new Date().toISOString(),
    // The machine is shared: a high load average means others were using the CPUs during the run.
    loadAverageAtStart: os.loadavg().map((n) => Number(n.toFixed(2))),
  };
}

function makeEnv(tmp) {
  const quick = args.quick;
  const log = (line) => process.stderr.write(`${line}\n`);
  let dirs = 0;
  const env = {
    quick,
    seed: Number(args.seed),
    connections: Number(args.connections),
    upstreamLatencyMs: Number(args["upstream-latency"]),
    feedLatencyMs: Number(args["feed-latency"]),
    parseWorkers: args["parse-workers"] ? Number(args["parse-workers"]) : undefined,
    timing: quick ? TIMING.quick : TIMING.full,
    log,
    tempDir(name) {
      const dir = path.join(tmp, `${String(++dirs).padStart(2, "0")}-${name}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    /**
     * Writes datasets into data directories (the forum, and the articles through feed ingestion when a dataset has
     * any), all in one child process. `jobs`: [[dataDir, dataset, overrides?], …] (overrides: the gateway config of the
     * stores to write into). Returns the dataset files, in order.
     */
    async prepare(...jobs) {
      const written = jobs.map(([dataDir, dataset, overrides]) => {
        const datasetFile = path.join(tmp, `dataset-${path.basename(dataDir)}.json`);
        writeFileSync(datasetFile, JSON.stringify(dataset));
        return { dataDir, datasetFile, overrides };
      });
      const child = await startChild("prepare", { jobs: written });
      const { code } = await child.exit;
      if (code !== 0) throw new Error(`preparing ${jobs.map(([d]) => d).join(", ")} failed (exit ${code})`);
      return written.map((w) => w.datasetFile);
    },
  };
  return env;
}

/**
 * The thread dataset in a data directory, plus crosswire, naive and floor servers over it (and, with `cached`, a
 * crosswire with its response cache on: scenario 12).
 */
async function startThreadServers(env, dataset, { profileDir, cached = false } = {}) {
  const base = env.tempDir("thread-data");
  const [datasetFile] = await env.prepare([base, dataset]);
  const copy = (name) => {
    const dir = env.tempDir(name);
    cpSync(base, dir, { recursive: true });
    return dir;
  };
  const overrides = { sources: sourceConfigs(dataset.sources), ...(profileDir && args["response-cache"] ? RESPONSE_CACHE : {}) };
  const execArgv = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const [crosswire, naive, floor] = await Promise.all([
    startChild("crosswire", { dataDir: copy("crosswire"), overrides }, { execArgv }),
    // The naive build: DataLoader off and the read cache off (cache.reads), so every lookup of every request reaches the store.
    profileDir ? null : startChild("crosswire", { dataDir: copy("naive"), overrides: { ...overrides, cache: { reads: { maxEntries: 0 } } }, batch: false }),
    profileDir ? null : startChild("floor", { datasetFile }),
  ]);
  const withCache = cached ? await startCachedCrosswire(overrides, copy) : {};
  return { crosswire, naive, floor, cached: withCache.server ?? null, cachedUnavailable: withCache.unavailable };
}

async function stopAll(servers) {
  await Promise.all(Object.values(servers).filter((s) => typeof s?.stop === "function").map((s) => s.stop()));
}

async function scenario(results, key, label, fn) {
  const started = performance.now();
  process.stderr.write(`${label}\n`);
  try {
    results.scenarios[key] = await fn();
  } catch (error) {
    process.stderr.write(`  failed: ${error.stack ?? error}\n`);
    results.scenarios[key] = { error: String(error.message ?? error) };
  }
  results.scenarios[key].wallSeconds = (performance.now() - started) / 1000;
}

async function runScenarios(tmp) {
  const env = makeEnv(tmp);
  const only = args.only ? new Set(args.only.split(",").map((s) => Number(s.trim()))) : null;
  const wanted = (n) => !only || only.has(n);
  const results = {
    meta: { ...machine(), quick: env.quick, seed: env.seed, connections: env.connections, nodeEnv: args["node-env"], timing: env.timing },
    scenarios: {},
  };
  const started = performance.now();

  if ([1, 2, 5, 6, 12].some(wanted)) {
    process.stderr.write("preparing the thread dataset and starting crosswire, naive and floor…\n");
    const dataset = generateDataset({ seed: env.seed });
    const servers = await startThreadServers(env, dataset, { cached: wanted(12) }).catch((error) => error);
    const run = (n, key, label, fn) =>
      wanted(n) && scenario(results, key, label, () => (servers instanceof Error ? Promise.reject(servers) : fn(servers)));
    try {
      await run(1, "warm", "1. warm thread page", (s) => warmThreadPage(env, s));
      await run(2, "roundTrips", "2. round trips", (s) => roundTrips(env, s));
      await run(5, "syndication", "5. syndication", (s) => syndication(env, s));
      await run(6, "scaling", "6. scaling with data", (s) => scaling(env, s));
      await run(12, "responseCache", "12. warm thread page, response cache on", (s) => responseCache(env, s));
    } finally {
      if (!(servers instanceof Error)) await stopAll(servers);
    }
  }
  if ([9, 10].some(wanted)) {
    process.stderr.write("preparing the thread dataset in PostgreSQL + Redis and starting crosswire (direct, through the latency proxy) and floor…\n");
    const clustered = await startClustered(env, generateDataset({ seed: env.seed })).catch((error) => error);
    const run = (n, key, label, fn) =>
      wanted(n) && scenario(results, key, label, () => (clustered instanceof Error ? Promise.reject(clustered) : fn(clustered)));
    try {
      await run(9, "clusteredWarm", "9. warm thread page on PostgreSQL + Redis", (c) => clusteredWarm(env, c));
      await run(10, "latencyProxy", "10. 1 ms each way in front of PostgreSQL and Redis", (c) => latencyProxy(env, c));
    } finally {
      if (!(clustered instanceof Error)) await clustered.stop();
    }
  }
  if (wanted(3)) await scenario(results, "coldCitations", "3. cold citations", () => coldCitations(env));
  if (wanted(4)) await scenario(results, "ingestion", "4. feed ingestion", () => ingestion(env));
  if (wanted(7)) await scenario(results, "search", "7. search latency", () => searchLatency(env));
  if (wanted(8)) await scenario(results, "freshness", "8. freshness (poll, WebSub push, subscriber)", () => freshness(env));
  if (wanted(11)) await scenario(results, "storeSize", "11. store size", () => storeSize(env));

  results.meta.wallSeconds = (performance.now() - started) / 1000;
  results.meta.loadAverageAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));
  const table = rows(results);
  results.table = table;
  writeFileSync(path.join(BENCH_DIR, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.meta;
  console.log(`\ncrosswire bench${env.quick ? " (quick)" : ""} · ${m.commit.slice(0, 12)} · node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.date}`);
  console.log(`load average (1 min) at start ${m.loadAverageAtStart[0]}, at end ${m.loadAverageAtEnd[0]}\n`);
  console.log(formatTable(table));
  console.log(`\nbench/results.json written; ${m.wallSeconds.toFixed(0)} s.`);
  return table.some((r) => r.check === "FAIL") ? 1 : 0;
}

/**
 * `--profile=<what>`: crosswire alone, under node --cpu-prof, doing one scenario's work; prints where the CPU time
 * went during the workload only (start-up cut off), for every thread (the main thread and, for ingestion, the parse
 * worker), and keeps the .cpuprofile files.
 *   warm       scenario 1's query (`--posts`, default 100) under load for SECONDS (default 15)
 *   river      scenario 5's /feeds/river.atom under load for SECONDS
 *   ingestion  scenario 4's first poll, the search indexing that follows it, and the 304 poll (lines also in µs
 *              per item ingested)
 */
async function runProfile(tmp, what) {
  const env = makeEnv(tmp);
  const seconds = Number(positionals[0] ?? 15);
  const profileDir = path.join(tmp, "profile");
  const execArgv = ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
  const window = {};
  if (what === "warm" || what === "river") {
    const servers = await startThreadServers(env, generateDataset({ seed: env.seed }), { profileDir });
    try {
      const posts = Number(args.posts);
      const request = what === "warm"
        ? graphqlRequest(servers.crosswire.port, THREAD_PAGE, { id: threadId(posts > 100 ? 2 : 1), first: posts })
        : { url: `http://127.0.0.1:${servers.crosswire.port}/feeds/river.atom` };
      await blast(request, { seconds: 2, connections: env.connections });
      window.from = await servers.crosswire.call("now");
      const run = await blast(request, { seconds, connections: env.connections });
      window.to = await servers.crosswire.call("now");
      console.log(`profiled ${run.responses} requests (${(run.responses / run.seconds).toFixed(1)} req/s under the profiler)${what === "warm" ? `, ${posts} posts per page` : ""}`);
    } finally {
      await stopAll(servers);
    }
  } else if (what === "ingestion") {
    const { upstream, overrides } = await serveFeeds(env);
    const gateway = await startChild("crosswire", { dataDir: env.tempDir("ingest-profile"), overrides }, { execArgv });
    try {
      window.from = await gateway.call("now");
      let t = performance.now();
      await refreshAll(gateway.port);
      console.log(`first poll under the profiler: ${(performance.now() - t).toFixed(0)} ms`);
      // The search indexer works through the new articles after the poll: on the main thread, so it is in the window.
      t = performance.now();
      await gateway.call("searchIdle");
      console.log(`search indexing after it: ${(performance.now() - t).toFixed(0)} ms more`);
      t = performance.now();
      await refreshAll(gateway.port);
      console.log(`304 poll under the profiler: ${(performance.now() - t).toFixed(0)} ms`);
      window.to = await gateway.call("now");
      window.items = INGESTION_ITEMS;
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  } else {
    throw new Error(`--profile=${what}: expected warm, river or ingestion`);
  }
  const { readdirSync } = await import("node:fs");
  const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile")).sort();
  if (files.length === 0) throw new Error("no .cpuprofile was written");
  const keep = mkdtempSync(path.join(os.tmpdir(), `crosswire-profile-${what}-`));
  for (const file of files) {
    const kept = path.join(keep, file);
    cpSync(path.join(profileDir, file), kept);
    const summary = summarizeProfile(JSON.parse(readFileSync(kept, "utf8")), ROOT, window, 25, window.items ?? 0);
    if (summary === null) continue; // a thread that did nothing in the window (the idle parse worker)
    console.log(`\n=== ${file} ===`);
    console.log(summary);
  }
  console.log(`\nprofiles kept in ${keep} (open them in Chrome DevTools → Performance, or speedscope)`);
  return 0;
}

setNodeEnv(args["node-env"]);
const tmp = mkdtempSync(path.join(os.tmpdir(), "crosswire-bench-"));
let code = 1;
try {
  code = args.profile ? await runProfile(tmp, args.profile) : await runScenarios(tmp);
} catch (error) {
  console.error(error);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
