/**
 * Search latency on the search corpus (test/fixtures/search: 302 articles from 6 feeds, 10 threads, 109 posts).
 *
 *   NODE_ENV=production node bench/search.mjs [--rounds N] [--quick]      (after `npm run build`)
 *
 * A gateway (dist/) on loopback polls the six corpus feeds from a loopback server, indexes and groups them, and
 * indexes the corpus forum; then the 27 queries of test/search.test.ts are sent round after round as GraphQL
 * requests (one at a time, one connection), each asking for 10 hits with score, snippet and the node's fields.
 * Reported: p50/p95/p99 of the whole request as the client sees it, and p50 of the index call alone (query
 * parsing, FTS5 match, BM25, snippets). Target: p50 under 20 ms.
 *
 * From run.mjs: `import { searchLatency, searchRows } from "./search.mjs"`, run
 * `await scenario(results, "search", "7. search latency", () => searchLatency(env))`, and in the table
 * `searchRows(results.scenarios.search, add)` (same `add(scenario, measure, value, target, check)` as report.mjs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createLocalForumSource, indexCitations } from "../dist/sources/forum-local/index.js";
import { seedDemoForum } from "../dist/sources/forum-local/seed.js";
import { parseSearchQuery } from "../dist/src/search/query.js";
import { startGateway } from "./gateway.mjs";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CORPUS = path.join(ROOT, "test", "fixtures", "search");
const TARGET_P50_MS = 20;

/** The query table of test/search.test.ts (query, types). */
export const QUERIES = [
  ['"Storm Imara"', ["ARTICLE"]], ["veloria kestra truce", null], ["veloria kestra truce", ["ARTICLE"]], ['"Ilse Maren"', ["ARTICLE"]],
  ['dock strike "Calder Bay"', ["ARTICLE"]], ["Ivrby harbour strike", ["ARTICLE"]], ["cholera Lowmere", null], ["typhoid Eskmere", ["ARTICLE"]],
  ["snap election Northmark", ["ARTICLE"]], ["Northmark election -snap", ["ARTICLE"]], ["Rusk rates", null], ["surveillance law Veloria", null],
  ['"Port Saline United"', ["ARTICLE"]], ["rice harvest", null], ["lantern festival Calder", null], ["timber tariff", ["ARTICLE"]],
  ["Halton coast earthquake", null], ["Lunstad Jordale", null], ["Mira-3 orbit", null], ["Thalfield Bank breach", null],
  ["evacuated after:2026-09-20 before:2026-09-23", ["ARTICLE"]], ["source:polar partners Vantage", null], ["Dunmore Ashfield", ["THREAD"]],
  ["forum:local dock strike", null], ['"Tamsin Reed"', ["POST"]], ["stoppage time winner", ["POST"]], ["document.cookie", null],
];

const SEARCH = `query ($q: String!, $types: [SearchType!]) { search(query: $q, types: $types, first: 10) { totalCount edges { score snippet node {
  __typename ... on Article { title url } ... on Post { bodyText author { name } } ... on Thread { threadTitle: title } } } } }`;

const CONTENT_TYPES = { rss: "application/rss+xml", atom: "application/atom+xml", json: "application/feed+json" };
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];

