/**
 * Search on PostgreSQL against the embedded SQLite index (issue 22 item 5), at `--articles` stored articles.
 *
 *   node bench/search-postgres.mjs [--articles 10000] [--rounds 30] [--starts 5]      (after `npm run build`)
 *
 * Needs the machine's PostgreSQL (127.0.0.1:5432, trust; CROSSWIRE_TEST_PG names another admin URL): a scratch
 * database is created and dropped. The articles (bench/index-cost.mjs's generated corpus: Zipf vocabulary, 1,500
 * events, 20 sources) are stored as a cluster stores them, in the article store on that database, then:
 *
 * 1. First indexing: a fresh SQLite index (search.db) and the fresh PostgreSQL index each catch up from the store's write
 *    order through src/search/service.ts, as a gateway does at start (once each).
 * 2. Search latency: a few queries (two event words, a phrase, a frequent word, an exclusion, a source filter), 10 hits
 *    each, on both indexes, interleaved query by query for `--rounds` rounds; p50 and p95 of the index call.
 * 3. Start-up with a populated index, `--starts` times, interleaved: a gateway restarting on its populated search.db,
 *    and a further gateway opening the shared PostgreSQL index (migrations checked, catch-up from the saved position).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import pino from "pino";
import { ArticleStore } from "../dist/src/articles/store.js";
import { createCache } from "../dist/src/cache/index.js";
import { PostgresDatabase } from "../dist/src/db/postgres.js";
import { createPostgresSearchIndex } from "../dist/src/search/postgres/index.js";
import { parseSearchQuery } from "../dist/src/search/query.js";
import { createSearchService } from "../dist/src/search/service.js";
import { createSqliteSearchIndex } from "../dist/src/search/sqlite/index.js";
import { corpus } from "./index-cost.mjs";

const { values } = parseArgs({ options: { articles: { type: "string", default: "10000" }, rounds: { type: "string", default: "30" }, starts: { type: "string", default: "5" } } });
const COUNT = Number(values.articles);
const ADMIN = process.env.CROSSWIRE_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/test";
const GROUPING = { threshold: 0.3, windowMs: 3 * 86_400_000 };
const logger = pino({ level: "silent" });
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const ms = (x) => `${x.toFixed(2)} ms`;

const name = `bench_searchpg_${process.pid}_${Date.now()}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dir = mkdtempSync(path.join(os.tmpdir(), "search-postgres-"));
const open = () => PostgresDatabase.open({ url: ADMIN.replace(/\/[^/]*$/, `/${name}`), timeoutMs: 60_000, storeName: "forum store" });
const db = open();
const service = (index) => createSearchService({ index, logger, forums: [], sourceName: (s) => `Source ${s}`, postSyncSeconds: 0 });
/** A gateway's start as far as search goes: open the index, catch up from the store, wait until it is indexed and grouped. */
async function start(openIndex, store) {
  const started = performance.now();
  const s = service(await openIndex());
  const queued = await s.catchUp(store);
  await s.whenIdle();
  return { s, ms: performance.now() - started, queued };
}

try {
  const docs = corpus(COUNT);
  const store = new ArticleStore(createCache(dir).keyv, db);
  await store.open();
  let started = performance.now();
  const bySource = new Map();
  for (const d of docs) bySource.set(d.sourceIds[0], [...(bySource.get(d.sourceIds[0]) ?? []), d]);
  for (const [source, list] of bySource) {
    for (let i = 0; i < list.length; i += 500) {
      await store.upsert(source, list.slice(i, i + 500).map((d) => ({
        guid: d.key, link: d.url, title: d.title, summaryHtml: `<p>${d.summaryText}</p>`, author: d.author,
        publishedAt: new Date(d.publishedMs).toISOString(), updatedAt: null, imageUrl: null, categories: [], warnings: [],
      })));
    }
  }
  console.log(`stored ${COUNT} articles in PostgreSQL in ${ms(performance.now() - started)}`);

  const sqliteFile = path.join(dir, "search.db");
  const first = {
    sqlite: await start(() => createSqliteSearchIndex({ file: sqliteFile, ...GROUPING }), store),
    postgres: await start(() => createPostgresSearchIndex({ database: db, ...GROUPING }), store),
  };
  for (const [kind, r] of Object.entries(first)) console.log(`first indexing, ${kind}: ${r.queued} articles queued, indexed and grouped in ${ms(r.ms)}`);

  const event = docs[0].title.split(" ");
  const frequency = new Map();
  for (const d of docs.slice(0, 500)) for (const w of new Set(d.summaryText.split(" "))) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const frequent = [...frequency].sort((a, b) => b[1] - a[1])[3][0];
  const queries = [
    `${event[0]} ${event[2]}`, `"${event[0]} ${event[1]}"`, frequent, `${event[0]} -${event[5]}`,
    `source:${docs[2].sourceIds[0]} ${docs[2].title.split(" ")[0]}`,
  ];
  const times = new Map(queries.map((q) => [q, { sqlite: [], postgres: [], hits: {} }]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const q of queries) {
      const order = round % 2 ? ["postgres", "sqlite"] : ["sqlite", "postgres"];
      for (const kind of order) {
        const t0 = performance.now();
        const [page] = await first[kind].s.index.search([{ query: parseSearchQuery(q), kinds: ["ARTICLE", "POST", "THREAD"], first: 10 }]);
        times.get(q)[kind].push(performance.now() - t0);
        if (page instanceof Error) throw page;
        times.get(q).hits[kind] = page.totalCount;
      }
    }
  }
  console.log(`search, ${values.rounds} rounds interleaved, index call (p50 / p95), hits:`);
  for (const [q, t] of times) {
    console.log(`  ${q.padEnd(36)} sqlite ${ms(percentile(t.sqlite, 0.5))} / ${ms(percentile(t.sqlite, 0.95))} (${t.hits.sqlite})   postgres ${ms(percentile(t.postgres, 0.5))} / ${ms(percentile(t.postgres, 0.95))} (${t.hits.postgres})`);
  }
  await first.sqlite.s.stop();
  await first.postgres.s.stop();

  const restarts = { sqlite: [], postgres: [] };
  for (let i = 0; i < Number(values.starts); i++) {
    for (const kind of i % 2 ? ["postgres", "sqlite"] : ["sqlite", "postgres"]) {
      const r = await start(() => (kind === "sqlite" ? createSqliteSearchIndex({ file: sqliteFile, ...GROUPING }) : createPostgresSearchIndex({ database: db, ...GROUPING })), store);
      restarts[kind].push(r.ms);
      await r.s.stop();
    }
  }
  console.log(`start-up with a populated index (${values.starts} interleaved, p50): sqlite restart ${ms(percentile(restarts.sqlite, 0.5))}, postgres ${ms(percentile(restarts.postgres, 0.5))}; a new SQLite gateway instead indexes everything: ${ms(first.sqlite.ms)}`);
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
