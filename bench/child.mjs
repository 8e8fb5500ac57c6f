/**
 * One server of the bench, in its own process, so the load generator (run.mjs) and each server get their own
 * event loop, heap and CPU time, and a server's peak memory is its own.
 *
 *   node bench/child.mjs <role> <options as JSON>
 *
 * Roles: `prepare` (write a data directory, then exit), `crosswire` (a gateway), `floor` (the floor baseline).
 * It talks to run.mjs over the IPC channel: `{ id, op, args }` in, `{ id, result }` or `{ id, error }` out.
 */
import { readFileSync } from "node:fs";

const [role, json] = process.argv.slice(2);
const options = JSON.parse(json ?? "{}");

function serve(handlers) {
  process.on("message", async ({ id, op, args }) => {
    try {
      const handler = handlers[op];
      if (!handler) throw new Error(`unknown op "${op}" for role ${role}`);
      process.send({ id, result: (await handler(args)) ?? null });
    } catch (error) {
      process.send({ id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
}

// A server outlives no bench: when run.mjs goes away (crash, Ctrl-C), so do its children.
process.on("disconnect", () => {
  if (role !== "prepare") process.exit(0);
});

const memory = () => ({ maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: process.memoryUsage().rss });

/**
 * CPU time used so far, in ms: by the whole process (every thread) and by the main thread alone (Linux: its
 * /proc task entry, in clock ticks of 10 ms; null elsewhere). CPU time, unlike wall time, hardly moves when other
 * tenants load the machine, so per-item costs are comparable between runs.
 */
function cpu() {
  const { user, system } = process.cpuUsage();
  let mainMs = null;
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1].split(" ");
    mainMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100) ticks
  } catch {
    // not Linux
  }
  return { processCpuMs: (user + system) / 1000, mainCpuMs: mainMs };
}

/**
 * `options.jobs`: [{ dataDir, datasetFile, overrides? }]; the gateway is only loaded when a dataset has articles to
 * ingest. `overrides` (gateway config) put the forum and the articles into PostgreSQL and Redis instead.
 */
async function prepare() {
  const { writeForum } = await import("./forum-writer.mjs");
  for (const { dataDir, datasetFile, overrides } of options.jobs) {
    const dataset = JSON.parse(readFileSync(datasetFile, "utf8"));
    await writeForum(dataDir, dataset, { postgresUrl: overrides?.forum?.postgresUrl });
    if (dataset.articles?.length) await (await import("./gateway.mjs")).ingestArticles(dataDir, dataset, overrides);
  }
  process.send({ ready: true });
  process.disconnect();
}

async function crosswire() {
  const { startGateway } = await import("./gateway.mjs");
  const { fakeDns } = await import("./upstream.mjs");
  const lookup = options.dns ? fakeDns(options.dns) : undefined;
  const started = performance.now();
  let startupMs = 0;
  const { gateway, port } = await startGateway({
    dataDir: options.dataDir, overrides: options.overrides, batch: options.batch !== false, lookup, waitForSearch: options.waitForSearch !== false,
    onListening: () => (startupMs = performance.now() - started),
  });
  const forumDb = gateway.forums.get("local").database;
  // With cache.store "redis" there is no SQLite cache to count (scenario 10 counts through its proxy instead).
  const cacheDb = options.overrides?.cache?.store === "redis" ? { onStatement: () => () => {} } : gateway.cacheStore.database;
  let counting = null;
  // ArticleStore's search hook (a readonly property in TypeScript, a plain one at run time).
  const detachSearch = () => {
    if (gateway.news.store.onArticlesChanged) Object.defineProperty(gateway.news.store, "onArticlesChanged", { value: undefined });
  };
  serve({
    countStart() {
      counting = { forum: [], cache: [] };
      counting.offs = [
        forumDb.onStatement((sql) => counting.forum.push(sql.replace(/\s+/g, " ").trim().slice(0, 80))),
        cacheDb.onStatement((sql) => counting.cache.push(sql.replace(/\s+/g, " ").trim().slice(0, 80))),
      ];
    },
    countStop() {
      counting.offs.forEach((off) => off());
      const { forum, cache } = counting;
      counting = null;
      return { forum: forum.length, cache: cache.length, statements: [...forum.map((s) => `forum: ${s}`), ...cache.map((s) => `cache: ${s}`)] };
    },
    /**
     * Scenario 11: stores `n` generated articles (bench/seed.mjs). The search index is left out (its own cost is
     * not the store's): the store's hook to it is detached while seeding and while `upsert50` is timed.
     */
    async seed({ n }) {
      const { seedArticles } = await import("./seed.mjs");
      detachSearch();
      const started = performance.now();
      const how = await seedArticles(gateway, n);
      return { how, ms: performance.now() - started };
    },
    /** Scenario 11: one poll's store step, 50 new items of one source, timed here (ms). */
    async upsert50() {
      const { seedItems, SEED_SOURCES } = await import("./seed.mjs");
      detachSearch();
      const items = seedItems(50, { start: 10_000_000 });
      const started = performance.now();
      await gateway.news.store.upsert(SEED_SOURCES[0].id, items, new Date());
      return performance.now() - started;
    },
    /** Resolves when the search indexer has indexed everything stored so far. */
    async searchIdle() {
      await gateway.search.whenIdle();
    },
    /** The monotonic clock V8's profiler stamps samples with, in µs (run.mjs cuts profiles to a window). */
    now() {
      return Number(process.hrtime.bigint() / 1000n);
    },
    stats() {
      return { fetchCount: gateway.news.unfurler?.fetchCount ?? 0, parses: gateway.news.parser.tasksRun, parseWorkers: gateway.news.parser.size, ...memory(), ...cpu() };
    },
    async stop() {
      await gateway.stop();
      setImmediate(() => process.exit(0));
    },
  });
  process.send({ ready: true, port, startupMs, ...memory() });
}

async function floor() {
  const { startFloor } = await import("./floor.mjs");
  const dataset = JSON.parse(readFileSync(options.datasetFile, "utf8"));
  const server = await startFloor(dataset);
  serve({
    stats: memory,
    async stop() {
      await server.close();
      setImmediate(() => process.exit(0));
    },
  });
  process.send({ ready: true, port: server.port, ...memory() });
}

const roles = { prepare, crosswire, floor };
if (!roles[role]) {
  console.error(`bench/child.mjs: unknown role "${role}"; expected one of ${Object.keys(roles).join(", ")}`);
  process.exit(2);
}
roles[role]().catch((error) => {
  console.error(error);
  process.exit(1);
});
