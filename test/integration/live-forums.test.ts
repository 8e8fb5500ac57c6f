import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FeedForumSource } from "../../sources/forum-feed/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startDiscourseFixture, TOPIC_ID, type DiscourseFixture } from "../helpers/discourse-fixture.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { connect, rssFeed, subscribe, until } from "../helpers/ws-client.js";

/*
 * Live events from remote forums (README "Live updates"): a forum-feed thread raises postAdded and
 * threadCited when a poll stores posts it never held, a forum-discourse topic when the gateway re-reads it
 * after its cache TTL and finds posts its last read did not list; an article arriving that a remote post
 * cites raises threadCited (NEW_ARTICLE) for that post's thread. Real fixture servers, a real graphql-ws client.
 */
const ADMIN = "live-forums-admin-token-0123456789";
const KNOWN = "https://liveblog.example/2026/11/25/harbour-fire-background";
const LATER = "https://liveblog.example/2026/11/25/harbour-fire-live";
const FORUM = "live-thread";
const XF_THREAD = "https://politics.example/threads/harbour-fire.77";
const FEED_THREAD = toGlobalId("Thread", FORUM, "77");
const DISCOURSE_THREAD = toGlobalId("Thread", "harbour-talk", TOPIC_ID);

interface Entry {
  id: number;
  author: string;
  minute: number;
  html: string;
}

