import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import type { SqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { createSqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { CORPUS_DIR, labels, outlets, pairwise, startCorpusGateway, type CorpusGateway } from "../fixtures/search/corpus.js";
// @ts-ignore: a plain ES module without types (the corpus generator)
import { corpusFiles } from "../fixtures/search/generate.mjs";

const TRUCE = "veloria-kestra-truce";
const urlsOf = (story: string) => Object.keys(labels).filter((u) => labels[u] === story);
const threadId = (n: number) => toGlobalId("Thread", "local", n);

describe("story grouping on the search corpus", () => {
  let corpus: CorpusGateway;
  beforeAll(async () => {
    corpus = await startCorpusGateway();
  });
  afterAll(async () => corpus?.close());
  const gql = (query: string, variables?: Record<string, unknown>) => corpus.gw.graphql(query, variables).then((r) => r.body);

  it("the committed corpus is exactly what generate.mjs writes (it is deterministic)", () => {
    const files = corpusFiles() as Record<string, string>;
    for (const [name, text] of Object.entries(files)) expect(readFileSync(path.join(CORPUS_DIR, name), "utf8"), name).toBe(text);
    expect(Object.keys(labels).length).toBeGreaterThanOrEqual(300);
    expect(outlets).toHaveLength(6);
  });

  it("groups the corpus with pairwise precision ≥ 0.9 and recall ≥ 0.8 against labels.json", async () => {
    const predicted = new Map<string, string>();
    let after: string | null = null;
    do {
      const body: any = await gql(`query ($after: String) { articles(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { canonicalUrl story { id } } } }`, { after });
      expect(body.errors).toBeUndefined();
      for (const a of body.data.articles.nodes) if (a.story) predicted.set(a.canonicalUrl, a.story.id);
      after = body.data.articles.pageInfo.hasNextPage ? body.data.articles.pageInfo.endCursor : null;
    } while (after);
    expect([...Object.keys(labels)].filter((u) => !predicted.has(u))).toEqual([]); // every article grouped
    const score = pairwise(predicted);
    const stories = new Set(predicted.values()).size;
    const trueStories = new Set(Object.values(labels)).size;
    console.log(
      `story grouping: precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)} ` +
        `(${score.predictedPairs} pairs grouped, ${score.truePairs} true pairs; ${stories} stories found, ${trueStories} true; ${predicted.size} articles)`,
    );
    expect(score.precision).toBeGreaterThanOrEqual(0.9);
    expect(score.recall).toBeGreaterThanOrEqual(0.8);
  });

  it("Article.story, Story.articles, Story.sources and Story.threads join one event across outlets and the forum", async () => {
    const [first] = urlsOf(TRUCE);
    const body = await gql(`query ($url: String!) { article(url: $url) { story {
        id title articleCount sourceCount postCount firstPublishedAt lastPublishedAt
        articles(first: 20) { totalCount nodes { canonicalUrl } } sources { slug }
        threads(first: 5) { totalCount nodes { title } } } } }`, { url: first });
    expect(body.errors).toBeUndefined();
    const story = body.data.article.story;
    expect(story.articles.nodes.map((a: any) => a.canonicalUrl).sort()).toEqual(urlsOf(TRUCE).sort());
    expect(story.articleCount).toBe(urlsOf(TRUCE).length);
    expect(story.sources.map((s: any) => s.slug).sort()).toEqual(outlets.map((o) => o.id).sort());
    expect(story.sourceCount).toBe(6);
    expect(story.title).toMatch(/Veloria|Kestra/);
    expect(story.threads.nodes[0].title).toBe("Veloria–Kestra truce: will it hold this time?");
    expect(story.postCount).toBeGreaterThan(5);
    // node(id) refetches it
    const again = await gql(`query ($id: ID!) { node(id: $id) { __typename ... on Story { articleCount } } }`, { id: story.id });
    expect(again.data.node).toEqual({ __typename: "Story", articleCount: story.articleCount });
  });

  it("keeps the near misses apart: same names, or the same kind of event, on neighbouring days", async () => {
    const storyOf = async (event: string) => {
      const body = await gql(`query ($url: String!) { article(url: $url) { story { id } } }`, { url: urlsOf(event)[0] });
      return body.data.article.story.id as string;
    };
    const truce = await storyOf(TRUCE);
    for (const near of ["veloria-court-surveillance", "kestra-fc-cup", "dunmore-ashfield-ceasefire"]) expect(await storyOf(near), near).not.toBe(truce);
    expect(await storyOf("sarn-rice-harvest")).not.toBe(await storyOf("storm-imara-sarn-floods"));
    expect(await storyOf("tessaly-dock-strike")).not.toBe(await storyOf("calder-bay-dock-strike"));
    expect(await storyOf("northmark-election-result")).not.toBe(await storyOf("northmark-snap-election"));
    // A partner's mobile link with a blurb of its own joins by URL alone.
    const mobile = urlsOf("storm-imara-sarn-floods").find((u) => u.startsWith("https://m."))!;
    const body = await gql(`query ($url: String!) { article(url: $url) { title story { id } } }`, { url: mobile });
    expect(body.data.article.title).toMatch(/^From our partners/);
    expect(body.data.article.story.id).toBe(await storyOf("storm-imara-sarn-floods"));
  });

  it("Query.stories ranks by sources plus citing posts, pages without overlap, and filters with since", async () => {
    const page1 = await gql(`{ stories(first: 10) { totalCount pageInfo { hasNextPage endCursor } nodes { id title sourceCount postCount lastPublishedAt } } }`);
    expect(page1.errors).toBeUndefined();
    const weights = page1.data.stories.nodes.map((s: any) => s.sourceCount + s.postCount);
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
    expect(page1.data.stories.nodes[0].title).toMatch(/Veloria|Kestra|Imara|Sarn|Calder|Northmark/);
    const page2 = await gql(`query ($after: String) { stories(first: 10, after: $after) { nodes { id sourceCount postCount } } }`, { after: page1.data.stories.pageInfo.endCursor });
    const ids1 = new Set(page1.data.stories.nodes.map((s: any) => s.id));
    expect(page2.data.stories.nodes.some((s: any) => ids1.has(s.id))).toBe(false);
    expect(page2.data.stories.nodes[0].sourceCount + page2.data.stories.nodes[0].postCount).toBeLessThanOrEqual(weights.at(-1));
    const recent = await gql(`{ stories(first: 100, since: "2026-10-20T00:00:00Z") { totalCount nodes { lastPublishedAt } } }`);
    expect(recent.data.stories.totalCount).toBeLessThan(page1.data.stories.totalCount);
    expect(recent.data.stories.nodes.every((s: any) => s.lastPublishedAt >= "2026-10-20T00:00:00")).toBe(true);
    const bad = await gql(`{ stories(first: 5, after: "bm90LWEtY3Vyc29y") { totalCount } }`);
    expect(bad.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("Thread.relatedArticles: the thread's stories' other articles (SAME_STORY), then text matches (TEXT_MATCH)", async () => {
    const body = await gql(`query ($a: ID!, $b: ID!) {
      truce: thread(id: $a) { relatedArticles(first: 10) { reason article { canonicalUrl } story { id } } posts(first: 50) { nodes { citations { canonicalUrl } } } }
      cholera: thread(id: $b) { relatedArticles(first: 5) { reason article { canonicalUrl } } } }`, { a: threadId(1), b: threadId(5) });
    expect(body.errors).toBeUndefined();
    const cited = new Set(body.data.truce.posts.nodes.flatMap((p: any) => p.citations.map((c: any) => c.canonicalUrl)));
    const related = body.data.truce.relatedArticles;
    const same = related.filter((r: any) => r.reason === "SAME_STORY").map((r: any) => r.article.canonicalUrl);
    expect(same.length).toBeGreaterThan(0);
    // every truce article the thread does not cite, and nothing it cites
    expect(new Set(same)).toEqual(new Set(urlsOf(TRUCE).filter((u) => !cited.has(u))));
    expect(related.some((r: any) => cited.has(r.article.canonicalUrl))).toBe(false);
    // The cholera thread cites nothing: its words find the cholera story.
    const cholera = body.data.cholera.relatedArticles;
    expect(cholera.length).toBeGreaterThan(0);
    expect(cholera.every((r: any) => r.reason === "TEXT_MATCH")).toBe(true);
    expect(labels[cholera[0].article.canonicalUrl]).toBe("sarn-cholera");
  });

  it("resolves a page of stories with their articles, sources and threads in the same number of round trips for 5 or 25 stories", async () => {
    const query = `query ($n: Int!) { stories(first: $n) { nodes { id title sources { slug health { status } }
      articles(first: 3) { nodes { title story { id } } } threads(first: 3) { nodes { title forum { name } } } } } }`;
    const count = async (n: number) => {
      const searchDb = (corpus.gw.gateway.search.index as SqliteSearchIndex).database;
      const forumDb = (corpus.gw.gateway.forums.get("local") as LocalForumSource).database;
      const seen = { search: [] as string[], forum: [] as string[], cache: [] as string[] };
      const offs = [
        searchDb.onStatement((s) => seen.search.push(s)),
        forumDb.onStatement((s) => seen.forum.push(s)),
        corpus.gw.gateway.cacheStore.database.onStatement((s) => seen.cache.push(s)),
      ];
      const body = await gql(query, { n });
      offs.forEach((off) => off());
      expect(body.errors).toBeUndefined();
      expect(body.data.stories.nodes).toHaveLength(n);
      // Requests only read: grouping never runs on the request path.
      expect(seen.search.filter((s) => !/^\s*(SELECT|WITH)/i.test(s))).toEqual([]);
      return { search: seen.search.length, forum: seen.forum.length, cache: seen.cache.length };
    };
    const small = await count(5);
    const large = await count(25);
    console.log(`stories page round trips (search+forum+cache): 5 stories ${JSON.stringify(small)}, 25 stories ${JSON.stringify(large)}`);
    expect(large).toEqual(small);
    expect(small.search + small.forum + small.cache).toBeLessThanOrEqual(8);
  });

  it("groups an article that arrives later into its story, from the store's hook, in the background", async () => {
    const file = outlets.find((o) => o.id === "ridgeway")!;
    const original = readFileSync(path.join(CORPUS_DIR, "feeds", file.file), "utf8");
    const late = `<item><title>Arden line quiet as Veloria and Kestra swap prisoners</title>
      <link>https://ridgeway-tribune.example/world/2026/09/arden-line-prisoner-swap</link><guid isPermaLink="false">ridgeway:late-1</guid>
      <pubDate>Wed, 16 Sep 2026 09:00:00 GMT</pubDate>
      <description>&lt;p&gt;Kestra and Veloria exchanged prisoners near the Arden line under the truce brokered by envoy Ilse Maren in Port Saline.&lt;/p&gt;</description></item>`;
    const updated = path.join(corpus.dataDir, "ridgeway-late.xml");
    writeFileSync(updated, original.replace("<item>", `${late}\n<item>`));
    corpus.server.serveFile(`/feeds/${file.file}`, updated, { "content-type": "application/rss+xml" });
    const refreshed = await corpus.admin(`mutation ($id: ID!) { refreshSource(id: $id) { health { itemCount } } }`, { id: toGlobalId("Source", "ridgeway", "ridgeway") });
    expect(refreshed.errors).toBeUndefined();
    await corpus.gw.gateway.search.whenIdle();
    const body = await gql(`query ($a: String!, $b: String!) { late: article(url: $a) { story { id articleCount } } known: article(url: $b) { story { id } } }`, {
      a: "https://ridgeway-tribune.example/world/2026/09/arden-line-prisoner-swap", b: urlsOf(TRUCE)[0],
    });
    expect(body.data.late.story.id).toBe(body.data.known.story.id);
    expect(body.data.late.story.articleCount).toBe(urlsOf(TRUCE).length + 1);
  });
});

describe("story merging (SQLite index, no gateway)", () => {
  it("merges two stories a later article bridges; the absorbed story's id still answers", async () => {
    const index = createSqliteSearchIndex({ file: ":memory:", threshold: 0.37, windowMs: 72 * 3_600_000 });
    const at = Date.parse("2026-09-21T08:00:00Z");
    const doc = (key: string, title: string, summary: string, hours: number) => ({
      key, url: key, canonicalUrl: key, title, summaryText: summary, author: null, sourceIds: ["a"], sourceNames: ["A"], publishedMs: at + hours * 3_600_000,
    });
    // Padding articles give the corpus document frequencies to weigh the names against.
    const padding = Array.from({ length: 30 }, (_, i) =>
      doc(`https://pad.example/${i}`, `Council budget item ${i} approved`, `Councillors approved spending line ${i} for roads and parks.`, -200 - i));
    await index.indexArticles([
      ...padding,
      doc("https://a.example/1", "Storm Imara floods the Sarn delta", "Storm Imara brought record rain to the Sarn delta overnight.", 0),
      doc("https://b.example/1", "Thousands evacuated from Lowmere", "Families in Lowmere left their homes as the river rose.", 1),
    ]);
    await index.groupPending(100);
    const [a, b] = await index.storiesByArticles(["https://a.example/1", "https://b.example/1"]);
    expect(a && b && !(a instanceof Error) && !(b instanceof Error)).toBe(true);
    const [first, second] = [a as { id: string }, b as { id: string }];
    expect(first.id).not.toBe(second.id);
    await index.indexArticles([
      doc("https://c.example/1", "Storm Imara: Lowmere evacuated as the Sarn delta floods",
        "Storm Imara flooded the Sarn delta and families in Lowmere left their homes as the river rose.", 2),
    ]);
    await index.groupPending(100);
    const after = await index.storiesByArticles(["https://a.example/1", "https://b.example/1", "https://c.example/1"]);
    const ids = after.map((s) => (s as { id: string }).id);
    expect(new Set(ids).size).toBe(1);
    const byOldIds = await index.storiesByIds([first.id, second.id]);
    expect(byOldIds.map((s) => (s as { id: string; articleCount: number }).articleCount)).toEqual([3, 3]);
    await index.close();
  });
});
