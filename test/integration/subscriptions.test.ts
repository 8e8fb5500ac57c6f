import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLocalForumSource, indexCitations, localForumFile } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { writeThreadWithBodies } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { missingMessage } from "../helpers/requirements.js";
import { freePort, startRedis, type TestRedis } from "../helpers/servers.js";
import { connect, rssFeed, subscribe, until, wsUrl } from "../helpers/ws-client.js";

const ADMIN = "live-updates-admin-token-0123456789";
const CITED = "https://liveblog.example/2026/11/25/harbour-fire-live";
const KNOWN = "https://liveblog.example/2026/11/24/harbour-background";
const THREAD = toGlobalId("Thread", "local", "1");
const FIXTURE_SOURCE = toGlobalId("Source", "fixture", "fixture");

const refresh = (gw: TestGateway, slug: string) =>
  gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: toGlobalId("Source", slug, slug) }, { authorization: `Bearer ${ADMIN}` });

describe("GraphQL subscriptions over graphql-ws", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let dataDir: string;
  const feeds = new Map<string, string>();

  beforeAll(async () => {
    fixture = await startFixtureServer();
    for (const name of ["fixture", "other"]) {
      feeds.set(name, rssFeed([{ guid: `${name}-0`, title: `${name} background`, link: name === "fixture" ? KNOWN : `https://other.example/${name}-0` }]));
      fixture.route(`/${name}.xml`, (_req, res) => {
        const body = feeds.get(name)!;
        if (body === "broken") return void res.writeHead(500).end("down");
        res.writeHead(200, { "content-type": "application/rss+xml" }).end(body);
      });
    }
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-live-"));
    // One thread whose first post cites a live blog no feed carries yet.
    await writeThreadWithBodies(localForumFile(dataDir), [
      `<p>Follow <a href="${CITED}">the live blog</a>.</p>`,
      `<p>Nothing cited here.</p>`,
    ]);
    gw = await startTestGateway({
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false, maxFeedBytes: 64 * 1024 * 1024 },
      net: { allowPrivateNetworks: true },
      search: { postSyncSeconds: 0 },
      limits: { maxDepth: 8, maxCost: 5000 },
      subscriptions: { maxPerConnection: 3, maxBufferedBytes: 64 * 1024 },
      sources: [
        { id: "fixture", name: "Fixture Live", url: fixture.url("/fixture.xml") },
        { id: "other", name: "Other", url: fixture.url("/other.xml") },
      ],
    }, { dataDir });
    expect((await refresh(gw, "fixture")).body.data.refreshSource.health.status).toBe("OK");
    expect((await refresh(gw, "other")).body.data.refreshSource.health.status).toBe("OK");
  });

  // A test's subscriptions end asynchronously after it disposes its client: start each test from none.
  beforeEach(async () => {
    if (gw) await until(() => gw.gateway.live.subscriptions!.active() === 0, "the previous test's subscriptions to end");
  });

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers threadCited within one second of the store writing the article a post cites", async () => {
    const client = connect(gw.url);
    const sub = subscribe(client, `subscription($t: ID!) { threadCited(threadId: $t) {
      reason at thread { id title } post { id position } article { title canonicalUrl sources { slug } } } }`, { t: THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    let storedAt = 0;
    const stop = gw.gateway.live.events.observe((topic, payload) => {
      if (topic === "articleAdded") storedAt = payload.at;
    });
    feeds.set("fixture", rssFeed([
      { guid: "fixture-1", title: "Harbour fire: live updates", link: CITED },
      { guid: "fixture-0", title: "fixture background", link: KNOWN },
    ]));
    await refresh(gw, "fixture");
    const event = await sub.next(3000);
    stop();
    expect(event.errors).toBeUndefined();
    expect(storedAt).toBeGreaterThan(0);
    expect(event.receivedAt - storedAt).toBeLessThan(1000);
    expect(event.data.threadCited).toMatchObject({
      reason: "NEW_ARTICLE",
      thread: { id: THREAD, title: "Harbour news" },
      post: { id: toGlobalId("Post", "local", "1"), position: 1 },
      article: { title: "Harbour fire: live updates", canonicalUrl: CITED, sources: [{ slug: "fixture" }] },
    });
    // The article is queryable too, and the same feed again adds nothing, so fires nothing.
    const queried = await gw.graphql(`{ articles(filter: { sources: ["fixture"] }) { totalCount } }`);
    expect(queried.body.data.articles.totalCount).toBe(2);
    await refresh(gw, "fixture");
    await gw.gateway.live.events.settled();
    expect(sub.received).toHaveLength(0);
    sub.dispose();
    await client.dispose();
  });

  it("delivers postAdded and threadCited (NEW_POST) for a post the forum store gained", async () => {
    const client = connect(gw.url);
    const posts = subscribe(client, `subscription($t: ID!) { postAdded(threadId: $t) { id position body author { username } } }`, { t: THREAD });
    const cited = subscribe(client, `subscription($t: ID!) { threadCited(threadId: $t) { reason post { position } article { canonicalUrl } } }`, { t: THREAD });
    await until(() => gw.gateway.live.subscriptions!.active() === 2, "both subscriptions to start");
    // The forum software writes the database; forum-local's citation index is filled as it does.
    const forum = await createLocalForumSource({ file: localForumFile(dataDir), seedDemo: false });
    await forum.database.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (3, 1, 2, 3, ?, ?)", [
      `<p>Background: <a href="${KNOWN}">yesterday's piece</a></p>`, new Date().toISOString(),
    ]);
    await indexCitations(forum.database);
    await forum.close();
    await gw.gateway.search.syncForums();
    const post = await posts.next();
    expect(post.data.postAdded).toMatchObject({ id: toGlobalId("Post", "local", "3"), position: 3, author: { username: "reader2" } });
    expect(post.data.postAdded.body).toContain("Background");
    const citation = await cited.next();
    expect(citation.data.threadCited).toEqual({ reason: "NEW_POST", post: { position: 3 }, article: { canonicalUrl: KNOWN } });
    await client.dispose();
  });

  it("articleAdded with sourceIds delivers only those sources' articles", async () => {
    const client = connect(gw.url);
    const sub = subscribe(client, `subscription($s: [ID!]) { articleAdded(sourceIds: $s) { title sources { slug } } }`, { s: [FIXTURE_SOURCE] });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    feeds.set("other", rssFeed([{ guid: "other-1", title: "Other news", link: "https://other.example/other-1" }]));
    await refresh(gw, "other");
    feeds.set("fixture", rssFeed([{ guid: "fixture-2", title: "Harbour fire: second update", link: `${CITED}-2` }]));
    await refresh(gw, "fixture");
    const first = await sub.next();
    expect(first.data.articleAdded).toEqual({ title: "Harbour fire: second update", sources: [{ slug: "fixture" }] });
    await gw.gateway.live.events.settled();
    expect(sub.received).toHaveLength(0);
    await client.dispose();
  });

  it("sourceHealthChanged fires when a source starts failing", async () => {
    const client = connect(gw.url);
    const sub = subscribe(client, `subscription($s: [ID!]) { sourceHealthChanged(sourceIds: $s) { slug health { status consecutiveFailures lastError } } }`, { s: [FIXTURE_SOURCE] });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    const good = feeds.get("fixture")!;
    feeds.set("fixture", "broken");
    await refresh(gw, "fixture");
    const event = await sub.next();
    expect(event.data.sourceHealthChanged).toMatchObject({ slug: "fixture", health: { status: "DEGRADED", consecutiveFailures: 1 } });
    expect(event.data.sourceHealthChanged.health.lastError).toMatch(/500/);
    feeds.set("fixture", good);
    await refresh(gw, "fixture");
    expect((await sub.next()).data.sourceHealthChanged.health).toMatchObject({ status: "OK", consecutiveFailures: 0 });
    await client.dispose();
  });

  it("refuses a subscription over the limits, a malformed id, a query, and too many subscriptions, each with a code", async () => {
    const client = connect(gw.url);
    const deep = subscribe(client, `subscription($t: ID!) { threadCited(threadId: $t) { post { thread { posts { edges { node { thread { posts { edges { node { id } } } } } } } } } } }`, { t: THREAD });
    expect((await deep.error)[0].extensions.code).toBe("QUERY_TOO_DEEP");
    const costly = subscribe(client, `subscription($t: ID!) { postAdded(threadId: $t) { author { posts(first: 100) { edges { node { thread { posts(first: 100) { totalCount } } } } } } } }`, { t: THREAD });
    const costlyErrors = await costly.error;
    expect(costlyErrors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(costlyErrors[0].message).toMatch(/exceeds the limit of 5000/);
    const malformed = subscribe(client, `subscription { threadCited(threadId: "not an id!") { reason } }`);
    const malformedErrors = await malformed.error;
    expect(malformedErrors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(malformedErrors[0].message).toMatch(/threadId/);
    const query = subscribe(client, `{ sources { slug } }`);
    expect((await query.error)[0].message).toMatch(/only subscriptions run over WebSocket/);
    const ok = [1, 2, 3].map(() => subscribe(client, `subscription { articleAdded { title } }`));
    await until(() => gw.gateway.live.subscriptions!.active() === 3, "three subscriptions");
    const fourth = subscribe(client, `subscription { articleAdded { title } }`);
    expect((await fourth.error)[0].extensions.code).toBe("TOO_MANY_SUBSCRIPTIONS");
    ok.forEach((s) => s.dispose());
    // The connection survived all of it.
    await until(() => gw.gateway.live.subscriptions!.active() === 0, "the subscriptions to end");
    expect(gw.gateway.live.subscriptions!.connections()).toBe(1);
    await client.dispose();
  });

  it("authenticates from connectionParams like POST does, and refuses other paths", async () => {
    const wrong = connect(gw.url, { Authorization: "Bearer not-the-admin-token-at-all" });
    subscribe(wrong, `subscription { articleAdded { title } }`);
    expect((await wrong.closed).code).toBe(4403);
    const admin = connect(gw.url, { Authorization: `Bearer ${ADMIN}` });
    const sub = subscribe(admin, `subscription { articleAdded { title } }`);
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the admin's subscription to start");
    sub.dispose();
    await admin.dispose();
    const elsewhere = new WebSocket(wsUrl(gw.url).replace(/\/graphql$/, "/feeds/river"), "graphql-transport-ws");
    const status = await new Promise<number>((resolve) => elsewhere.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(404);
  });

  it("closes a slow consumer with close code 4008 instead of buffering without bound", async () => {
    const socket = new WebSocket(wsUrl(gw.url), "graphql-transport-ws");
    await new Promise((r) => socket.once("open", r));
    socket.send(JSON.stringify({ type: "connection_init" }));
    await new Promise((r) => socket.once("message", r));
    socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { articleAdded { title summary } }" } }));
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    // The client stops reading; the gateway must notice from its own send buffer.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    // 500 articles with 20 KB summaries: 10 MB to send, more than the loopback socket buffers hold (with 1 MB,
    // measured, the kernel took it all and bufferedAmount stayed 0). The bulk rides in the summary, not the
    // title: feed titles are cut to 2000 characters where they enter (sources/rss/fields.ts plainTitle).
    const big = "x".repeat(20_000);
    feeds.set("fixture", rssFeed(Array.from({ length: 500 }, (_, i) => ({ guid: `bulk-${i}`, title: `Bulk ${i}`, link: `https://liveblog.example/bulk/${i}`, summary: big }))));
    await refresh(gw, "fixture");
    // The premise: each event really carries the 20 KB (were it cut on the way in, nothing would fill the buffers).
    const stored = await gw.graphql(`query($u: String!) { article(url: $u) { summaryText } }`, { u: "https://liveblog.example/bulk/499" });
    expect(stored.body.data.article.summaryText).toHaveLength(20_000);
    await until(() => gw.gateway.live.subscriptions!.slowConsumersClosed() === 1, "the server to close the slow client", 20_000);
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4008);
  }, 60_000);

  it("handshakes that ws refuses (no Sec-WebSocket-Key) do not use up the address's connection allowance", async () => {
    const other = await startTestGateway({ news: { demoFeeds: false, poll: false }, search: { postSyncSeconds: 0 }, subscriptions: { maxConnectionsPerIp: 2 } });
    try {
      const port = Number(new URL(other.url).port);
      const rawUpgrade = () =>
        new Promise<string>((resolve) => {
          const s = net.connect(port, "127.0.0.1", () =>
            s.write(`GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`));
          let reply = "";
          s.on("data", (d) => (reply += d));
          s.on("close", () => resolve(reply.split("\r\n")[0] ?? ""));
          s.on("error", () => resolve(reply));
        });
      for (let i = 0; i < 5; i++) expect(await rawUpgrade()).toMatch(/^HTTP\/1\.1 400/);
      const client = connect(other.url);
      subscribe(client, `subscription { articleAdded { title } }`);
      await until(() => other.gateway.live.subscriptions!.active() === 1, "a real client to be let in after the refused handshakes");
      await client.dispose();
    } finally {
      await other.close();
    }
  });

  it("caps connections per address, and closes open sockets with 1001 when the gateway stops", async () => {
    const other = await startTestGateway({ news: { demoFeeds: false, poll: false }, search: { postSyncSeconds: 0 }, subscriptions: { maxConnectionsPerIp: 1 } });
    const client = connect(other.url);
    subscribe(client, `subscription { articleAdded { title } }`);
    await until(() => other.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    const second = new WebSocket(wsUrl(other.url), "graphql-transport-ws");
    const refused = await new Promise<number>((resolve) => second.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refused).toBe(429);
    await other.close();
    expect((await client.closed).code).toBe(1001);
  });
});

// The one part of this file that needs redis-server: skipped, with a line saying so, where it is not installed.
const redisMissing = missingMessage(["redis-server"]);
if (redisMissing) console.warn(`skipping "two gateway processes sharing Redis pub/sub": ${redisMissing}`);

describe.skipIf(redisMissing !== null)("two gateway processes sharing Redis pub/sub", () => {
  let redis: TestRedis;
  let fixture: FixtureServer;
  const children: ChildProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    fixture = await startFixtureServer();
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    }
    await fixture?.close();
    await redis?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function startProcess(): Promise<string> {
    const dir = mkdtempSync(path.join(tmpdir(), "crosswire-live-proc-"));
    dirs.push(dir);
    const port = await freePort();
    const configFile = path.join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify({
      port, host: "127.0.0.1", dataDir: path.join(dir, "data"), logLevel: "info", adminToken: ADMIN,
      cache: { store: "redis", redisUrl: redis.url },
      news: { demoFeeds: false, poll: false }, unfurl: { enabled: false }, net: { allowPrivateNetworks: true },
      sources: [{ id: "fixture", name: "Fixture Live", url: fixture.url("/shared.xml") }],
    }));
    const child = spawn(process.execPath, [fromRoot("dist", "src", "cli.js"), "serve"], {
      env: { PATH: process.env.PATH ?? "", CROSSWIRE_CONFIG: configFile }, stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await until(() => /crosswire listening/.test(output), "the gateway process to listen", 20_000).catch(() => {
      throw new Error(`gateway process did not start:\n${output}`);
    });
    return `http://127.0.0.1:${port}`;
  }

  it("a subscriber on process 1 receives an article ingested by process 2, once, and process 2's own subscriber once", async () => {
    fixture.route("/shared.xml", { headers: { "content-type": "application/rss+xml" }, body: rssFeed([{ guid: "s-1", title: "Shared story", link: "https://liveblog.example/shared-1" }]) });
    const [one, two] = await Promise.all([startProcess(), startProcess()]);
    const onOne = connect(one);
    const onTwo = connect(two);
    const subOne = subscribe(onOne, `subscription { articleAdded { title canonicalUrl } }`);
    const subTwo = subscribe(onTwo, `subscription { articleAdded { title } }`);
    // The other processes' subscription counts are out of reach: graphql-ws handles a subscribe message within a
    // few ms of the connection ack, so a second is ample, even on a loaded machine.
    await new Promise((r) => setTimeout(r, 1000));
    const res = await fetch(`${two}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query: `mutation { refreshSource(id: "${toGlobalId("Source", "fixture", "fixture")}") { health { status } } }` }),
    });
    expect(((await res.json()) as any).data.refreshSource.health.status).toBe("OK");
    expect((await subOne.next(5000)).data.articleAdded).toEqual({ title: "Shared story", canonicalUrl: "https://liveblog.example/shared-1" });
    expect((await subTwo.next(5000)).data.articleAdded).toEqual({ title: "Shared story" });
    await new Promise((r) => setTimeout(r, 300));
    expect(subOne.received).toHaveLength(0);
    expect(subTwo.received).toHaveLength(0);
    await onOne.dispose();
    await onTwo.dispose();
  }, 60_000);

  it("Redis lost under a connected subscriber: the subscription survives, events flow again when Redis returns, and stop is prompt", async () => {
    fixture.route("/alone.xml", { headers: { "content-type": "application/rss+xml" }, body: rssFeed([{ guid: "a-1", title: "Alone", link: "https://liveblog.example/alone-1" }]) });
    const alone = await startTestGateway({
      adminToken: ADMIN, cache: { store: "redis", redisUrl: redis.url, timeoutMs: 200 },
      news: { demoFeeds: false, poll: false }, net: { allowPrivateNetworks: true }, search: { postSyncSeconds: 0 },
      sources: [{ id: "alone", name: "Alone", url: fixture.url("/alone.xml") }],
    });
    try {
      const client = connect(alone.url);
      const sub = subscribe(client, `subscription { articleAdded(sourceIds: ["${toGlobalId("Source", "alone", "alone")}"]) { title } }`);
      await until(() => alone.gateway.live.subscriptions!.active() === 1, "the subscription to start");
      await redis.stop();
      await until(async () => (await fetch(`${alone.url}/readyz`)).status === 503, "readyz to report Redis lost");
      // the refresh cannot store anything while the cache is gone: it fails, and nothing is delivered
      const lost = await refresh(alone, "alone");
      expect(lost.body.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      expect(alone.gateway.live.subscriptions!.active()).toBe(1);
      await redis.start();
      await until(async () => (await fetch(`${alone.url}/readyz`)).status === 200, "readyz to recover");
      await refresh(alone, "alone");
      expect((await sub.next()).data.articleAdded).toEqual({ title: "Alone" });
      await client.dispose();
    } finally {
      const started = Date.now();
      await alone.close();
      expect(Date.now() - started).toBeLessThan(5000);
    }
  }, 30_000);
});
