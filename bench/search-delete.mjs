/**
 * The search index's cost of deleting articles (a removed source's, `SearchIndex.deleteArticles`): one source's
 * articles (1 in 20) deleted from an index of N grouped articles, per size, in one process.
 *
 *   npm run build && node bench/search-delete.mjs [--sizes 2000,20000]
 *
 * Prints the time per deleted article; a cost that does not grow with N is what it checks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createSqliteSearchIndex } from "../dist/src/search/sqlite/index.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "2000,20000" } } });
const words = "glacier volcano harbour airport storm flood election budget court strike market energy rail bridge vaccine drought".split(" ");
const pick = (i, k) => words[(i * 7 + k * 3) % words.length];

for (const n of values.sizes.split(",").map(Number)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "crosswire-search-delete-"));
  const index = createSqliteSearchIndex({ file: path.join(dir, "search.db"), threshold: 0.37, windowMs: 72 * 3_600_000 });
  const docs = Array.from({ length: n }, (_, i) => ({
    key: `https://x.example/${i}`, url: `https://x.example/${i}`, canonicalUrl: `https://x.example/${i}`,
    title: `${pick(i, 0)} ${pick(i, 1)} ${pick(i, 2)} report ${i % 97}`, summaryText: `${pick(i, 3)} ${pick(i, 4)} news item ${i}`,
    author: null, sourceIds: [`s${i % 20}`], sourceNames: [`S${i % 20}`], publishedMs: 1.7e12 + i * 60_000,
  }));
  await index.indexArticles(docs);
  while (await index.groupPending(500)) { /* group everything first */ }
  const keys = docs.filter((_, i) => i % 20 === 3).map((d) => d.key);
  const started = performance.now();
  const deleted = await index.deleteArticles(keys);
  const ms = performance.now() - started;
  console.log(`${n} indexed, ${deleted} deleted: ${ms.toFixed(1)} ms, ${((ms * 1000) / deleted).toFixed(0)} µs per article`);
  await index.close();
  rmSync(dir, { recursive: true, force: true });
}
