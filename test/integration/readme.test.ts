import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const readme = readFileSync(fromRoot("README.md"), "utf8");

/** The JSON bodies of the README's curl examples, in order. */
function curlBodies(): Array<{ query: string }> {
  return [...readme.matchAll(/curl -s localhost:4000\/graphql[^\n]*(?:\\\n[^\n]*)?-d '([^']+)'/g)].map((m) => JSON.parse(m[1]!));
}

describe("README", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(); // the embedded default: demo forum and demo feeds, nothing else
  });
  afterAll(async () => gw?.close());

  it("starts with the two commands: start the gateway, run every test", () => {
    const lines = readme.split("\n");
    expect(lines[0]).toBe("# crosswire");
    const block = readme.slice(readme.indexOf("```sh") + 5, readme.indexOf("```", readme.indexOf("```sh") + 5)).trim().split("\n");
    expect(block).toHaveLength(2);
    expect(block[0]).toMatch(/^npm ci && npm start\s/);
    expect(block[1]).toMatch(/&& npm ci && npm test\s/);
  });

  it("its first query shows a demo thread's posts with citations resolved to articles, sources and other citing posts", async () => {
    const [join] = curlBodies();
    expect(join!.query).toContain("citations");
    const { body } = await gw.graphql(join!.query);
    expect(body.errors).toBeUndefined();
    const citations = body.data.thread.posts.edges.flatMap((e: any) => e.node.citations);
    const resolved = citations.filter((c: any) => c.article?.title && c.article.publishedAt && c.article.sources.length > 0);
    expect(resolved.length).toBeGreaterThanOrEqual(5);
    expect(resolved.some((c: any) => c.article.citedBy.totalCount >= 2)).toBe(true);
    expect(body.data.thread.citedArticles[0].citationCount).toBeGreaterThanOrEqual(2);
    // the README shows this answer: keep it true
    expect(readme).toContain(`"title":"${body.data.thread.title}"`);
    expect(readme).toContain(`"citationCount":${body.data.thread.citedArticles[0].citationCount},"article":{"title":"${body.data.thread.citedArticles[0].article.title}"}`);
  });

  it("its forum query answers with no errors", async () => {
    const [, forum] = curlBodies();
    const { body } = await gw.graphql(forum!.query);
    expect(body.errors).toBeUndefined();
    expect(body.data.forums[0].threads.edges.length).toBe(2);
  });
});
