import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localForumFile, type LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeForum, writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, userToken } from "../helpers/tokens.js";
import { rssFeed } from "../helpers/ws-client.js";

/**
 * The read cache of the forum store's database (src/db/read-cache.ts, `cache.reads`): a warm page reads nothing
 * from SQLite, and every write — through this gateway, or through another connection to the same file, as another
 * process would — shows in the very next response.
 */
const ADMIN = "read-cache-admin-token-0123456789";
const URLS = ["https://outlet.example/2026/12/a", "https://outlet.example/2026/12/b", "https://outlet.example/2026/12/c"];
const THREAD = toGlobalId("Thread", "local", "1");
const PAGE = `query Page($t: ID!) { thread(id: $t) { title posts(first: 50) { totalCount nodes { id body author { name }
  citations { canonicalUrl article { title sources { slug } } } } } } }`;

describe("the read cache: a warm page reads nothing from the store, and never shows anything stale", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  let titles = ["Alpha", "Bravo", "Charlie"];
  const admin = { authorization: `Bearer ${ADMIN}` };
  const refresh = () => gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { id } }`, { id: toGlobalId("Source", "outlet", "outlet") }, admin);

  beforeAll(async () => {
    fixture = await startFixtureServer();
    fixture.route("/outlet.xml", (_req, res) =>
      void res.writeHead(200, { "content-type": "application/rss+xml" }).end(rssFeed(URLS.map((link, i) => ({ guid: `g${i}`, title: titles[i]!, link }))))
    );
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-reads-"));
    await writeThreadWithBodies(localForumFile(dataDir), URLS.map((url) => `<p>See <a href="${url}">this</a>.</p>`));
    gw = await startTestGateway({
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      search: { postSyncSeconds: 0 },
      auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 1000 },
      sources: [{ id: "outlet", name: "Outlet", url: fixture.url("/outlet.xml") }],
    }, { dataDir });
    await refresh();
  });

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const database = () => (gw.gateway.forums.get("local") as LocalForumSource).database;
  async function page() {
    const statements: string[] = [];
    const off = database().onStatement((sql) => statements.push(sql));
    try {
      const { body } = await gw.graphql(PAGE, { t: THREAD });
      expect(body.errors).toBeUndefined();
      return { thread: body.data.thread, statements };
    } finally {
      off();
    }
  }

  it("answers the second request for a page without a statement on the forum store, with the same answer", async () => {
    const cold = await page();
    const warm = await page();
    expect(cold.statements.length).toBeGreaterThanOrEqual(3);
    expect(warm.statements).toEqual([]);
    expect(warm.thread).toEqual(cold.thread);
    expect(cold.thread.posts.nodes.map((n: any) => n.citations[0].article.title)).toEqual(["Alpha", "Bravo", "Charlie"]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(Number(/crosswire_read_cache_lookups_total\{result="hit"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it("shows a post written through another connection to the same file (another process) in the next response", async () => {
    const before = (await page()).thread.posts.totalCount;
    await writeForum(localForumFile(dataDir), async (tx) => {
      await tx.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, 1, 1, ?, ?, ?)", [
        100, 100, "<p>Written elsewhere.</p>", "2026-12-01T00:00:00.000Z",
      ]);
    });
    const after = await page();
    expect(after.thread.posts.totalCount).toBe(before + 1);
    expect(after.thread.posts.nodes.at(-1).body).toContain("Written elsewhere.");
  });

  it("shows a post written through this gateway, and an article's new title, in the next response", async () => {
    await page();
    const token = await userToken("u-reads-1");
    const written = await gw.graphql(`mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } userErrors { code } } }`,
      { input: { threadId: THREAD, body: "Written here." } }, { authorization: `Bearer ${token}` });
    expect(written.body.data.createPost.userErrors).toEqual([]);
    expect((await page()).thread.posts.nodes.at(-1).body).toContain("Written here.");

    titles = ["Alpha, updated", "Bravo", "Charlie"];
    await refresh();
    expect((await page()).thread.posts.nodes[0].citations[0].article.title).toBe("Alpha, updated");
  });

  it("changes no answer when it is off (cache.reads.maxEntries: 0), and then every request reads the store", async () => {
    const off = await startTestGateway({
      news: { demoFeeds: false, poll: false }, cache: { reads: { maxEntries: 0 } },
    }, { dataDir: mkdtempSync(path.join(tmpdir(), "crosswire-reads-off-")) });
    try {
      const db = (off.gateway.forums.get("local") as LocalForumSource).database;
      let statements = 0;
      const stop = db.onStatement(() => statements++);
      const query = `{ thread(id: "${THREAD}") { title posts(first: 5) { nodes { author { name } } } } }`;
      const first = await off.graphql(query);
      const counted = statements;
      const second = await off.graphql(query);
      stop();
      expect(first.body.data.thread.posts.nodes.length).toBeGreaterThan(0);
      expect(second.body).toEqual(first.body);
      expect(counted).toBeGreaterThan(0);
      expect(statements).toBe(2 * counted);
    } finally {
      await off.close();
      rmSync(off.dataDir, { recursive: true, force: true });
    }
  });
});
