import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const ADMIN = "admin-token-for-stored-sources";
const opml = readFileSync(fromRoot("test", "fixtures", "sources", "import-with-folders.opml"), "utf8");
const forumFeed = fromRoot("test", "fixtures", "forums", "phpbb-board.atom.xml");

describe("importOpml and stored forums", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const admin = async (query: string, variables?: Record<string, unknown>) => (await gw.graphql(query, variables, { authorization: `Bearer ${ADMIN}` })).body;
  const importOpml = (text: string) =>
    admin(`mutation ($opml: String!) { importOpml(opml: $opml) { added { slug name url categories origin } skipped { outline url reason } failed { outline url reason } } }`, { opml: text });

  beforeAll(async () => {
    server = await startFixtureServer();
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowAddresses: ["127.0.0.1"], timeoutMs: 3_000 },
      adminToken: ADMIN,
      sources: [{ id: "configured", name: "Configured", url: "https://configured.example/feed.xml" }],
      storedSources: { maxSources: 6 },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("imports an OPML with folders, duplicates and broken lines: 4 added with categories, 2 skipped, 3 failed", async () => {
    const res = await importOpml(opml);
    expect(res.errors).toBeUndefined();
    const report = res.data.importOpml;
    expect(report.added).toEqual([
      { slug: "harbor-wire", name: "Harbor Wire", url: "https://harbor-wire.example/rss.xml", categories: ["World"], origin: "STORED" },
      { slug: "canal-post", name: "Canal Post", url: "https://canal-post.example/atom.xml", categories: ["World / Europe"], origin: "STORED" },
      { slug: "compiler-notes", name: "Compiler Notes", url: "https://compilers.example/feed.json", categories: ["Tech"], origin: "STORED" },
      { slug: "uncategorised", name: "Uncategorised", url: "https://loose.example/rss", categories: [], origin: "STORED" },
    ]);
    expect(report.skipped).toEqual([
      { outline: "Harbor Wire again", url: "https://harbor-wire.example/rss.xml", reason: 'duplicate: the same URL appears earlier in this OPML (as "Harbor Wire")' },
      { outline: "Already configured", url: "https://configured.example/feed.xml", reason: "duplicate: a source with this URL already exists" },
    ]);
    expect(report.failed.map((f: { outline: string }) => f.outline)).toEqual(["Script", "Relative", "No URL"]);
    // The file's javascript: and relative URLs do not come back: a URL field of the API is http(s) or null.
    expect(report.failed.map((f: { url: string | null; reason: string }) => [f.url, f.reason])).toEqual([
      [null, "not an absolute http(s) URL"], [null, "not an absolute http(s) URL"], [null, "the outline has no feed URL (empty xmlUrl)"],
    ]);
    const sources = (await gw.graphql("{ sources { slug } }")).body.data.sources.map((s: { slug: string }) => s.slug);
    // Stored sources are listed by when they were added, one import's by id.
    expect(sources).toEqual(["configured", "canal-post", "compiler-notes", "harbor-wire", "uncategorised"]);
  });

  it("importing the same file again adds nothing and skips every feed as already subscribed", async () => {
    const report = (await importOpml(opml)).data.importOpml;
    expect(report.added).toEqual([]);
    expect(report.skipped).toHaveLength(6);
  });

  it("refuses a document that is not OPML with BAD_USER_INPUT naming the argument", async () => {
    const res = await importOpml("<rss><channel/></rss>");
    expect(res.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", argumentName: "opml" }, message: expect.stringContaining("root element is <rss>") });
  });

  it("adds a forum feed after fetching it, serves it, and removes it", async () => {
    server.serveFile("/board.atom", forumFeed, { "content-type": "application/atom+xml" });
    server.route("/not-a-feed", { headers: { "content-type": "text/html" }, body: "<html><body>hi</body></html>" });
    const bad = await admin(`mutation ($url: String!) { addForum(input: { kind: FEED, url: $url }) { id } }`, { url: server.url("/not-a-feed") });
    expect(bad.errors[0].extensions.code).toBe("FEED_NOT_FOUND");
    const res = await admin(`mutation ($url: String!) { addForum(input: { kind: FEED, url: $url, id: "board" }) { id kind name url } }`, { url: server.url("/board.atom") });
    expect(res.errors).toBeUndefined();
    expect(res.data.addForum).toMatchObject({ id: "board", kind: "FEED", url: server.url("/board.atom") });
    const listed = (await gw.graphql("{ forumSources { id } }")).body.data.forumSources.map((f: { id: string }) => f.id);
    expect(listed).toEqual(["local", "board"]);
    const removed = await admin(`mutation { removeForum(id: "board") }`);
    expect(removed.data.removeForum).toBe("board");
    expect((await gw.graphql("{ forumSources { id } }")).body.data.forumSources.map((f: { id: string }) => f.id)).toEqual(["local"]);
  });

  it("adds a Discourse forum only when its /about.json answers as Discourse", async () => {
    server.route("/about.json", { headers: { "content-type": "application/json" }, body: JSON.stringify({ about: { title: "Fixture Discourse" } }) });
    const res = await admin(`mutation ($url: String!) { addForum(input: { kind: DISCOURSE, url: $url }) { id kind name } }`, { url: server.url("/") });
    expect(res.errors).toBeUndefined();
    expect(res.data.addForum).toEqual({ id: "fixture-discourse", kind: "DISCOURSE", name: "Fixture Discourse" });
    const missing = await admin(`mutation { addForum(input: { kind: DISCOURSE, url: "http://10.9.9.9/" }) { id } }`);
    expect(missing.errors[0].extensions).toMatchObject({ code: "SOURCE_FETCH_FAILED", fetchCode: "BLOCKED_ADDRESS" });
  });

  it("stops at storedSources.maxSources (6, with 4 feeds and 1 forum stored): the rest of the file is reported failed, not stored", async () => {
    const many = `<opml version="2.0"><body>${[1, 2, 3, 4].map((n) => `<outline type="rss" text="Extra ${n}" xmlUrl="https://extra${n}.example/rss"/>`).join("")}</body></opml>`;
    const report = (await importOpml(many)).data.importOpml;
    expect(report.added.map((s: { slug: string }) => s.slug)).toEqual(["extra-1"]);
    expect(report.failed).toEqual([2, 3, 4].map((n) => ({ outline: `Extra ${n}`, url: `https://extra${n}.example/rss`, reason: "over storedSources.maxSources: not stored" })));
    const full = await admin(`mutation { addSource(input: { url: "https://one-more.example/rss" }) { candidates { url } } }`);
    expect(full.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" }, message: expect.stringContaining("at most 6 sources may be stored") });
  });
});
