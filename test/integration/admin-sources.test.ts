import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { XMLLINT, xmllint } from "../helpers/xmllint.js";
import { parseOpml } from "../../src/opml/index.js";
import { ADD_SOURCE_TAB_QUERY, ADD_SOURCE_TAB_VARIABLES } from "../../src/server/playground-sources-tab.js";

const ADMIN = "admin-token-for-stored-sources";
const RSS = { "content-type": "application/rss+xml" };
const HTML = { "content-type": "text/html; charset=utf-8" };
const page = (name: string) => fromRoot("test", "fixtures", "sources", name);
const rssFixture = (name: string) => fromRoot("test", "fixtures", "rss", name);

/** A small RSS feed whose items link to `host`/<slug>: stories no other fixture carries. */
function feed(title: string, host: string, slugs: string[]): string {
  const items = slugs.map((s) => `<item><title>${s}</title><link>https://${host}/${s}</link><guid>${host}/${s}</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>`);
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://${host}/</link>${items.join("")}</channel></rss>`;
}

const SOURCE_FIELDS = "slug name url kind origin readOnly categories pollIntervalSeconds health { status itemCount }";

describe("sources managed at runtime through the admin API", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const admin = async (query: string, variables?: Record<string, unknown>) => (await gw.graphql(query, variables, { authorization: `Bearer ${ADMIN}` })).body;
  const addSource = (input: Record<string, unknown>) =>
    admin(`mutation ($input: AddSourceInput!) { addSource(input: $input) { source { ${SOURCE_FIELDS} } candidates { url title format } } }`, { input });
  const slugs = async () => ((await gw.graphql("{ sources { slug } }")).body.data.sources as Array<{ slug: string }>).map((s) => s.slug);

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/", page("page-one-feed.html"), HTML);
    server.serveFile("/feeds/news.rss", rssFixture("rss2-basic.xml"), RSS);
    server.serveFile("/two", page("page-two-feeds.html"), HTML);
    server.serveFile("/blog/posts.atom", rssFixture("atom-basic.xml"), { "content-type": "application/atom+xml" });
    server.serveFile("/nofeed", page("page-no-feed.html"), HTML);
    server.route("/solo.xml", { headers: RSS, body: feed("Solo Desk", "solo.example", ["one", "two", "three"]) });
    server.route("/shared.xml", { headers: RSS, body: feed("Shared Desk", "shared.example", ["a"]) });
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      // The fixture server's address only: every other private address stays refused, as in production.
      net: { allowAddresses: ["127.0.0.1"], timeoutMs: 3_000 },
      adminToken: ADMIN,
      sources: [{ id: "configured", name: "Configured feed", url: server.url("/configured.xml") }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("adds a site by its page URL: the one <link rel=alternate> feed is stored, polled at once and queryable", async () => {
    const res = await addSource({ url: server.url("/"), categories: ["World"] });
    expect(res.errors).toBeUndefined();
    expect(res.data.addSource.candidates).toEqual([]);
    expect(res.data.addSource.source).toMatchObject({
      slug: "fixture-news-rss", name: "Fixture News (RSS)", url: server.url("/feeds/news.rss"), origin: "STORED", readOnly: false, categories: ["World"], pollIntervalSeconds: 900,
      health: { status: "OK", itemCount: 3 },
    });
    const articles = (await gw.graphql(`{ source(id: "fixture-news-rss") { articles(first: 10) { totalCount } } }`)).body;
    expect(articles.data.source.articles.totalCount).toBe(3);
    expect(await slugs()).toEqual(["configured", "fixture-news-rss"]);
  });

  it("returns both candidates of a page with two feed links, and stores nothing", async () => {
    const res = await addSource({ url: server.url("/two") });
    expect(res.errors).toBeUndefined();
    expect(res.data.addSource).toEqual({
      source: null,
      candidates: [
        { url: server.url("/blog/posts.atom"), title: "Posts (Atom)", format: "ATOM" },
        { url: "https://example.invalid/feed.json", title: "Posts (JSON Feed)", format: "JSON_FEED" },
      ],
    });
    expect(await slugs()).toEqual(["configured", "fixture-news-rss"]);
  });

  it("fails with FEED_NOT_FOUND for a page with no feed link and no feed at the well-known paths (7 tried)", async () => {
    const before = server.requests.length;
    const res = await addSource({ url: server.url("/nofeed") });
    expect(res.errors[0].extensions.code).toBe("FEED_NOT_FOUND");
    expect(res.errors[0].message).toMatch(/is not a feed, links no feed .* \/feed, \/rss, \/atom\.xml, \/feed\.xml, \/rss\.xml, \/index\.xml, \/feed\.json/);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/nofeed", "/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml", "/index.xml", "/feed.json"]);
    expect(await slugs()).toEqual(["configured", "fixture-news-rss"]);
  });

  it("fails with FEED_NOT_FOUND when a page's one feed link answers with something else", async () => {
    server.route("/liar", { headers: HTML, body: `<html><head><link rel="alternate" type="application/rss+xml" href="/nofeed"></head></html>` });
    const res = await addSource({ url: server.url("/liar") });
    expect(res.errors[0].extensions.code).toBe("FEED_NOT_FOUND");
    expect(res.errors[0].message).toBe(`${server.url("/liar")} links ${server.url("/nofeed")} as its feed, but that answers with no RSS, Atom or JSON Feed document`);
  });

  it("adds a feed by its own URL, named from the feed's title", async () => {
    const res = await addSource({ url: server.url("/solo.xml"), pollIntervalSeconds: 3600 });
    expect(res.errors).toBeUndefined();
    expect(res.data.addSource.source).toMatchObject({ slug: "solo-desk", name: "Solo Desk", kind: "RSS", pollIntervalSeconds: 3600, health: { status: "OK", itemCount: 3 } });
  });

  it("finds a feed at a well-known path when the page links none", async () => {
    server.route("/feed.xml", { headers: RSS, body: feed("Well Known", "known.example", ["k"]) });
    const res = await addSource({ url: server.url("/nofeed"), id: "known" });
    server.route("/feed.xml", { status: 404, body: "gone" });
    expect(res.errors).toBeUndefined();
    expect(res.data.addSource.source).toMatchObject({ slug: "known", url: server.url("/feed.xml"), name: "Well Known" });
  });

  it("refuses a duplicate URL and an id clash with a config-file source (SOURCE_EXISTS), and config sources are read-only", async () => {
    const duplicate = await addSource({ url: server.url("/feeds/news.rss") });
    expect(duplicate.errors[0]).toMatchObject({ extensions: { code: "SOURCE_EXISTS" }, message: expect.stringContaining('"fixture-news-rss" already polls') });
    const viaPage = await addSource({ url: server.url("/") });
    expect(viaPage.errors[0].extensions.code).toBe("SOURCE_EXISTS");
    const clash = await addSource({ url: server.url("/shared.xml"), id: "configured" });
    expect(clash.errors[0]).toMatchObject({ extensions: { code: "SOURCE_EXISTS" }, message: expect.stringContaining("(in the config file)") });
    const update = await admin(`mutation { updateSource(id: "configured", input: { name: "x" }) { source { slug } } }`);
    expect(update.errors[0].extensions.code).toBe("SOURCE_READ_ONLY");
    const remove = await admin(`mutation { removeSource(id: "configured", deleteArticles: true) { id } }`);
    expect(remove.errors[0].extensions.code).toBe("SOURCE_READ_ONLY");
    const missing = await admin(`mutation { removeSource(id: "nope", deleteArticles: false) { id } }`);
    expect(missing.errors[0].extensions.code).toBe("SOURCE_NOT_FOUND");
    const configured = (await gw.graphql(`{ source(id: "configured") { origin readOnly categories } }`)).body.data.source;
    expect(configured).toEqual({ origin: "CONFIG", readOnly: true, categories: [] });
    expect(await slugs()).toEqual(["configured", "fixture-news-rss", "solo-desk", "known"]);
  });

  it("refuses hostile URLs with SOURCE_FETCH_FAILED or BAD_USER_INPUT and stores nothing", async () => {
    server.route("/huge", (_req, res) => {
      res.writeHead(200, HTML);
      res.end(Buffer.alloc(10 * 1024 * 1024, "a"));
    });
    server.route("/loop", (req, res) => void res.writeHead(302, { location: `/loop?n=${Number(new URL(req.url!, "http://x").searchParams.get("n") ?? 0) + 1}` }).end());
    const cases: Array<[string, string, RegExp]> = [
      ["http://10.1.2.3/", "BLOCKED_ADDRESS", /10\.1\.2\.3/],
      [`http://127.0.0.2:${server.host.split(":")[1]}/`, "BLOCKED_ADDRESS", /127\.0\.0\.2/],
      [server.url("/huge"), "TOO_LARGE", /./],
      [server.url("/loop"), "TOO_MANY_REDIRECTS", /./],
    ];
    for (const [url, fetchCode, message] of cases) {
      const res = await addSource({ url });
      expect(res.errors?.[0]?.extensions, url).toMatchObject({ code: "SOURCE_FETCH_FAILED", fetchCode });
      expect(res.errors[0].message).toMatch(message);
    }
    for (const url of ["ftp://example.org/feed", "javascript:alert(1)", "not a url"]) {
      const res = await addSource({ url });
      expect(res.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", argumentName: "input.url" });
    }
    const badId = await addSource({ url: server.url("/shared.xml"), id: "Bad Id!" });
    expect(badId.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", argumentName: "input.id" });
    expect(await slugs()).toEqual(["configured", "fixture-news-rss", "solo-desk", "known"]);
  });

  it("the Playground opens with an 'Add a source' tab whose example runs (a fixture page instead of its example URL)", async () => {
    const html = await (await fetch(`${gw.url}/playground`)).text();
    expect(html).toContain("Add a source");
    expect(html).toContain("addSource(input:");
    expect(html).toContain(`"Authorization":"Bearer &lt;paste the admin token here&gt;"`);
    server.route("/playground-site", { headers: HTML, body: `<html><head><link rel="alternate" type="application/rss+xml" href="/shared.xml"></head></html>` });
    const res = await admin(ADD_SOURCE_TAB_QUERY, { ...ADD_SOURCE_TAB_VARIABLES, url: server.url("/playground-site") });
    expect(res.errors).toBeUndefined();
    expect(res.data.addSource.source).toMatchObject({ slug: "shared-desk", categories: ["World"], origin: "STORED", health: { status: "OK", itemCount: 1 } });
    const removed = await admin(`mutation { removeSource(id: "shared-desk", deleteArticles: true) { articlesDeleted } }`);
    expect(removed.data.removeSource.articlesDeleted).toBe(1);
  });

  it("needs the admin token", async () => {
    const res = (await gw.graphql(`mutation { addSource(input: { url: "${server.url("/unauthenticated.xml")}" }) { candidates { url } } }`)).body;
    expect(res.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(server.hits("/unauthenticated.xml")).toBe(0);
  });

  it("updates a stored source's name, categories and interval", async () => {
    const res = await admin(`mutation { updateSource(id: "solo-desk", input: { name: "Solo", categories: ["Local", "Desk"], pollIntervalSeconds: 600 }) { source { ${SOURCE_FIELDS} } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.updateSource.source).toMatchObject({ slug: "solo-desk", name: "Solo", categories: ["Local", "Desk"], pollIntervalSeconds: 600, url: server.url("/solo.xml") });
    const bad = await admin(`mutation { updateSource(id: "solo-desk", input: { pollIntervalSeconds: 0 }) { source { slug } } }`);
    expect(bad.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", argumentName: "input.pollIntervalSeconds" });
    expect((await gw.graphql(`{ source(id: "solo-desk") { pollIntervalSeconds } }`)).body.data.source.pollIntervalSeconds).toBe(600);
  });

  it("filters articles, the river and the river feed by category, and exports categories as OPML folders", async () => {
    const count = async (category: string) => (await gw.graphql(`query ($c: String) { articles(first: 50, filter: { category: $c }) { totalCount } }`, { c: category })).body;
    expect((await count("desk")).data.articles.totalCount).toBe(3);
    expect((await count(" World ")).data.articles.totalCount).toBe(3);
    const unknown = await count("Sport");
    expect(unknown.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", argumentName: "filter.category" }, message: expect.stringContaining('no source is in the category "Sport"') });
    const both = (await gw.graphql(`{ articles(first: 50, filter: { category: "Desk", sources: ["known"] }) { totalCount } }`)).body;
    expect(both.errors[0].message).toContain('none of the sources given is in the category "Desk"');

    const river = (await gw.graphql(`{ river(first: 20, category: "Local") { totalCount nodes { __typename ... on Article { url } } } }`)).body.data.river;
    expect(river.totalCount).toBe(3);
    expect(river.nodes.map((n: { url: string }) => n.url).sort()).toEqual(["https://solo.example/one", "https://solo.example/three", "https://solo.example/two"]);

    const atom = await fetch(`${gw.url}/feeds/river.atom?category=Desk`);
    expect(atom.status).toBe(200);
    const xml = await atom.text();
    if (XMLLINT) expect(xmllint(xml)).toBe("");
    expect(xml.match(/<entry>/g)).toHaveLength(3);
    expect(xml).toContain("Articles in the category Desk, merged newest first.");
    const bad = await fetch(`${gw.url}/feeds/river.atom?category=Nope`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('no source is in the category "Nope"');

    const opml = await (await fetch(`${gw.url}/feeds/sources.opml`)).text();
    const folders = new Map<string, string[]>();
    for (const sub of parseOpml(opml)) folders.set(sub.category ?? "", [...(folders.get(sub.category ?? "") ?? []), sub.title]);
    expect(Object.fromEntries(folders)).toEqual({ "": ["Configured feed", "Well Known"], World: ["Fixture News (RSS)"], Local: ["Solo"], Desk: ["Solo"] });
  });

  it("removes a source keeping its articles, or deleting them (3 deleted)", async () => {
    const article = async (url: string) => (await gw.graphql(`query ($url: String!) { article(url: $url) { title } }`, { url })).body.data.article;
    const kept = await admin(`mutation { removeSource(id: "known", deleteArticles: false) { id articlesDeleted } }`);
    expect(kept.data.removeSource).toEqual({ id: "known", articlesDeleted: 0 });
    expect(await article("https://known.example/k")).toEqual({ title: "k" });
    const gone = await admin(`mutation { removeSource(id: "solo-desk", deleteArticles: true) { id articlesDeleted } }`);
    expect(gone.data.removeSource).toEqual({ id: "solo-desk", articlesDeleted: 3 });
    expect(await article("https://solo.example/one")).toBeNull();
    expect(await slugs()).toEqual(["configured", "fixture-news-rss"]);
    const river = (await gw.graphql(`{ articles(first: 50) { nodes { url } } }`)).body.data.articles.nodes.map((n: { url: string }) => n.url);
    expect(river.filter((u: string) => u.startsWith("https://solo.example/"))).toEqual([]);
    expect(river).toContain("https://known.example/k");
  });
});
