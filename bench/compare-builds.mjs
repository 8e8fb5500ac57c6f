/**
 * Two builds of crosswire on the warm thread page (scenario 1's query and data), against the floor, in one
 * interleaved run: the question "did this branch make the read path faster, and by how much of the floor?".
 *
 *   git worktree add /tmp/cw-before main && (cd /tmp/cw-before && ln -s /work/main/node_modules && npm run build)
 *   npm run build && node bench/compare-builds.mjs --before /tmp/cw-before [--posts 100] [--rounds 4] [--seconds 2]
 *   git worktree remove /tmp/cw-before
 *
 * Targets, each its own process over its own copy of one data directory (written by this build; the --before
 * build writes its own, in its own layout):
 *   floor              plain graphql-js over in-memory maps (bench/floor.mjs)
 *   before             the --before build's gateway (its own bench/child.mjs and dist/)
 *   after              this build's gateway
 *   after+semi64       this build under `node --max-semi-space-size=64` (as `npm start` runs it)
 *   after+cache        this build with the response cache on (cache.responses.enabled)
 * Every target must first give the floor's exact JSON. Prints req/s, p50 and each target's ratio to the floor
 * (total, and the range of the per-round ratios); --json FILE writes the numbers.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateDataset } from "./data.mjs";
import { graphqlRequest, interleave, ratio } from "./load.mjs";
import { startChild } from "./processes.mjs";
import { THREAD_PAGE, threadId } from "./queries.mjs";
import { sourceConfigs } from "./shared.mjs";
import { checkSameAnswers } from "./scenarios/thread-page.mjs";

const { values: args } = parseArgs({
  options: {
    before: { type: "string" },
    posts: { type: "string", default: "100" },
    rounds: { type: "string", default: "4" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "8" },
    only: { type: "string" },
    json: { type: "string" },
  },
});
if (!args.before) {
  console.error("bench/compare-builds.mjs: --before <dir of a built crosswire checkout> is required");
  process.exit(2);
}

const log = (line) => process.stderr.write(`${line}\n`);
const posts = Number(args.posts);
const tmp = mkdtempSync(path.join(os.tmpdir(), "crosswire-compare-"));
const servers = {};

try {
  const dataset = generateDataset({ seed: 42 });
  const base = path.join(tmp, "data");
  mkdirSync(base);
  const datasetFile = path.join(tmp, "dataset.json");
  writeFileSync(datasetFile, JSON.stringify(dataset));
  log("preparing the thread dataset…");
  const prepare = await startChild("prepare", { jobs: [{ dataDir: base, datasetFile }] });
  if ((await prepare.exit).code !== 0) throw new Error("preparing the data failed");
  const copy = (name) => {
    const dir = path.join(tmp, name);
    cpSync(base, dir, { recursive: true });
    return dir;
  };
  const overrides = { sources: sourceConfigs(dataset.sources) };
  const beforeChild = path.resolve(args.before, "bench", "child.mjs");
  // The --before build writes its own copy: data layouts differ between builds (articles were keyv records before
  // migration 1001 and are rows since; a build reads no articles from a data dir in the other's layout).
  const preparedBy = async (name, childFile) => {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    const job = await startChild("prepare", { jobs: [{ dataDir: dir, datasetFile }] }, { childFile });
    if ((await job.exit).code !== 0) throw new Error(`preparing the data with ${childFile} failed`);
    return dir;
  };
  const all = {
    floor: () => startChild("floor", { datasetFile }),
    before: async () => startChild("crosswire", { dataDir: await preparedBy("before", beforeChild), overrides }, { childFile: beforeChild }),
    after: () => startChild("crosswire", { dataDir: copy("after"), overrides }),
    "after+semi64": () => startChild("crosswire", { dataDir: copy("semi"), overrides }, { execArgv: ["--max-semi-space-size=64"] }),
    "after+cache": () => startChild("crosswire", { dataDir: copy("cache"), overrides: { ...overrides, cache: { responses: { enabled: true } } } }),
  };
  const names = args.only ? ["floor", ...args.only.split(",").filter((n) => n !== "floor")] : Object.keys(all);
  for (const name of names) servers[name] = await all[name]();
  for (const name of names.filter((n) => n !== "floor")) {
    await checkSameAnswers({ crosswire: servers[name], floor: servers.floor }, 1, posts, ["floor"]);
  }
  const targets = Object.fromEntries(names.map((n) => [n, graphqlRequest(servers[n].port, THREAD_PAGE, { id: threadId(1), first: posts })]));
  const loadAtStart = os.loadavg().map((n) => n.toFixed(2));
  const results = await interleave(targets, {
    rounds: Number(args.rounds), seconds: Number(args.seconds), warmupSeconds: Number(args.warmup), connections: Number(args.connections), log,
  });
  const loadAtEnd = os.loadavg().map((n) => n.toFixed(2));
  const rowsOut = names.map((n) => {
    const r = ratio(results[n], results.floor);
    return { target: n, rps: results[n].rps, p50: results[n].p50, overFloor: r.value, min: r.min, max: r.max };
  });
  console.log(`warm thread page, ${posts} posts × 3 citations, ${args.connections} connections, ${args.rounds} interleaved rounds; load ${loadAtStart.join(" ")} → ${loadAtEnd.join(" ")}`);
  console.log("target          req/s    p50 ms   × floor (per-round range)");
  for (const row of rowsOut) {
    console.log(`${row.target.padEnd(14)} ${row.rps.toFixed(1).padStart(7)} ${row.p50.toFixed(1).padStart(8)}   ${row.overFloor.toFixed(2)}× (${row.min.toFixed(2)}–${row.max.toFixed(2)})`);
  }
  if (results.before) {
    const gain = ratio(results.after, results.before);
    console.log(`after / before: ${gain.value.toFixed(2)}× (${gain.min.toFixed(2)}–${gain.max.toFixed(2)})`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ posts, loadAtStart, loadAtEnd, rows: rowsOut }, null, 2));
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(tmp, { recursive: true, force: true });
}
