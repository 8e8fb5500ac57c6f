/**
 * Search indexing cost per article: what the background indexer spends on the main thread for each article
 * (full-text document, grouping terms, story grouping), measured on the embedded SQLite index alone.
 *
 *   node bench/index-cost.mjs [--articles 10000] [--batch 50] [--rounds 3] [--baseline /path/to/other/dist]
 *
 * (after `npm run build`). A deterministic corpus of `--articles` articles over a Zipf vocabulary (20,000 words,
 * s = 1.07) with 1,500 events of 6 specific words each, 20 sources, a month of publication dates, is indexed
 * into a fresh search.db file the way src/search/service.ts drives it: `indexArticles` in batches of `--batch`,
 * then `groupPending(--batch)` until nothing is left, the writes inline (on this thread, not the search writer
 * thread the gateway uses). Reported per build: CPU µs per article (the process's user + system time) for indexing, for
 * grouping and in all (the median of `--rounds` runs, each in its own child process, builds interleaved
 * A B A B ...), and with `--baseline` the ratio baseline / this build (above 1: this build is faster). Each run
 * also prints a digest of the stories it made, so two builds that group differently show it.
 *
 * A baseline build of another commit: `git archive <commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules
 * /tmp/base/node_modules && (cd /tmp/base && npx tsc -p tsconfig.json)`, then `--baseline /tmp/base/dist`.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { prng } from "./data.mjs";

const HERE = fileURLToPath(import.meta.url);
const OWN_DIST = path.join(path.dirname(path.dirname(HERE)), "dist");
const DAY = 86_400_000;
const START_MS = Date.UTC(2026, 10, 1);

const LETTERS = "bcdfghjklmnprstvz";
const VOWELS = "aeiou";
/** Pronounceable, distinct words ("kavoru"), none a stop word. */
function word(i) {
  let w = "";
  let n = i + 1;
  do {
    w += LETTERS[n % LETTERS.length] + VOWELS[Math.floor(n / LETTERS.length) % VOWELS.length];
    n = Math.floor(n / (LETTERS.length * VOWELS.length));
  } while (n > 0);
  return `${w}x`;
}

/** The corpus: article docs as src/search/service.ts hands them to `indexArticles`. */
export function corpus(count, seed = 22) {
  const random = prng(seed);
  const vocabulary = 20_000;
  const weights = [];
  let total = 0;
  for (let r = 1; r <= vocabulary; r++) weights.push((total += 1 / r ** 1.07));
  const zipf = () => {
    const x = random() * total;
    let lo = 0;
    let hi = vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (weights[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return word(lo);
  };
  const events = Array.from({ length: 1_500 }, (_, e) => ({
    words: Array.from({ length: 6 }, (_, k) => word(vocabulary + e * 6 + k)),
    atMs: START_MS + Math.floor(random() * 30 * DAY),
  }));
  const docs = [];
  for (let i = 0; i < count; i++) {
    const event = events[Math.floor(random() * events.length)];
    const pick = () => event.words[Math.floor(random() * event.words.length)];
    const title = [pick(), zipf(), pick(), zipf(), zipf(), pick()].join(" ");
    const summary = Array.from({ length: 40 }, (_, k) => (k % 5 === 0 ? pick() : zipf())).join(" ");
    const source = `src${Math.floor(random() * 20)}`;
    const url = `https://${source}.example/news/${i}`;
    docs.push({
      key: url, url, canonicalUrl: url, title, summaryText: summary, author: `Author ${i % 97}`,
      sourceIds: [source], sourceNames: [`Source ${source}`],
      publishedMs: event.atMs + Math.floor(random() * 2 * DAY),
    });
  }
  return docs;
}

/** One measured run of the build in `dist` (in this process). */
async function runOnce(dist, count, batch) {
  const { createSqliteSearchIndex } = await import(pathToFileURL(path.join(dist, "src/search/sqlite/index.js")).href);
  const docs = corpus(count);
  const dir = mkdtempSync(path.join(os.tmpdir(), "index-cost-"));
  try {
    // Inline: the cost of the writes themselves, on this thread (the gateway runs them on the search writer thread).
    const index = createSqliteSearchIndex({ file: path.join(dir, "search.db"), threshold: 0.3, windowMs: 3 * DAY, writes: "inline" });
    // CPU time, not wall time: on a shared machine the wall clock mostly measures the other processes.
    const cpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    let started = cpuMs();
    for (let i = 0; i < docs.length; i += batch) await index.indexArticles(docs.slice(i, i + batch));
    const indexMs = cpuMs() - started;
    started = cpuMs();
    while ((await index.groupPending(batch)) > 0);
    const groupMs = cpuMs() - started;
    // Everything grouping decides: each article's story, each story's row (title, lead, counts, dates, centroid), aliases.
    const digest = createHash("sha1")
      .update(JSON.stringify(index.database.all("SELECT key, story_id FROM articles ORDER BY key")))
      .update(JSON.stringify(index.database.all("SELECT * FROM stories ORDER BY id")))
      .update(JSON.stringify(index.database.all("SELECT * FROM story_aliases ORDER BY id")))
      .digest("hex")
      .slice(0, 12);
    const storyCount = index.database.get("SELECT COUNT(*) AS n FROM stories").n;
    await index.close();
    return { indexUs: (indexMs * 1000) / count, groupUs: (groupMs * 1000) / count, stories: storyCount, digest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  const { values } = parseArgs({
    options: {
      articles: { type: "string", default: "10000" }, batch: { type: "string", default: "50" },
      rounds: { type: "string", default: "3" }, baseline: { type: "string" }, child: { type: "string" },
    },
  });
  const count = Number(values.articles);
  const batch = Number(values.batch);
  if (values.child) {
    process.stdout.write(JSON.stringify(await runOnce(values.child, count, batch)));
    return;
  }
  const builds = [{ name: "this build", dist: OWN_DIST }];
  if (values.baseline) builds.unshift({ name: "baseline", dist: path.resolve(values.baseline) });
  const runs = new Map(builds.map((b) => [b.name, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const build of builds) {
      const out = execFileSync(process.execPath, [HERE, "--child", build.dist, "--articles", String(count), "--batch", String(batch)], {
        encoding: "utf8", maxBuffer: 1 << 20,
      });
      const run = JSON.parse(out);
      runs.get(build.name).push(run);
      console.log(`${build.name} round ${round + 1}: index ${run.indexUs.toFixed(1)} µs + group ${run.groupUs.toFixed(1)} µs per article; ${run.stories} stories (digest ${run.digest})`);
    }
  }
  const summary = {};
  for (const [name, list] of runs) {
    summary[name] = {
      indexUs: median(list.map((r) => r.indexUs)), groupUs: median(list.map((r) => r.groupUs)),
      totalUs: median(list.map((r) => r.indexUs + r.groupUs)),
    };
    const s = summary[name];
    console.log(`${name}: median index ${s.indexUs.toFixed(1)} µs, group ${s.groupUs.toFixed(1)} µs, total ${s.totalUs.toFixed(1)} µs per article (${count} articles, batches of ${batch}, load ${os.loadavg()[0].toFixed(1)})`);
  }
  if (values.baseline) {
    const b = summary.baseline;
    const t = summary["this build"];
    console.log(`baseline / this build: index ${(b.indexUs / t.indexUs).toFixed(2)}×, group ${(b.groupUs / t.groupUs).toFixed(2)}×, total ${(b.totalUs / t.totalUs).toFixed(2)}×`);
  }
}

if (process.argv[1] === HERE) await main();
