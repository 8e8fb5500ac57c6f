import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlDatabase } from "../../src/db/sql.js";
import type { CursorKey } from "../../src/model/paging.js";
import type { ArticleDoc, SearchIndex, SearchKind, StoryRecord } from "../../src/search/index.js";
import { createPostgresSearchIndex, type PostgresSearchIndex } from "../../src/search/postgres/index.js";
import { parseSearchQuery } from "../../src/search/query.js";
import { snippetHtml } from "../../src/search/snippet.js";
import { createSqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { scratchPostgres, type ScratchSql } from "../helpers/scratch-sql.js";
import { articles, corpus, posts, revisions, threads, toDoc } from "../fixtures/search/docs.js";
import { userTextNeverSyntax } from "../fixtures/search/queries.js";

/**
 * The PostgreSQL search index (src/search/postgres) against the SQLite one on the same input: the same stories (ids,
 * members, leads, counts, merges, aliases, deletions), the same story lists and SAME_STORY related articles, search
 * hits that agree at the top; and several indexes on one database (several gateways) grouping each article once.
 * Each describe block has a scratch database on 127.0.0.1:5432.
 */

const eventOf = new Map(corpus.articles.map((a) => [a.url, a.event]));
const deleted = articles.filter((_, i) => i % 37 === 5).map((d) => d.key);
const OPTIONS = { threshold: 0.37, windowMs: 72 * 3_600_000 };

async function drainGrouping(index: SearchIndex, size = 500): Promise<void> {
  while ((await index.groupPending(size)) > 0);
}

/** One history: threads, articles and posts, grouping, the rest with revisions, deletions, grouping again. */
async function build(index: SearchIndex, size: number): Promise<void> {
  const chunks = async <T>(items: readonly T[], fn: (chunk: T[]) => Promise<unknown>) => {
    for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
  };
  await index.indexThreads(threads);
  await chunks(articles.slice(0, 200), (c) => index.indexArticles(c));
  await chunks(posts, (c) => index.indexPosts(c));
  await drainGrouping(index, size);
  await chunks([...articles.slice(200), ...revisions, ...corpus.extraItems.map(toDoc)], (c) => index.indexArticles(c));
  await drainGrouping(index, size);
  await index.deleteArticles(deleted);
  await drainGrouping(index, size);
}

const ok = <T>(value: T | Error): T => {
  if (value instanceof Error) throw value;
  return value;
};

/** What a reader can see of stories: every story of every article, the ranked list in pages, members and threads. */
async function storyView(index: SearchIndex) {
  const keys = articles.map((a) => a.key);
  const byArticle = (await index.storiesByArticles(keys)).map(ok);
  const ranked: StoryRecord[] = [];
  let after: CursorKey | undefined;
  do {
    const page = ok((await index.storyPages([{ parentId: "", first: 40, ...(after ? { after } : {}) }]))[0]!);
    ranked.push(...page.edges.map((e) => e.node));
    after = page.hasNextPage ? page.edges.at(-1)!.cursor : undefined;
  } while (after);
  const ids = ranked.map((s) => s.id);
  const members = (await index.storyArticlePages(ids.map((parentId) => ({ parentId, first: 100 })))).map((p) => ok(p).edges.map((e) => e.node));
  const citing = (await index.storyThreadPages(ids.map((parentId) => ({ parentId, first: 10 })))).map((p) => ok(p).edges.map((e) => e.node));
  const related = (await index.relatedArticles(threads.map((t) => ({ sourceId: "local", threadId: t.id, first: 10 })))).map(ok);
  return { byArticle, ranked, members, citing, sameStory: related.map((r) => r.filter((x) => x.reason === "SAME_STORY")), related };
}

describe("the PostgreSQL search index groups and ranks as the SQLite one", () => {
  let scratch: ScratchSql;
  let sqlite: SearchIndex;
  let postgres: PostgresSearchIndex;
  beforeAll(async () => {
    scratch = await scratchPostgres("searchpg");
    sqlite = createSqliteSearchIndex({ file: ":memory:", ...OPTIONS });
    postgres = await createPostgresSearchIndex({ database: scratch.db, ...OPTIONS });
    await build(sqlite, 1_000);
    await build(postgres, 1_000);
  }, 120_000);
  afterAll(async () => {
    await sqlite?.close();
    await postgres?.close();
    await scratch?.drop();
  });

  it("has the same stories: ids, members, leads, counts, ranked list and pages, citing threads, SAME_STORY related articles", async () => {
    const expected = await storyView(sqlite);
    const got = await storyView(postgres);
    // The history exercised what it is meant to: stories of several articles, deletions, citing threads.
    expect(Math.max(...expected.ranked.map((s) => s.articleCount))).toBeGreaterThan(3);
    expect(expected.byArticle.filter((s) => s === null)).toHaveLength(deleted.length);
    expect(expected.citing.some((c) => c.length > 0)).toBe(true);
    expect(expected.sameStory.some((r) => r.length > 0)).toBe(true);
    expect(got.byArticle).toEqual(expected.byArticle);
    expect(got.ranked).toEqual(expected.ranked);
    expect(got.members).toEqual(expected.members);
    expect(got.citing).toEqual(expected.citing);
    expect(got.sameStory).toEqual(expected.sameStory);
    // TEXT_MATCH is ranked by ts_rank on PostgreSQL: the same kind of answer, the first one telling the same event.
    got.related.forEach((r, i) => {
      const firstText = (list: typeof r) => list.find((x) => x.reason === "TEXT_MATCH");
      const [a, b] = [firstText(expected.related[i]!), firstText(r)];
      expect(b === undefined, `thread ${threads[i]!.id}`).toBe(a === undefined);
      if (a && b) expect(eventOf.get(b.articleKey) ?? b.articleKey, `thread ${threads[i]!.id}`).toBe(eventOf.get(a.articleKey) ?? a.articleKey);
    });
  });

  it("answers a merged story's old id with the surviving story, and an index-level merge as SQLite does", async () => {
    const fresh = await scratchPostgres("searchpgmerge");
    const indexes: SearchIndex[] = [createSqliteSearchIndex({ file: ":memory:", ...OPTIONS }), await createPostgresSearchIndex({ database: fresh.db, ...OPTIONS })];
    try {
      const at = Date.parse("2026-09-21T08:00:00Z");
      const doc = (key: string, title: string, summary: string, hours: number): ArticleDoc => ({
        key, url: key, canonicalUrl: key, title, summaryText: summary, author: null, sourceIds: ["a"], sourceNames: ["A"], publishedMs: at + hours * 3_600_000,
      });
      const padding = Array.from({ length: 30 }, (_, i) =>
        doc(`https://pad.example/${i}`, `Council budget item ${i} approved`, `Councillors approved spending line ${i} for roads and parks.`, -200 - i));
      const views = [];
      for (const index of indexes) {
        await index.indexArticles([
          ...padding,
          doc("https://a.example/1", "Storm Imara floods the Sarn delta", "Storm Imara brought record rain to the Sarn delta overnight.", 0),
          doc("https://b.example/1", "Thousands evacuated from Lowmere", "Families in Lowmere left their homes as the river rose.", 1),
        ]);
        await index.groupPending(100);
        const [first, second] = (await index.storiesByArticles(["https://a.example/1", "https://b.example/1"])).map((s) => ok(s)!.id);
        expect(first).not.toBe(second);
        await index.indexArticles([doc("https://c.example/1", "Storm Imara: Lowmere evacuated as the Sarn delta floods",
          "Storm Imara flooded the Sarn delta and families in Lowmere left their homes as the river rose.", 2)]);
        await index.groupPending(100);
        const merged = (await index.storiesByArticles(["https://a.example/1", "https://b.example/1", "https://c.example/1"])).map((s) => ok(s)!.id);
        expect(new Set(merged).size).toBe(1);
        const byOld = (await index.storiesByIds([first!, second!])).map((s) => ok(s)!);
        expect(byOld.map((s) => s.articleCount)).toEqual([3, 3]);
        views.push(byOld);
      }
      expect(views[1]).toEqual(views[0]);
    } finally {
      for (const index of indexes) await index.close();
      await fresh.drop();
    }
  });

  const QUERIES: Array<[string, SearchKind[]]> = [
    ['"Storm Imara"', ["ARTICLE"]], ["veloria kestra truce", ["ARTICLE", "POST", "THREAD"]], ['dock strike "Calder Bay"', ["ARTICLE"]],
    ["Northmark election -snap", ["ARTICLE"]], ["Mira-3 orbit", ["ARTICLE", "POST", "THREAD"]], ["cholera Lowmere", ["ARTICLE", "POST", "THREAD"]],
    ["evacuated after:2026-09-20 before:2026-09-23", ["ARTICLE"]], [`source:wire ${articles[41]!.title!.split(" ")[0]}`, ["ARTICLE"]], ["forum:general dock strike", ["POST", "THREAD"]],
  ];

  it("finds what SQLite finds for words, phrases, exclusions and filters, with the same top hit", async () => {
    for (const [q, kinds] of QUERIES) {
      const request = { query: parseSearchQuery(q), kinds, first: 5 };
      const [a] = (await sqlite.search([request])).map(ok);
      const [b] = (await postgres.search([request])).map(ok);
      expect(a!.totalCount, q).toBeGreaterThan(0);
      // Stemmers differ (porter vs the english snowball stemmer) and so may a match count by a few; the top hit agrees.
      expect(b!.totalCount, q).toBeGreaterThanOrEqual(Math.floor(a!.totalCount * 0.8));
      expect(b!.totalCount, q).toBeLessThanOrEqual(Math.ceil(a!.totalCount * 1.25));
      const top = (p: typeof a) => (p!.hits[0]!.kind === "ARTICLE" ? eventOf.get(p!.hits[0]!.ref) : `${p!.hits[0]!.kind} ${p!.hits[0]!.ref}`);
      expect(top(b), q).toBe(top(a));
      for (const hit of b!.hits) expect(hit.rawSnippet, q).toMatch(/\uE000.+?\uE001/);
    }
  });

  it("pages with after: scores never rise, no hit twice, totalCount the same on every page, past the end an empty page", async () => {
    const query = parseSearchQuery("strike");
    const seen: string[] = [];
    const scores: number[] = [];
    let after: CursorKey | undefined;
    let total: number | undefined;
    for (;;) {
      const page = ok((await postgres.search([{ query, kinds: ["ARTICLE", "POST", "THREAD"], first: 4, ...(after ? { after } : {}) }]))[0]!);
      total ??= page.totalCount;
      expect(page.totalCount).toBe(total);
      for (const hit of page.hits) {
        seen.push(`${hit.kind}:${hit.ref}`);
        scores.push(hit.score);
      }
      if (!page.hasNextPage) break;
      after = page.hits.at(-1)!.cursor;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const past = ok((await postgres.search([{ query, kinds: ["ARTICLE", "POST", "THREAD"], first: 4, after: [-1, Number.MAX_SAFE_INTEGER] }]))[0]!);
    expect(past).toEqual({ hits: [], totalCount: total, hasNextPage: false });
  });

  it("snippets are the stored text with the matched words marked; markup in a post stays text", async () => {
    await postgres.indexPosts([{ ...posts[0]!, id: "script-post", text: 'The guild pasted <script>steal(document.cookie)</script> and \uE000fake\uE001 marks' }]);
    const page = ok((await postgres.search([{ query: parseSearchQuery("document.cookie guild"), kinds: ["POST"], first: 3 }]))[0]!);
    const hit = page.hits.find((h) => h.ref === "script-post")!;
    const html = snippetHtml(hit.rawSnippet);
    expect(html).toContain("&lt;script&gt;steal(<mark>document.cookie</mark>)&lt;/script&gt;");
    expect(html).toContain("<mark>guild</mark>");
    expect(html).not.toContain("<mark>fake</mark>");
  });

  it("never lets user text reach PostgreSQL as syntax (property: any input is a result or a SearchSyntaxError)", async () => {
    await userTextNeverSyntax(postgres, 150);
  });
});

describe("several gateways on one PostgreSQL index", () => {
  let scratch: ScratchSql;
  const extra: SqlDatabase[] = [];
  afterAll(async () => {
    for (const db of extra) await db.close();
    await scratch?.drop();
  });

  it("index the same articles at once and group each article once, ending where one SQLite index ends", async () => {
    scratch = await scratchPostgres("searchpgmany");
    const url = (await scratch.db.get<{ db: string }>("SELECT current_database() AS db"))!.db;
    const { PostgresDatabase } = await import("../../src/db/postgres.js");
    const { PG_ADMIN } = await import("../helpers/scratch-sql.js");
    for (let i = 0; i < 2; i++) extra.push(PostgresDatabase.open({ url: PG_ADMIN.replace(/\/[^/]*$/, `/${url}`), timeoutMs: 10_000, storeName: "forum store" }));
    // Three gateways start at once: the migrations run once, under the lock.
    const gateways = await Promise.all([scratch.db, ...extra].map((database) => createPostgresSearchIndex({ database, ...OPTIONS })));
    const statements: string[][] = gateways.map(() => []);
    gateways.forEach((g, i) => g.database.onStatement((sql) => statements[i]!.push(sql)));
    // Each gateway is told of every article (each polled, or caught up from the store), in its own order and batches;
    // then all of them group, in batches of their own sizes.
    const history = [...articles, ...corpus.extraItems.map(toDoc)];
    await Promise.all(gateways.map(async (g, i) => {
      const mine = i === 1 ? [...history].reverse() : history;
      for (let from = 0; from < mine.length; from += 40 + i * 17) await g.indexArticles(mine.slice(from, from + 40 + i * 17));
    }));
    await Promise.all(gateways.map((g, i) => drainGrouping(g, 10 + i * 7)));
    // Each article was put in a story once (found or joined: one UPDATE … WHERE key = ? each), by one gateway or
    // another, the gateways taking turns at the lock.
    const grouped = statements.map((s) => s.filter((sql) => /^UPDATE search_articles SET story_id = \? WHERE key = \?/.test(sql)).length);
    expect(grouped.reduce((a, b) => a + b, 0)).toBe(new Set(history.map((d) => d.key)).size);
    expect(grouped.filter((n) => n > 0).length).toBeGreaterThan(1);

    const single = createSqliteSearchIndex({ file: ":memory:", ...OPTIONS });
    await single.indexArticles(history);
    await drainGrouping(single);
    const keys = history.map((a) => a.key);
    const expected = (await single.storiesByArticles(keys)).map(ok);
    const counts = await scratch.db.all<{ n: number; sum: number }>("SELECT COUNT(*) AS n, SUM(article_count) AS sum FROM search_stories");
    expect(Number(counts[0]!.sum)).toBe(new Set(keys).size); // every article in exactly one story
    // Grouping order is the articles' (oldest first), not the gateways': the same stories as one index alone.
    const stories = (await gateways[2]!.storiesByArticles(keys)).map(ok);
    expect(stories.map((s) => s?.id)).toEqual(expected.map((s) => s?.id));
    expect(stories).toEqual(expected);
    await single.close();
  }, 120_000);
  it("waits its turn for the write lock, however long another gateway holds it (rounds of lock_timeout)", async () => {
    const { lockKey } = await import("../../src/db/sql.js");
    const index = await createPostgresSearchIndex({ database: extra[0]!, timeoutMs: 200, ...OPTIONS });
    // Another gateway's long write: the lock held for 1.2 s, six of this index's 100 ms rounds.
    const held = scratch.db.transaction(async (tx) => {
      await tx.get("SELECT pg_advisory_xact_lock(?)", [lockKey("crosswire:search-index")]);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await index.indexArticles([{ ...articles[0]!, key: "https://lock.example/1" }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await held;
    expect(await index.knownArticles(["https://lock.example/1"])).toEqual(new Set(["https://lock.example/1"]));
  });
});
