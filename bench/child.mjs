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

/** `options.jobs`: [{ dataDir, datasetFile }]; the gateway is only loaded when a dataset has articles to ingest. */
async function prepare() {
  const { writeForum } = await import("./forum-writer.mjs");
  for (const { dataDir, datasetFile } of options.jobs) {
    const dataset = JSON.parse(readFileSync(datasetFile, "utf8"));
    await writeForum(dataDir, dataset);
    if (dataset.articles?.length) await (await import("./gateway.mjs")).ingestArticles(dataDir, dataset);
  }
  process.send({ ready: true });
  process.disconnect();
}

async function crosswire() {
  const { startGateway } = await import("./gateway.mjs");
  const { fakeDns } = await import("./upstream.mjs");
  const lookup = options.dns ? fakeDns(options.dns) : undefined;
  const { gateway, port } = await startGateway({ dataDir: options.dataDir, overrides: options.overrides, batch: options.batch !== false, lookup });
  const forumDb = gateway.forums.get("local").database;
  const cacheDb = gateway.cacheStore.database;
  let counting = null;
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
    /** The monotonic clock V8's profiler stamps samples with, in µs (run.mjs cuts profiles to a window). */
    now() {
      return Number(process.hrtime.bigint() / 1000n);
    },
    stats() {
      return { fetchCount: gateway.news.unfurler?.fetchCount ?? 0, parses: gateway.news.parser.tasksRun, ...memory() };
    },
    async stop() {
      await gateway.stop();
      setImmediate(() => process.exit(0));
    },
  });
  process.send({ ready: true, port, ...memory() });
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
