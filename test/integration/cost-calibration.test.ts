import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "graphql";
import { buildCrosswireSchema } from "../../resolvers/index.js";
import { loadConfig } from "../../src/config/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { operationCost } from "../../src/server/limits.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/*
 * The cost model (src/server/limits.ts) is calibrated on the pages a forum frontend renders: each must pass the
 * default limits, while the bombs stay refused. Each page's cost is printed, so a change to the model shows
 * what it does to real pages.
 */

const THREAD = toGlobalId("Thread", "local", 1);
const FORUM = toGlobalId("Forum", "local", 1);

const CITATION_CARD = `url status article { id title url imageUrl publishedAt sources { name homepage }
  citedBy(first: 3) { totalCount edges { node { id author { name } thread { id title } } } } }`;

export const PAGES: Record<string, { query: string; variables?: Record<string, unknown> }> = {
  "thread page: 100 posts with citation cards": {
    query: `query ThreadPage($id: ID!) { thread(id: $id) { id title createdAt url forum { id name slug } author { name }
      citedArticles(first: 5) { citationCount article { title url } }
      posts(first: 100) { totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id position url createdAt editedAt body author { id name username }
          citations { ${CITATION_CARD} } } } } } }`,
    variables: { id: THREAD },
  },
  "board page: 25 threads with last post and top citations": {
    query: `query BoardPage($id: ID!) { forum(id: $id) { id name description feeds { atom }
      threads(first: 25) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id title url createdAt lastPostedAt author { name }
          posts(last: 1) { totalCount nodes { id createdAt author { name } } }
          citedArticles(first: 3) { citationCount article { id title url imageUrl sources { name } } } } } } } }`,
    variables: { id: FORUM },
  },
  "river: 50 items, posts with citations and articles with sources": {
    query: `query River { river(first: 50) { pageInfo { hasNextPage endCursor } edges { cursor node {
      __typename
      ... on Post { id url createdAt bodyText author { name } thread { id title }
        citations { url article { id title url imageUrl } } }
      ... on Article { id title url publishedAt summaryText imageUrl sources { name } story { id title sourceCount } } } } } }`,
  },
  "search results: 20 hits of every kind": {
    query: `query Search($q: String!) { search(query: $q, first: 20) { totalCount pageInfo { hasNextPage endCursor }
      edges { score snippet node { __typename
        ... on Post { id url createdAt author { name } thread { id title } }
        ... on Thread { id title url lastPostedAt forum { name } }
        ... on Article { id title url publishedAt sources { name } story { title sourceCount postCount } } } } } }`,
    variables: { q: "ceasefire talks" },
  },
  "stories front page: 20 stories with their articles and threads": {
    query: `query Stories { stories(first: 20) { pageInfo { hasNextPage endCursor } edges { node {
      id title articleCount sourceCount postCount firstPublishedAt lastPublishedAt sources { name }
      articles(first: 5) { nodes { id title url publishedAt imageUrl sources { name } } }
      threads(first: 3) { nodes { id title url lastPostedAt } } } } } }`,
  },
  "article page: the story with its citing posts": {
    query: `query ArticlePage($url: String!) { article(url: $url) { id title url byline publishedAt updatedAt summary imageUrl
      categories provenance { field origin } sources { name homepage health { status } }
      story { id title sourceCount articles(first: 10) { nodes { id title url sources { name } } } }
      citedBy(first: 50) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id url createdAt bodyText author { name } thread { id title url forum { name } } } } } } }`,
    variables: { url: "https://news.example.com/anything" },
  },
};

/** The three bombs the limits exist for; each is refused with 400 and its code. */
const BOMBS: Record<string, { query: string; code: string }> = {
  "nested connections 100 × 100 × 100": {
    query: `{ forum(id: "${FORUM}") { threads(first: 100) { edges { node { posts(first: 100) { edges { node {
      author { posts(first: 100) { edges { node { id } } } } } } } } } } } }`,
    code: "QUERY_TOO_COMPLEX",
  },
  "depth 20": {
    query: `{ thread(id: "${THREAD}") { ${"posts(first: 1) { nodes { thread { ".repeat(5)} id ${"} } } ".repeat(5)} } }`,
    code: "QUERY_TOO_DEEP",
  },
  "100 aliases of a thread page": {
    query: `{ ${Array.from({ length: 100 }, (_, i) => `t${i}: thread(id: "${THREAD}") { posts(first: 100) { nodes { id } } }`).join(" ")} }`,
    code: "TOO_MANY_ALIASES",
  },
};

describe("cost calibration: the pages a forum frontend renders", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("each of the six pages passes the default limits over HTTP, and its cost is printed", async () => {
    const schema = await buildCrosswireSchema();
    const config = loadConfig({}, {});
    const bounds = { newsSources: config.sources.length, forumSources: config.forums.length + 1 };
    const costs: Record<string, number> = {};
    for (const [name, page] of Object.entries(PAGES)) {
      const checked = operationCost(schema, config.limits, config.pagination.defaultFirst, { document: parse(page.query), variables: page.variables ?? {} }, bounds);
      costs[name] = checked!.cost;
      expect(checked!.error, name).toBeNull();
      const { status, body } = await gw.graphql(page.query, page.variables);
      expect(status, `${name}: ${JSON.stringify(body.errors)}`).toBe(200);
      expect(body.errors, name).toBeUndefined();
    }
    console.log(`cost of each calibration page (default limit ${config.limits.maxCost}):\n${Object.entries(costs).map(([n, c]) => `  ${String(c).padStart(7)}  ${n}`).join("\n")}`);
  });

  it("the thread page costs under half the default limit: a frontend can add to it", async () => {
    const schema = await buildCrosswireSchema();
    const config = loadConfig({}, {});
    const page = PAGES["thread page: 100 posts with citation cards"]!;
    const checked = operationCost(schema, config.limits, config.pagination.defaultFirst, { document: parse(page.query), variables: page.variables ?? {} });
    expect(checked!.cost).toBeLessThan(config.limits.maxCost / 2);
  });

  for (const [name, bomb] of Object.entries(BOMBS)) {
    it(`refuses the ${name} bomb with 400 and ${bomb.code}, before running it`, async () => {
      const { status, body } = await gw.graphql(bomb.query);
      expect(status).toBe(400);
      expect(body.errors[0].extensions.code).toBe(bomb.code);
      expect(body.data).toBeUndefined();
    });
  }

  it("a refused query names the field that costs most, and the multiplying fields along its heaviest path", async () => {
    const { body } = await gw.graphql(BOMBS["nested connections 100 × 100 × 100"]!.query);
    const error = body.errors[0];
    expect(error.extensions.limit.field).toBe("Forum.threads");
    expect(error.extensions.limit.path.map((step: { field: string }) => step.field)).toEqual(["Forum.threads", "Thread.posts", "Author.posts"]);
    expect(error.message).toMatch(/most of it is Forum\.threads \([\d,]+\), along Forum\.threads ×100 → Thread\.posts ×100 → Author\.posts ×100/);
    expect(error.extensions.limit.found).toBeGreaterThan(1_000_000);
  });

  it("names the deeper field when it is the one that multiplies: a thread page asking 100 citing posts per citation", async () => {
    const heavy = PAGES["thread page: 100 posts with citation cards"]!.query.replace("citedBy(first: 3)", "citedBy(first: 100)");
    const { status, body } = await gw.graphql(heavy, { id: THREAD });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.limit.path.map((step: { field: string; size: number }) => `${step.field} ×${step.size}`))
      .toEqual(["Thread.posts ×100", "Post.citations ×20", "Article.citedBy ×100"]);
  });
});
