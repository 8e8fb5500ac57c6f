/**
 * The remote forums' post index at 1,000 / 10,000 / 100,000 stored posts (issue 22 item 4): the cost of one 50-post
 * write (`PostIndex.put`, what a forum-feed poll or a Discourse posts.json batch stores) and of a thread page (50 posts
 * by position, forum-feed's Thread.posts; and the 50 posts by id, forum-discourse's page of a topic's stream), each
 * as a ratio to its 1,000-post cost; and the source's newest 20 posts (the river's page of a remote forum).
 *
 *   node bench/post-index.mjs [--sizes 1000,10000,100000] [--rounds 2] [--samples 30] [--baseline /path/to/other/dist]
 *
 * (after `npm run build`). Each run is a child process on a fresh data dir: the embedded SQLite forum.db and keyv
 * cache.db, seeded through `put` in batches of 2,000 (100 posts per thread, 50 authors, a link in every third post),
 * then `--samples` timed calls of each measure after 10 untimed ones (median). Runs are interleaved: sizes in turn,
 * `--rounds` times (builds in turn within each size with `--baseline`), and each measure's figure is the median over
 * rounds. A keyv-era build (`--baseline`, PostIndex(keyv, sourceId)) has no thread page by position: it reports the
 * write and the page by id only.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const HERE = fileURLToPath(import.meta.url);
const OWN_DIST = path.join(path.dirname(path.dirname(HERE)), "dist");
const PER_THREAD = 100;
const START_MS = Date.UTC(2026, 0, 1);

const post = (n, thread = Math.floor(n / PER_THREAD), position = (n % PER_THREAD) + 1) => ({
  id: String(n), threadId: `t${thread}`, authorId: `u${n % 50}`, position,
  bodyHtml: n % 3 === 0 ? `<p>Post ${n} cites <a href="https://news.example/story/${n % 997}">a story</a>.</p>` : `<p>Post ${n}, no links.</p>`,
  createdAt: new Date(START_MS + n * 60_000), editedAt: null,
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(dist, size, samples) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "crosswire-bench-postrows-"));
  try {
    const { createCache } = await import(pathToFileURL(`${dist}/src/cache/index.js`).href);
    const { PostIndex } = await import(pathToFileURL(`${dist}/src/forums/post-index.js`).href);
    const { keyv } = createCache(dir);
    const rows = PostIndex.prototype.threadPages !== undefined;
    let db = null;
    if (rows) {
      const { SqliteSqlDatabase } = await import(pathToFileURL(`${dist}/src/db/sqlite-async.js`).href);
      db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
    }
    const index = rows ? new PostIndex(keyv, db, "bench") : new PostIndex(keyv, "bench");
    const seedStart = performance.now();
    for (let from = 0; from < size; from += 2000) {
      await index.put(Array.from({ length: Math.min(2000, size - from) }, (_, i) => post(from + i)));
    }
    const seedMs = performance.now() - seedStart;
    const middle = Math.floor(size / PER_THREAD / 2);
    const pageIds = Array.from({ length: 50 }, (_, i) => String(middle * PER_THREAD + 20 + i));
    let next = size + 1_000_000;
    // A write: 50 new posts of one new thread (a poll's worth), new ids each time.
    const write = () => {
      const thread = `w${next}`;
      const batch = Array.from({ length: 50 }, (_, i) => ({ ...post(next + i), threadId: thread, position: i + 1 }));
      next += 50;
      return index.put(batch);
    };
    const byId = () => index.posts(pageIds);
    const byPosition = () => index.threadPages([{ parentId: `t${middle}`, first: 50, after: [20] }]);
    const recent = () => index.recentPages([{ parentId: "", first: 20 }]);
    const measures = { write, pageById: byId, ...(rows ? { pageByPosition: byPosition } : {}), recentPage: recent };
    const out = { size, seedMs: Math.round(seedMs) };
    for (const [name, fn] of Object.entries(measures)) {
      for (let i = 0; i < 10; i++) await fn();
      const times = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        await fn();
        times.push(performance.now() - t0);
      }
      out[name] = median(times);
    }
    const check = rows ? (await byPosition())[0].edges.map((e) => e.node.id) : null;
    if (check && check.join() !== pageIds.join()) throw new Error(`thread page ${check.join()} is not ${pageIds.join()}`);
    await keyv.disconnect?.();
    await db?.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,100000" },
    rounds: { type: "string", default: "2" },
    samples: { type: "string", default: "30" },
    baseline: { type: "string" },
    child: { type: "string" },
    dist: { type: "string" },
  },
});

if (values.child) {
  console.log(JSON.stringify(await child(values.dist, Number(values.child), Number(values.samples))));
} else {
  const sizes = values.sizes.split(",").map(Number);
  const builds = [["this", OWN_DIST], ...(values.baseline ? [["baseline", path.resolve(values.baseline)]] : [])];
  const results = new Map();
  console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const size of sizes) {
      for (const [name, dist] of builds) {
        const stdout = execFileSync(process.execPath, [HERE, "--child", String(size), "--dist", dist, "--samples", values.samples], { encoding: "utf8", maxBuffer: 1 << 24 });
        const run = JSON.parse(stdout.trim().split("\n").at(-1));
        const key = `${name}:${size}`;
        results.set(key, [...(results.get(key) ?? []), run]);
        console.log(`round ${round + 1} ${name} ${size}: ${JSON.stringify(run)}`);
      }
    }
  }
  console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const [name] of builds) {
    const base = results.get(`${name}:${sizes[0]}`);
    for (const measure of Object.keys(base[0]).filter((k) => k !== "size" && k !== "seedMs")) {
      const at = (size) => median(results.get(`${name}:${size}`).map((r) => r[measure]));
      const cells = sizes.map((size) => `${size}: ${at(size).toFixed(3)} ms (${(at(size) / at(sizes[0])).toFixed(2)}×)`);
      console.log(`${name} ${measure}: ${cells.join(", ")}`);
    }
    console.log(`${name} seeding: ${sizes.map((size) => `${size}: ${median(results.get(`${name}:${size}`).map((r) => r.seedMs))} ms`).join(", ")}`);
  }
}