/** Serves the corpus feeds on 127.0.0.1. */
async function serveCorpusFeeds(outlets) {
  const server = http.createServer((req, res) => {
    const outlet = outlets.find((o) => req.url === `/feeds/${o.file}`);
    if (!outlet) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": CONTENT_TYPES[outlet.format] });
    res.end(readFileSync(path.join(CORPUS, "feeds", outlet.file)));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: (p) => `http://127.0.0.1:${server.address().port}${p}` };
}

/** @param {{ log?: (line: string) => void, tempDir?: (name: string) => string, quick?: boolean, rounds?: number }} env */
export async function searchLatency(env = {}) {
  const log = env.log ?? ((line) => process.stderr.write(`${line}\n`));
  const rounds = env.rounds ?? (env.quick ? 8 : 30);
  const outlets = JSON.parse(readFileSync(path.join(CORPUS, "outlets.json"), "utf8"));
  const own = env.tempDir ? null : mkdtempSync(path.join(os.tmpdir(), "crosswire-bench-search-"));
  const dataDir = env.tempDir ? env.tempDir("search") : own;
  mkdirSync(dataDir, { recursive: true });

  const forum = await createLocalForumSource({ file: path.join(dataDir, "forum.db"), seedDemo: false });
  await seedDemoForum(forum.database, { ...JSON.parse(readFileSync(path.join(CORPUS, "forum.json"), "utf8")), outlets: [], articles: [] });
  await indexCitations(forum.database);
  await forum.close();

  const feeds = await serveCorpusFeeds(outlets);
  const sources = outlets.map((o) => ({ id: o.id, name: o.name, url: feeds.url(`/feeds/${o.file}`), homepage: o.homepage }));
  const { gateway, port } = await startGateway({ dataDir, overrides: { sources, net: { allowAddresses: ["127.0.0.1"] } } });
  try {
    let t = performance.now();
    await Promise.all(sources.map((s) => gateway.news.refresh(s.id)));
    await gateway.search.whenIdle();
    const indexMs = performance.now() - t;
    const db = gateway.search.index.database;
    const counts = {
      articles: db.get("SELECT COUNT(*) AS n FROM articles").n,
      stories: db.get("SELECT COUNT(*) AS n FROM stories").n,
      posts: db.get("SELECT COUNT(*) AS n FROM docs WHERE kind = 'POST'").n,
      threads: db.get("SELECT COUNT(*) AS n FROM docs WHERE kind = 'THREAD'").n,
    };
    log(`  corpus indexed and grouped in ${indexMs.toFixed(0)} ms: ${JSON.stringify(counts)}`);

    const ask = async (q, types) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: SEARCH, variables: { q, types } }),
      });
      const body = await res.json();
      if (body.errors) throw new Error(`search "${q}" failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return body.data.search.edges.length;
    };
    for (const [q, types] of QUERIES) await ask(q, types); // warm-up: statement caches, JIT

    const request = [];
    const indexOnly = [];
    for (let round = 0; round < rounds; round++) {
      for (const [q, types] of QUERIES) {
        t = performance.now();
        await ask(q, types);
        request.push(performance.now() - t);
        t = performance.now();
        const [page] = await gateway.search.index.search([{ query: parseSearchQuery(q), kinds: types ?? ["POST", "THREAD", "ARTICLE"], first: 10 }]);
        indexOnly.push(performance.now() - t);
        if (page instanceof Error) throw page;
      }
    }
    request.sort((a, b) => a - b);
    indexOnly.sort((a, b) => a - b);
    return {
      queries: QUERIES.length,
      rounds,
      requests: request.length,
      corpus: counts,
      indexMs,
      p50: percentile(request, 0.5),
      p95: percentile(request, 0.95),
      p99: percentile(request, 0.99),
      max: request.at(-1),
      indexP50: percentile(indexOnly, 0.5),
      indexP99: percentile(indexOnly, 0.99),
      targetP50: TARGET_P50_MS,
      ok: percentile(request, 0.5) < TARGET_P50_MS,
    };
  } finally {
    await gateway.stop();
    await new Promise((resolve) => feeds.server.close(resolve));
    if (own) rmSync(own, { recursive: true, force: true });
  }
}

/** Rows for run.mjs's table, through report.mjs's `add(scenario, measure, value, target, check)`. */
export function searchRows(s, add) {
  const name = "7 search latency";
  if (!s) return;
  if (s.error) return void add(name, "failed", String(s.error).split("\n")[0].slice(0, 100), "", "FAIL");
  add(name, `${s.requests} GraphQL searches (${s.queries} queries × ${s.rounds}), 10 hits each`, `p50 ${s.p50.toFixed(2)} / p95 ${s.p95.toFixed(2)} / p99 ${s.p99.toFixed(2)} ms`, `p50 < ${s.targetP50} ms`, s.ok ? "ok" : "MISS");
  add(name, "index call alone (parse, FTS5 match, BM25, snippets)", `p50 ${s.indexP50.toFixed(2)} / p99 ${s.indexP99.toFixed(2)} ms`, "", "info");
  add(name, `indexing and grouping the corpus (${s.corpus.articles} articles, ${s.corpus.posts} posts)`, `${s.indexMs.toFixed(0)} ms, ${s.corpus.stories} stories`, "", "info");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rounds: { type: "string" }, quick: { type: "boolean", default: false } } });
  const result = await searchLatency({ quick: values.quick, ...(values.rounds ? { rounds: Number(values.rounds) } : {}) });
  const rows = [];
  searchRows(result, (scenario, measure, value, target, check) => rows.push({ scenario, measure, value, target, check }));
  for (const r of rows) console.log(`${r.measure.padEnd(72)} ${r.value.padEnd(36)} ${r.target.padEnd(14)} ${r.check}`);
  process.exit(result.ok ? 0 : 1);
}