/** A XenForo-style thread feed: one item per post, newest first, ids in the links. */
function threadFeed(entries: Entry[]): string {
  const items = [...entries].sort((a, b) => b.minute - a.minute).map((e) => `<item>
  <title>Harbour fire</title><link>${XF_THREAD}/post-${e.id}</link><guid isPermaLink="false">post-${e.id}</guid>
  <pubDate>${new Date(Date.UTC(2026, 10, 25, 8, e.minute)).toUTCString()}</pubDate><dc:creator>${e.author}</dc:creator>
  <content:encoded><![CDATA[${e.html}]]></content:encoded></item>`);
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Harbour fire | Northmark Politics</title><link>${XF_THREAD}/</link>
${items.join("\n")}
</channel></rss>`;
}

const POST_ADDED = `subscription($t: ID!) { postAdded(threadId: $t) { id position body author { name } } }`;
const THREAD_CITED = `subscription($t: ID!) { threadCited(threadId: $t) { reason thread { id title } post { id } article { title canonicalUrl } } }`;

describe("live events from remote forums (forum-feed, forum-discourse)", () => {
  let fixture: FixtureServer;
  let site: DiscourseFixture;
  let gw: TestGateway;
  let entries: Entry[];
  let wire = rssFeed([{ guid: "w-0", title: "Harbour fire: background", link: KNOWN }]);
  /** Answers 304 to a matching If-None-Match when on; counts the 304s. */
  let etag: string | null = null;
  let notModified = 0;

  const pollForum = () => (gw.gateway.forums.get(FORUM) as FeedForumSource).poll();
  const refreshWire = () =>
    gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: toGlobalId("Source", "wire", "wire") }, { authorization: `Bearer ${ADMIN}` });
  const readTopic = () => gw.graphql(`query($id: ID!) { thread(id: $id) { title posts(first: 1) { totalCount } } }`, { id: DISCOURSE_THREAD });

  beforeAll(async () => {
    [fixture, site] = await Promise.all([startFixtureServer(), startDiscourseFixture(25)]);
    entries = [
      { id: 501, author: "Marta K", minute: 0, html: `<p>The live blog will be at <a href="${LATER}">this address</a>.</p>` },
      { id: 502, author: "Tomas", minute: 5, html: "<p>Nothing cited here.</p>" },
    ];
    fixture.route("/thread.rss", (req, res) => {
      if (etag && req.headers["if-none-match"] === etag) {
        notModified += 1;
        return void res.writeHead(304).end();
      }
      res.writeHead(200, { "content-type": "application/rss+xml", ...(etag ? { etag } : {}) }).end(threadFeed(entries));
    });
    fixture.route("/wire.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(wire));
    gw = await startTestGateway({
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      sources: [{ id: "wire", name: "Wire", url: fixture.url("/wire.xml") }],
      forums: [
        { kind: "feed", id: FORUM, name: "Northmark Politics", url: fixture.url("/thread.rss") },
        { kind: "discourse", id: "harbour-talk", name: "Harbour Talk", url: site.url, cacheTtlSeconds: 1, postBatchSize: 20 },
      ],
    });
    expect((await refreshWire()).body.data.refreshSource.health.status).toBe("OK");
    expect(await pollForum()).toMatchObject({ kind: "stored", added: 2 });
  });

  beforeEach(async () => {
    if (gw) await until(() => gw.gateway.live.subscriptions!.active() === 0, "the previous test's subscriptions to end");
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([fixture?.close(), site?.close()]);
  });

  it("forum-feed: the poll that brings a new post delivers postAdded and threadCited (NEW_POST); re-polls and a 304 deliver nothing twice", async () => {
    const client = connect(gw.url);
    const posts = subscribe(client, POST_ADDED, { t: FEED_THREAD });
    const cited = subscribe(client, THREAD_CITED, { t: FEED_THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 2, "both subscriptions to start");

    entries.push({ id: 503, author: "Ines", minute: 10, html: `<p>Background: <a href="${KNOWN}?utm_source=forum">yesterday's piece</a></p>` });
    expect(await pollForum()).toMatchObject({ kind: "stored", added: 1 });
    const post = await posts.next();
    expect(post.errors).toBeUndefined();
    expect(post.data.postAdded).toMatchObject({ id: toGlobalId("Post", FORUM, "503"), position: 3, author: { name: "Ines" } });
    expect(post.data.postAdded.body).toContain("Background");
    const citation = await cited.next();
    expect(citation.errors).toBeUndefined();
    expect(citation.data.threadCited).toEqual({
      reason: "NEW_POST", thread: { id: FEED_THREAD, title: "Harbour fire" }, post: { id: toGlobalId("Post", FORUM, "503") },
      article: { title: "Harbour fire: background", canonicalUrl: KNOWN },
    });

    // The same feed again (200, then with an ETag, then a 304): every post is known, nothing is reported.
    expect(await pollForum()).toMatchObject({ kind: "stored", added: 0 });
    etag = '"v1"';
    expect(await pollForum()).toMatchObject({ kind: "stored", added: 0 });
    expect(await pollForum()).toEqual({ kind: "not-modified" });
    expect(notModified).toBe(1);
    await gw.gateway.live.events.settled();
    // Events arrive in order: the next one each subscription sees is the next new post's, not 503 again.
    etag = null;
    entries.push({ id: 504, author: "Marta K", minute: 15, html: `<p>Still burning, see <a href="${KNOWN}">the background</a>.</p>` });
    expect(await pollForum()).toMatchObject({ kind: "stored", added: 1 });
    expect((await posts.next()).data.postAdded.id).toBe(toGlobalId("Post", FORUM, "504"));
    expect((await cited.next()).data.threadCited.post.id).toBe(toGlobalId("Post", FORUM, "504"));
    await gw.gateway.live.events.settled();
    expect(posts.received).toHaveLength(0);
    expect(cited.received).toHaveLength(0);
    await client.dispose();
  });

  it("forum-feed: an article arriving that a stored forum post cites delivers threadCited (NEW_ARTICLE) for its thread", async () => {
    const client = connect(gw.url);
    const cited = subscribe(client, THREAD_CITED, { t: FEED_THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    wire = rssFeed([
      { guid: "w-1", title: "Harbour fire: live updates", link: LATER },
      { guid: "w-0", title: "Harbour fire: background", link: KNOWN },
    ]);
    await refreshWire();
    const event = await cited.next(3000);
    expect(event.errors).toBeUndefined();
    expect(event.data.threadCited).toEqual({
      reason: "NEW_ARTICLE", thread: { id: FEED_THREAD, title: "Harbour fire" }, post: { id: toGlobalId("Post", FORUM, "501") },
      article: { title: "Harbour fire: live updates", canonicalUrl: LATER },
    });
    await gw.gateway.live.events.settled();
    expect(cited.received).toHaveLength(0);
    await client.dispose();
  });

  it("forum-discourse: a topic re-read after its cache TTL with a new post delivers postAdded and threadCited (NEW_POST), once", async () => {
    // The first read only records the topic's post ids: nothing is new to a gateway that never saw the topic.
    expect((await readTopic()).body.data.thread).toEqual({ title: "Northmark coalition talks", posts: { totalCount: 25 } });
    const client = connect(gw.url);
    const posts = subscribe(client, POST_ADDED, { t: DISCOURSE_THREAD });
    const cited = subscribe(client, THREAD_CITED, { t: DISCOURSE_THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 2, "both subscriptions to start");

    const added = site.addPost(`<p>Background for the thread: <a href="${KNOWN}">the piece</a>.</p>`);
    const batchesBefore = site.count(`/t/${TOPIC_ID}/posts.json`);
    // Within the TTL the cached topic answers: nothing is re-read, nothing is new.
    expect((await readTopic()).body.data.thread.posts.totalCount).toBe(25);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await readTopic()).body.data.thread.posts.totalCount).toBe(26);
    const post = await posts.next();
    expect(post.errors).toBeUndefined();
    expect(post.data.postAdded).toMatchObject({ id: toGlobalId("Post", "harbour-talk", added), position: 26 });
    expect(post.data.postAdded.body).toContain("Background for the thread");
    const citation = await cited.next();
    expect(citation.data.threadCited).toMatchObject({
      reason: "NEW_POST", thread: { id: DISCOURSE_THREAD }, post: { id: toGlobalId("Post", "harbour-talk", added) }, article: { canonicalUrl: KNOWN },
    });
    // The new post lies past the 20 posts /t/{id}.json carries: it was fetched in one posts.json batch.
    expect(site.count(`/t/${TOPIC_ID}/posts.json`)).toBe(batchesBefore + 1);

    // Re-read again after the TTL with no new post: nothing. The next event is the next new post's.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await readTopic()).body.data.thread.posts.totalCount).toBe(26);
    const next = site.addPost("<p>No links.</p>");
    await new Promise((r) => setTimeout(r, 1100));
    expect((await readTopic()).body.data.thread.posts.totalCount).toBe(27);
    expect((await posts.next()).data.postAdded.id).toBe(toGlobalId("Post", "harbour-talk", next));
    expect(posts.received).toHaveLength(0);
    expect(cited.received).toHaveLength(0); // the post without links cites nothing
    await client.dispose();
  });
});
