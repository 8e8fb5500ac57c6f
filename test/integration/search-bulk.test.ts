import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { parseSearchQuery } from "../../src/search/query.js";
import { ARTICLE_CHUNK, createSqliteSearchIndex, type SqliteSearchIndexOptions, type SqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { asParsed } from "../../src/search/sqlite/centroids.js";
import { fromJson, toJson } from "../../src/search/similarity.js";
import { articles, corpus, posts, revisions, toDoc } from "../fixtures/search/docs.js";

/**
 * The search indexer writes a batch of articles in one transaction and groups a batch of articles in one
 * transaction (centroids cached, story numbers refreshed once per batch): it must end in exactly the state
 * article-at-a-time indexing reaches (same documents and ids,
 * same search hits and scores, same stories, leads, centroids and aliases, same related articles), and a huge
 * batch must be written in bounded transactions.
 */

const QUERIES = ["veloria kestra truce", "storm imara", "dock strike", "election", "harvest", "4200 evacuated", "strike -dock", `source:wire ${articles[41]!.title!.split(" ")[0]}`];

async function inChunks<T>(items: readonly T[], size: number, fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

/**
 * The same history, `size` articles (and posts, and grouped articles) per call: the first 200 articles, the posts,
 * grouping; then the rest, the revisions (and one key twice in a call), grouping again.
 */
async function build(size: number, options: Partial<SqliteSearchIndexOptions> = {}): Promise<SqliteSearchIndex> {
  const index = createSqliteSearchIndex({ file: ":memory:", threshold: 0.37, windowMs: 72 * 3_600_000, ...options });
  await inChunks(articles.slice(0, 200), size, (c) => index.indexArticles(c));
  await inChunks(posts, size, (c) => index.indexPosts(c));
  while ((await index.groupPending(size)) > 0);
  const twice = { ...articles[210]!, title: "A headline replaced in the same batch" };
  await inChunks([...articles.slice(200), twice, articles[210]!, ...revisions, ...corpus.extraItems.map(toDoc)], size, (c) => index.indexArticles(c));
  while ((await index.groupPending(size)) > 0);
  return index;
}

/** Everything a reader can see, and the tables behind it. */
async function snapshot(index: SqliteSearchIndex) {
  const db = index.database;
  const tables = Object.fromEntries(
    ["docs", "doc_sources", "articles", "article_terms", "term_df", "stories", "story_aliases", "post_cites"].map((t) => [t, db.all(`SELECT * FROM ${t}`).map((r) => JSON.stringify(r)).sort()]),
  );
  const fts = db.all("SELECT rowid, title, body, byline, context FROM docs_fts ORDER BY rowid");
  const search = await index.search(QUERIES.map((q) => ({ query: parseSearchQuery(q), kinds: ["ARTICLE", "POST", "THREAD"], first: 20 })));
  const keys = articles.map((a) => a.key);
  const stories = await index.storiesByArticles(keys);
  const ranked = await index.storyPages([{ parentId: "", first: 50 }]);
  const threadIds = [...new Set(posts.map((p) => p.threadId))];
  const related = await index.relatedArticles(threadIds.map((threadId) => ({ sourceId: "local", threadId, first: 10 })));
  return { tables, fts, search, stories, ranked, related };
}

describe("bulk search indexing", () => {
  it("ends in exactly the state article-at-a-time indexing reaches: documents, hits, stories, related articles", async () => {
    const one = await build(1);
    const seven = await build(7);
    const bulk = await build(1_000);
    const expected = await snapshot(one);
    // The history did what it is meant to exercise: stories of several articles, a merge or not, search hits.
    const sizes = expected.tables.stories!.map((s) => (JSON.parse(s) as { article_count: number }).article_count);
    expect(Math.max(...sizes)).toBeGreaterThan(3);
    expect(sizes.length).toBeLessThan(articles.length * 0.75);
    expect((expected.search[0] as { hits: unknown[] }).hits.length).toBeGreaterThan(3);
    expect((expected.search[5] as { hits: unknown[] }).hits.length).toBeGreaterThan(0); // the revised headlines
    expect((expected.search[7] as { hits: unknown[] }).hits.length).toBeGreaterThan(0); // the revised sources
    expect(expected.related.some((r) => Array.isArray(r) && r.length > 0)).toBe(true);
    // And every story's numbers are its members' (refreshed once per batch, never left behind).
    const stale = one.database.all(
      `SELECT s.id FROM stories s WHERE s.article_count <> (SELECT COUNT(*) FROM articles a WHERE a.story_id = s.id)
         OR s.first_ms <> (SELECT MIN(at_ms) FROM articles a WHERE a.story_id = s.id)
         OR s.last_ms <> (SELECT MAX(at_ms) FROM articles a WHERE a.story_id = s.id)
         OR s.source_count <> (SELECT COUNT(DISTINCT j.value) FROM articles a, json_each(a.sources) j WHERE a.story_id = s.id)
         OR s.post_count <> (SELECT COUNT(*) FROM (SELECT DISTINCT c.source_id, c.post_id FROM articles a JOIN post_cites c ON c.canonical_url = a.key WHERE a.story_id = s.id))`,
    );
    expect(stale).toEqual([]);
    expect(await snapshot(seven)).toEqual(expected);
    expect(await snapshot(bulk)).toEqual(expected);
    for (const index of [one, seven, bulk]) await index.close();
  });

  it("writes a huge batch in transactions of at most ARTICLE_CHUNK articles, and loses none of it", async () => {
    const index = createSqliteSearchIndex({ file: ":memory:", threshold: 0.37, windowMs: 72 * 3_600_000 });
    const huge = Array.from({ length: 2 * ARTICLE_CHUNK + 17 }, (_, i) => ({ ...articles[i % articles.length]!, key: `https://bulk.example/${i}` }));
    const writes: number[] = [];
    const run = index.database.db.transaction.bind(index.database.db);
    // Count the articles each transaction writes: the docs rows it adds.
    index.database.db.transaction = ((fn: () => unknown) => run(() => {
      const before = index.database.get<{ n: number }>("SELECT COUNT(*) AS n FROM docs")!.n;
      const out = fn();
      writes.push(index.database.get<{ n: number }>("SELECT COUNT(*) AS n FROM docs")!.n - before);
      return out;
    })) as typeof index.database.db.transaction;
    await index.indexArticles(huge);
    expect(writes).toEqual([ARTICLE_CHUNK, ARTICLE_CHUNK, 17]);
    expect((await index.knownArticles(huge.map((d) => d.key))).size).toBe(huge.length);
    // groupPending takes at most one chunk per call, whatever it is asked for.
    expect(await index.groupPending(1_000_000)).toBe(ARTICLE_CHUNK);
    await index.close();
  });

  it("keeps a rolled-back batch out of the term counts (read again from the table)", async () => {
    const index = createSqliteSearchIndex({ file: ":memory:", threshold: 0.37, windowMs: 72 * 3_600_000 });
    await index.indexArticles(articles.slice(0, 100));
    const df = () => index.database.all("SELECT * FROM term_df ORDER BY term");
    const before = df();
    // A revision changes the counts in memory, then a new article fails in SQLite: the transaction rolls back.
    index.database.db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON articles WHEN NEW.key = 'https://boom.example/' BEGIN SELECT RAISE(ABORT, 'boom'); END",
    );
    const boom = { ...articles[100]!, key: "https://boom.example/" };
    await expect(index.indexArticles([articles[101]!, { ...articles[5]!, title: "Quite another headline" }, boom])).rejects.toThrow(/boom/);
    expect(df()).toEqual(before);
    expect((await index.knownArticles([articles[101]!.key])).size).toBe(0);
    index.database.db.exec("DROP TRIGGER boom");
    // The next batch counts from the stored numbers: same term_df as a fresh index given the same articles.
    await index.indexArticles([articles[101]!]);
    const fresh = createSqliteSearchIndex({ file: ":memory:", threshold: 0.37, windowMs: 72 * 3_600_000 });
    await fresh.indexArticles([...articles.slice(0, 100), articles[101]!]);
    expect(df()).toEqual(fresh.database.all("SELECT * FROM term_df ORDER BY term"));
    await index.close();
    await fresh.close();
  });

  it("caches a centroid exactly as reading its JSON back would give it (order included)", () => {
    const v = new Map([["storm", 0.5], ["4200", 0.25], ["12", 1 / 3], ["__proto__", 0.1], ["4294967295", 0.7], ["007", 0.2], ["0", 0.9]]);
    expect([...asParsed(v)]).toEqual([...fromJson(toJson(v))]);
  });

  describe("on the search writer thread (a search.db file)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "search-writer-"));
    const file = (name: string) => path.join(dir, `${name}.db`);

    it("writes nothing on the main thread's connection and ends in the inline state; the main thread's term counts follow", async () => {
      const inline = await build(7);
      const expected = await snapshot(inline);
      const threaded = createSqliteSearchIndex({ file: file("threaded"), threshold: 0.37, windowMs: 72 * 3_600_000 });
      expect(threaded.writesOffThread).toBe(true);
      const statements: string[] = [];
      threaded.database.onStatement((sql) => statements.push(sql));
      await threaded.indexArticles(articles.slice(0, 50));
      expect(statements).toEqual([]);
      // Written and committed by the other connection, read here at once (WAL).
      expect((await threaded.knownArticles(articles.slice(0, 50).map((a) => a.key))).size).toBe(50);
      await threaded.close();
      rmSync(file("threaded"));
      // The same history from scratch on the thread: every table, hit, story and related article (which reads the main
      // thread's copy of the term counts, kept by the writer's replies) as inline.
      const again = await build(7, { file: file("again") });
      expect(await snapshot(again)).toEqual(expected);
      expect(again.writerRestarts).toBe(0);
      await Promise.all([inline.close(), again.close()]);
    });

    it("replaces a writer thread that dies, retries its task once, and loses nothing", async () => {
      const expected = await snapshot(await build(7));
      const lines: string[] = [];
      const logger = createLogger({ logLevel: "info" }, { write: (line: string) => void lines.push(line) });
      const index = await build(7, { file: file("crash"), crashAtWrite: 5, logger });
      expect(index.writerRestarts).toBe(1);
      expect(lines.join("")).toMatch(/search writer thread died; restarted it and retrying its task once/);
      expect(await snapshot(index)).toEqual(expected);
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
