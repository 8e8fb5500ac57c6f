import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalForumSource, type LocalForumSource } from "../../sources/forum-local/index.js";
import { parseSearchQuery } from "../../src/search/query.js";
import { snippetHtml } from "../../src/search/snippet.js";
import type { SqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { startCorpusGateway, type CorpusGateway } from "../fixtures/search/corpus.js";
import { runQueryTable, SEARCH, TABLE, userTextNeverSyntax } from "../fixtures/search/queries.js";

describe("full-text search on the search corpus", () => {
  let corpus: CorpusGateway;
  beforeAll(async () => {
    // Batching is counted here in statements: the read cache (cache.reads) would answer repeated reads without any.
    corpus = await startCorpusGateway({ cache: { reads: { maxEntries: 0 } } });
  });
  afterAll(async () => corpus?.close());
  const search = async (q: string, extra: Record<string, unknown> = {}) => (await corpus.gw.graphql(SEARCH, { q, ...extra })).body;

  it(`finds the expected top result for each of ${TABLE.length} queries`, async () => {
    const { rows, misses } = await runQueryTable(search);
    console.log(`search query table (${TABLE.length} queries):\n${rows.join("\n")}`);
    expect(misses).toEqual([]);
  });

  it("answers BAD_USER_INPUT with the position for malformed syntax, never an SQL error", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['truce "Arden line', 7, /unclosed quote/],
      ["truce source:", 7, /empty "source:"/],
      ["truce source: polar", 7, /empty "source:"/],
      ["forum:", 1, /empty "forum:"/],
      ["flood after:2026-13-01", 13, /not a date/],
      ["flood before:2026-02-30", 14, /not a date/],
      ["flood after:yesterday", 13, /not a date/],
      ["-kestra -veloria", 1, /only exclusions/],
      ['-"dock strike"', 1, /only exclusions/],
      ["source:polar", 12, /nothing to search for/],
      ['truce ""', 7, /empty phrase/],
      ["truce -source:polar", 7, /cannot be negated/],
      ["truce after:2026-10-01 before:2026-09-01", 24, /date range is empty/],
      ["truce source:bad/slug", 14, /not a source slug/],
    ];
    for (const [q, position, message] of cases) {
      const body = await search(q);
      expect(body.errors?.[0]?.extensions, q).toMatchObject({ code: "BAD_USER_INPUT", argumentName: "query", position });
      expect(body.errors[0].message, q).toMatch(message);
      expect(body.errors[0].message, q).not.toMatch(/sqlite|fts5|syntax error/i);
    }
    const unknown = await search("truce source:nowhere");
    expect(unknown.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(unknown.errors[0].message).toMatch(/unknown source "nowhere".*coastline/);
  });

  it("never lets user text reach FTS5 as syntax (property: any input is a result or a SearchSyntaxError)", async () => {
    const index = corpus.gw.gateway.search.index;
    await userTextNeverSyntax(index, 400);
    for (const text of ['NEAR(truce', "truce OR", "AND", "title:truce", "truce*", "^truce", "{title body}: truce", "truce NOT"]) {
      const body = await search(text);
      expect(body.errors, text).toBeUndefined();
    }
  });

  it("snippets are escaped text with <mark> only, even for a post whose body has a <script>", async () => {
    const body = await search("guild portal cookie");
    const hit = body.data.search.edges[0];
    expect(hit.node.__typename).toBe("Post");
    expect(hit.snippet).toContain("&lt;script&gt;steal(document.<mark>cookie</mark>)&lt;/script&gt;");
    expect(hit.snippet).toContain("<mark>guild</mark>");
    expect(hit.snippet).not.toMatch(/<script|onerror|alert\("dockers"\)/);
    const all = await search("strike", { first: 50 });
    for (const edge of all.data.search.edges) expect(edge.snippet.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
    expect(snippetHtml('\uE000<b>"x"</b>\uE001 \uE001 \uE000open')).toBe("<mark>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</mark>  <mark>open</mark>");
  });

  it("filters by types, source:, forum: and dates, and pages with after", async () => {
    const onlyThreads = await search("strike", { types: ["THREAD"], first: 20 });
    expect(onlyThreads.data.search.edges.every((e: any) => e.node.__typename === "Thread")).toBe(true);
    const polar = await search("source:polar storm", { first: 50 });
    expect(polar.data.search.totalCount).toBeGreaterThan(0);
    expect(polar.data.search.edges.every((e: any) => e.node.__typename === "Article" && e.node.sources.some((s: any) => s.slug === "polar"))).toBe(true);
    const local = await search("forum:local strike", { first: 50 });
    expect(local.data.search.edges.every((e: any) => (e.node.thread ?? e.node).forum.slug === "local")).toBe(true);
    const either = await search("source:polar forum:local strike", { first: 50 });
    expect(either.data.search.totalCount).toBe(local.data.search.totalCount + (await search("source:polar strike", { first: 1 })).data.search.totalCount);
    const excluded = await search("truce -Veloria", { types: ["ARTICLE"], first: 50 });
    expect(excluded.data.search.edges.length).toBeGreaterThan(0);
    expect(excluded.data.search.edges.every((e: any) => !/veloria/i.test(e.node.title))).toBe(true);

    const first = await search("strike", { first: 5 });
    const second = await search("strike", { first: 5, after: first.data.search.pageInfo.endCursor });
    const all = await search("strike", { first: 10 });
    expect([...first.data.search.edges, ...second.data.search.edges].map((e: any) => e.cursor)).toEqual(all.data.search.edges.map((e: any) => e.cursor));
    expect(second.data.search.totalCount).toBe(first.data.search.totalCount);
    const scores = all.data.search.edges.map((e: any) => e.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const wrong = await search("strike", { after: "bm90LWEtY3Vyc29y" });
    expect(wrong.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("answers a page of hits with their authors, threads, sources and stories in the same number of round trips for 10 or 22 hits", async () => {
    const query = `query ($first: Int!) { search(query: "truce", first: $first) { edges { snippet node { __typename
      ... on Post { author { name } thread { title forum { name } } citations { article { title story { title } } } }
      ... on Thread { author { name } forum { name } relatedArticles(first: 2) { reason article { title } } }
      ... on Article { sources { name } story { title articleCount } } } } } }`;
    const searchDb = (corpus.gw.gateway.search.index as SqliteSearchIndex).database;
    const forumDb = (corpus.gw.gateway.forums.get("local") as LocalForumSource).database;
    const count = async (first: number) => {
      const seen = { search: 0, forum: 0, cache: 0 };
      const offs = [
        searchDb.onStatement(() => seen.search++),
        forumDb.onStatement(() => seen.forum++),
        corpus.gw.gateway.cacheStore.database.onStatement(() => seen.cache++),
      ];
      const body = (await corpus.gw.graphql(query, { first })).body;
      offs.forEach((off) => off());
      expect(body.errors).toBeUndefined();
      expect(body.data.search.edges).toHaveLength(first);
      // both pages hold all three kinds, so every loader is used in both
      expect(new Set(body.data.search.edges.map((e: any) => e.node.__typename))).toEqual(new Set(["Post", "Thread", "Article"]));
      return seen;
    };
    const small = await count(10);
    const large = await count(22);
    console.log(`search page round trips (search+forum+cache): 10 hits ${JSON.stringify(small)}, 22 hits ${JSON.stringify(large)}`);
    expect(large).toEqual(small);
  });

  it("HTTP caching keeps working: a search response carries the smallest max-age of what it selected", async () => {
    const res = await fetch(`${corpus.gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ search(query: "truce", types: [ARTICLE]) { edges { score snippet node { ... on Article { title story { title } } } } } }` }),
    });
    expect(res.headers.get("cache-control")).toBe("max-age=60, public");
  });

  it("indexes posts stored or edited after start (high-water marks), when the forum is synced", async () => {
    const writer = await createLocalForumSource({ file: path.join(corpus.dataDir, "forum.db"), seedDemo: false });
    const db = writer.database;
    await db.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (9001, 4, 3, 99, ?, ?)", [
      "<p>The quayside bakery handed out zucchini bread to the pickets.</p>", "2026-10-20T10:00:00.000Z",
    ]);
    await writer.close();
    expect((await search("zucchini")).data.search.totalCount).toBe(0);
    await corpus.gw.gateway.search.syncForums();
    const found = await search("zucchini");
    expect(found.data.search.edges[0].node.thread.title).toBe("Calder Bay dock strike: updates from the quays");

    const editor = await createLocalForumSource({ file: path.join(corpus.dataDir, "forum.db"), seedDemo: false });
    await editor.database.run("UPDATE posts SET body_html = ?, edited_at = ? WHERE id = 9001", ["<p>The bakery handed out rye loaves instead.</p>", "2026-10-20T11:00:00.000Z"]);
    await editor.close();
    await corpus.gw.gateway.search.syncForums();
    expect((await search("zucchini")).data.search.totalCount).toBe(0);
    expect((await search("rye loaves")).data.search.totalCount).toBe(1);
  });
});

describe("query syntax", () => {
  it("parses words, phrases, exclusions and filters, and skips words without letters or digits", () => {
    expect(parseSearchQuery(' storm  "Sarn delta" -kestra -"red cross" source:Polar forum:local after:2026-09-01 before:2026-10-01 – & ')).toEqual({
      terms: [{ text: "storm", phrase: false, position: 2 }, { text: "Sarn delta", phrase: true, position: 9 }],
      excluded: [{ text: "kestra", phrase: false, position: 22 }, { text: "red cross", phrase: true, position: 30 }],
      sources: ["polar"],
      forums: ["local"],
      afterMs: Date.parse("2026-09-01T00:00:00Z"),
      beforeMs: Date.parse("2026-10-01T00:00:00Z"),
    });
    expect(parseSearchQuery("10:30 https://a.example/x").terms.map((t) => t.text)).toEqual(["10:30", "https://a.example/x"]);
    expect(() => parseSearchQuery("x".repeat(501))).toThrow(/longer than 500/);
    expect(() => parseSearchQuery(Array.from({ length: 25 }, (_, i) => `w${i}`).join(" "))).toThrow(/more than 24/);
  });
});
