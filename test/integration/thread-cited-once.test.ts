import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localForumFile } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { connect, rssFeed, subscribe, until } from "../helpers/ws-client.js";

const ADMIN = "thread-cited-once-admin-token-0123456789";
const CITED = "https://liveblog.example/2026/11/25/harbour-fire-live";
const THREAD = toGlobalId("Thread", "local", "1");

describe("threadCited NEW_ARTICLE fires once per story newly cited in a thread", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  const feeds = new Map<string, string>();
  const refresh = (slug: string) =>
    gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: toGlobalId("Source", slug, slug) }, { authorization: `Bearer ${ADMIN}` });

  beforeAll(async () => {
    fixture = await startFixtureServer();
    for (const name of ["first", "second"]) {
      feeds.set(name, rssFeed([{ guid: `${name}-0`, title: `${name} background`, link: `https://${name}.example/background` }]));
      fixture.route(`/${name}.xml`, (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(feeds.get(name)!));
    }
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-cited-once-"));
    // Two posts of one thread cite the same live blog, which no feed carries yet.
    await writeThreadWithBodies(localForumFile(dataDir), [
      `<p>Follow <a href="${CITED}">the live blog</a>.</p>`,
      `<p>Same blog, bare: ${CITED}</p>`,
    ]);
    gw = await startTestGateway({
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      search: { postSyncSeconds: 0 },
      sources: [
        { id: "first", name: "First outlet", url: fixture.url("/first.xml") },
        { id: "second", name: "Second outlet", url: fixture.url("/second.xml") },
      ],
    }, { dataDir });
    await refresh("first");
    await refresh("second");
  });

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("two posts citing the story give one event; a second source carrying the same URL gives none", async () => {
    const client = connect(gw.url);
    const sub = subscribe(client, `subscription($t: ID!) { threadCited(threadId: $t) { reason post { position } article { canonicalUrl sources { slug } } } }`, { t: THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");

    feeds.set("first", rssFeed([{ guid: "first-1", title: "Harbour fire: live", link: CITED }]));
    await refresh("first");
    await gw.gateway.live.events.settled();
    const event = await sub.next(3000);
    expect(event.data.threadCited).toEqual({ reason: "NEW_ARTICLE", post: { position: 1 }, article: { canonicalUrl: CITED, sources: [{ slug: "first" }] } });

    feeds.set("second", rssFeed([{ guid: "second-1", title: "Harbour fire (second outlet)", link: `${CITED}?utm_source=rss` }]));
    await refresh("second");
    await gw.gateway.live.events.settled();
    // The second outlet did store it: the article now lists both sources.
    const { body } = await gw.graphql(`query($u: String!) { article(url: $u) { sources { slug } } }`, { u: CITED });
    expect(body.data.article.sources.map((s: { slug: string }) => s.slug).sort()).toEqual(["first", "second"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.received).toHaveLength(0);
    sub.dispose();
    await client.dispose();
  });
});
