import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresDatabase } from "../../src/db/postgres.js";
import { labels, outlets, pairwise, startCorpusGateway, writeCorpusForum, type CorpusGateway } from "../fixtures/search/corpus.js";
import { runQueryTable, SEARCH, TABLE } from "../fixtures/search/queries.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { PG_ADMIN } from "../helpers/scratch-sql.js";

/**
 * Search when clustered: two gateways with `forum.store` `postgres` on one database (127.0.0.1:5432, a database per
 * run) share one search index in it. The first polls the search corpus and indexes it; the second starts with
 * nothing to index and answers the same; a deletion through one leaves both; no gateway writes a search.db.
 */
const name = `searchcluster_${process.pid}_${Date.now()}`;
const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
const forum = () => ({ forum: { store: "postgres" as const, postgresUrl: url, seedDemo: false } });
let admin: pg.Client;
let first: CorpusGateway;
let second: TestGateway | undefined;

/** One statement from outside the gateways. */
async function sql<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every row of the index with the transaction that last wrote it: a row rewritten gets a new xmin. */
const writes = () => sql<{ t: string; xmin: string; id: string }>(`
  SELECT 'docs' AS t, xmin::text, id::text FROM search_docs UNION ALL SELECT 'articles', xmin::text, key FROM search_articles
  UNION ALL SELECT 'stories', xmin::text, id FROM search_stories UNION ALL SELECT 'terms', xmin::text, term FROM search_term_df
  UNION ALL SELECT 'cites', xmin::text, post_id || canonical_url FROM search_post_cites ORDER BY 1, 3`);

beforeAll(async () => {
  admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await writeCorpusForum(PostgresDatabase.open({ url, timeoutMs: 10_000, storeName: "forum store" }));
  first = await startCorpusGateway(forum());
}, 120_000);
afterAll(async () => {
  await second?.close();
  await first?.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

const queryOn = (gw: TestGateway) => async (q: string, variables: Record<string, unknown>) => (await gw.graphql(SEARCH, { q, ...variables })).body;
const STORIES = `{ stories(first: 15) { totalCount nodes { id title articleCount sourceCount postCount articles(first: 3) { nodes { canonicalUrl } } threads(first: 2) { nodes { title } } } } }`;

describe("search on PostgreSQL, shared by the gateways", () => {
  it("keeps the index in the forum store's database: no search.db", () => {
    expect(first.gw.gateway.search.index.kind).toBe("postgres");
    expect(existsSync(path.join(first.dataDir, "search.db"))).toBe(false);
  });

  it(`finds the expected top result for each of the ${TABLE.length} queries of the SQLite table`, async () => {
    const { rows, misses } = await runQueryTable(queryOn(first.gw));
    console.log(`search query table on PostgreSQL:\n${rows.join("\n")}`);
    expect(misses).toEqual([]);
  });

  it("groups the corpus with pairwise precision ≥ 0.9 and recall ≥ 0.8, and joins the forum's threads to stories", async () => {
    const predicted = new Map<string, string>();
    let after: string | null = null;
    do {
      const body: any = (await first.gw.graphql(`query ($after: String) { articles(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { canonicalUrl story { id } } } }`, { after })).body;
      expect(body.errors).toBeUndefined();
      for (const a of body.data.articles.nodes) if (a.story) predicted.set(a.canonicalUrl, a.story.id);
      after = body.data.articles.pageInfo.hasNextPage ? body.data.articles.pageInfo.endCursor : null;
    } while (after);
    expect(Object.keys(labels).filter((u) => !predicted.has(u))).toEqual([]);
    const score = pairwise(predicted);
    expect(score.precision).toBeGreaterThanOrEqual(0.9);
    expect(score.recall).toBeGreaterThanOrEqual(0.8);
    const top = (await first.gw.graphql(STORIES)).body;
    expect(top.errors).toBeUndefined();
    expect(top.data.stories.nodes[0].sourceCount).toBe(outlets.length);
    expect(top.data.stories.nodes.some((s: any) => s.threads.nodes.length > 0)).toBe(true);
  });

  it("a second gateway starts with nothing to index and answers the same", async () => {
    const before = await writes();
    const generation = await sql("SELECT value FROM search_state WHERE name = 'generation'");
    second = await startTestGateway({
      ...forum(),
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      sources: outlets.map((o) => ({ id: o.id, name: o.name, url: first.server.url(`/feeds/${o.file}`), homepage: o.homepage })),
    });
    await second.gateway.search.whenIdle();
    expect(existsSync(path.join(second.dataDir, "search.db"))).toBe(false);
    // Not one row of the index was written again, and the term statistics did not move.
    expect(await writes()).toEqual(before);
    expect(await sql("SELECT value FROM search_state WHERE name = 'generation'")).toEqual(generation);
    for (const q of ["veloria kestra truce", '"Storm Imara"', "dock strike", "cholera Lowmere"]) {
      const [a, b] = await Promise.all([first.gw, second].map((gw) => queryOn(gw)(q, { first: 10 })));
      expect(a.errors, q).toBeUndefined();
      expect(a.data.search.totalCount, q).toBeGreaterThan(0);
      expect(b, q).toEqual(a);
    }
    const [a, b] = await Promise.all([first.gw, second].map(async (gw) => (await gw.graphql(STORIES)).body));
    expect(b).toEqual(a);
  });

  it("a deletion through one gateway leaves the index of both at once", async () => {
    const ridgeway = Object.keys(labels).filter((u) => u.startsWith("https://ridgeway-tribune.example/"));
    expect(ridgeway.length).toBeGreaterThan(5);
    const count = async (gw: TestGateway) => (await queryOn(gw)("source:ridgeway Kestra OR Veloria OR Sarn OR the", { first: 1 })).data.search.totalCount as number;
    const sourced = async (gw: TestGateway) => (await queryOn(gw)("source:ridgeway truce", { types: ["ARTICLE"], first: 50 })).data.search.totalCount as number;
    expect(await sourced(first.gw)).toBeGreaterThan(0);
    expect(await sourced(second!)).toBe(await sourced(first.gw));
    expect(await first.gw.gateway.news.store.removeBySource("ridgeway")).toBeGreaterThan(5);
    await first.gw.gateway.search.whenIdle();
    expect(await sourced(first.gw)).toBe(0);
    expect(await sourced(second!)).toBe(0); // the second gateway never heard of it: the index is one
    expect(await count(second!)).toBe(await count(first.gw));
    const left = await sql<{ n: string }>(`SELECT COUNT(*) AS n FROM search_articles WHERE key LIKE 'https://ridgeway-tribune.example/%'`);
    expect(Number(left[0]!.n)).toBe(0);
    // The second gateway's catch-up reads the tombstones and finds nothing left to remove.
    const before = await writes();
    await second!.gateway.search.catchUp(second!.gateway.news.store);
    await second!.gateway.search.whenIdle();
    expect(await writes()).toEqual(before);
  });
});
