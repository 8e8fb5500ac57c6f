import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/** Fields frontends asked for (issue 19, item 6) on the local forum and the news sources. */
describe("permalinks and source lookup by slug", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      syndication: { publicUrl: "https://forum.example/crosswire" },
      sources: [{ id: "harbour-gazette", name: "Harbour Gazette", url: "http://127.0.0.1:9/feed.xml" }],
      news: { poll: false },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("gives a local thread and its posts crosswire's own permalink: the thread's Atom feed, #post-<position> for a post", async () => {
    const id = toGlobalId("Thread", "local", 1);
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { url posts(first: 2) { nodes { position url } } } }`, { id });
    expect(body.errors).toBeUndefined();
    expect(body.data.thread.url).toBe(`https://forum.example/crosswire/feeds/threads/${id}.atom`);
    expect(body.data.thread.posts.nodes).toEqual([
      { position: 1, url: `https://forum.example/crosswire/feeds/threads/${id}.atom#post-1` },
      { position: 2, url: `https://forum.example/crosswire/feeds/threads/${id}.atom#post-2` },
    ]);
    const feed = await fetch(body.data.thread.url.replace("https://forum.example/crosswire", gw.url));
    expect(feed.status).toBe(200);
  });

  it("finds a source by the slug the feed routes accept, and by its global ID", async () => {
    const bySlug = await gw.graphql(`{ source(id: "harbour-gazette") { id slug name } }`);
    expect(bySlug.body.errors).toBeUndefined();
    expect(bySlug.body.data.source).toEqual({ id: toGlobalId("Source", "harbour-gazette", "harbour-gazette"), slug: "harbour-gazette", name: "Harbour Gazette" });
    const byId = await gw.graphql(`query ($id: ID!) { source(id: $id) { slug } }`, { id: bySlug.body.data.source.id });
    expect(byId.body.data.source).toEqual({ slug: "harbour-gazette" });
    expect((await fetch(`${gw.url}/feeds/sources/harbour-gazette.atom`)).status).toBe(200);
  });

  it("answers an unknown slug with BAD_USER_INPUT naming the argument and the slug", async () => {
    const { body } = await gw.graphql(`{ source(id: "no-such-outlet") { slug } }`);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0].message).toMatch(/no source has the slug "no-such-outlet"/);
  });

  it("gives an article's author as byline (renamed from author, which is an Author object on Post and Thread)", async () => {
    const { body } = await gw.graphql(`{ articles(first: 100) { nodes { byline provenance { field } } } }`);
    expect(body.errors).toBeUndefined();
    const withByline = body.data.articles.nodes.filter((a: { byline: string | null }) => a.byline);
    expect(withByline.length).toBeGreaterThan(0);
    for (const a of withByline) expect(a.provenance.map((p: { field: string }) => p.field)).toContain("byline");
  });

  it("answers the README's search example without a validation error: title is one type on every SearchResult member", async () => {
    const { status, body } = await gw.graphql(`{ search(query: "truce talks", first: 5) { totalCount edges { score snippet node { __typename ... on Article { title story { title sourceCount postCount } } ... on Post { author { name } thread { title } } ... on Thread { title } } } } }`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});
