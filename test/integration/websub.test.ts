import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFeed } from "../../sources/rss/parse.js";
import { loadConfig } from "../../src/config/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { freePort } from "../helpers/servers.js";
import { connect, rssFeed, subscribe, until } from "../helpers/ws-client.js";

const ADMIN = "websub-test-admin-token-0123456789";
const SOURCE = toGlobalId("Source", "pushed", "pushed");

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => resolve(body));
  });
}

interface HubRequest {
  form: URLSearchParams;
  verified?: { status: number; body: string };
}

describe("WebSub", () => {
  let feeds: FixtureServer;
  let hub: FixtureServer;
  let gw: TestGateway;
  let feedBody: string;
  const hubRequests: HubRequest[] = [];

  const articleCount = async () => (await gw.graphql(`{ articles(filter: { sources: ["pushed"] }) { totalCount } }`)).body.data.articles.totalCount as number;

  /** What a hub does after accepting a request: verification of intent against the callback (§5.3). */
  async function verifyIntent(form: URLSearchParams, overrides: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const url = new URL(form.get("hub.callback")!);
    url.searchParams.set("hub.mode", form.get("hub.mode")!);
    url.searchParams.set("hub.topic", form.get("hub.topic")!);
    url.searchParams.set("hub.challenge", `challenge-${Math.random().toString(36).slice(2)}`);
    url.searchParams.set("hub.lease_seconds", form.get("hub.topic")!.endsWith("/short.xml") ? "2" : "3600");
    for (const [k, v] of Object.entries(overrides)) url.searchParams.set(k, v);
    const res = await fetch(url);
    const body = await res.text();
    return { status: res.status, body: res.status === 200 ? (body === url.searchParams.get("hub.challenge") ? "echoed" : body) : body };
  }

  async function push(form: URLSearchParams, body: string, signature: string | null): Promise<number> {
    const res = await fetch(form.get("hub.callback")!, {
      method: "POST",
      headers: { "content-type": "application/rss+xml", ...(signature ? { "x-hub-signature": signature } : {}) },
      body,
    });
    await res.text();
    return res.status;
  }

  beforeAll(async () => {
    feeds = await startFixtureServer();
    hub = await startFixtureServer({ host: "127.0.0.2" });
    const port = await freePort();
    feedBody = rssFeed([{ guid: "p-0", title: "Before any push", link: "https://pushed.example/0" }], { hub: hub.url("/hub"), self: feeds.url("/pushed.xml") });
    feeds.route("/pushed.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(feedBody));
    const shortFeed = rssFeed([{ guid: "s-0", title: "Short lease", link: "https://short.example/0" }], { hub: hub.url("/hub"), self: feeds.url("/short.xml") });
    feeds.route("/short.xml", { headers: { "content-type": "application/rss+xml" }, body: shortFeed });
    hub.route("/hub", async (req, res) => {
      const form = new URLSearchParams(await readAll(req));
      const entry: HubRequest = { form };
      hubRequests.push(entry);
      res.writeHead(202).end();
      // The hub verifies asynchronously, after answering (§5.3).
      if (form.get("hub.mode") !== "publish") setTimeout(() => void verifyIntent(form).then((v) => (entry.verified = v)), 10);
    });
    gw = await startTestGateway({
      port,
      adminToken: ADMIN,
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true, allowAddresses: ["127.0.0.2"] },
      search: { postSyncSeconds: 0 },
      syndication: { publicUrl: `http://127.0.0.1:${port}` },
      websub: { enabled: true, allowHttpHubs: true, leaseSeconds: 3600, maxPushBytes: 64 * 1024, hubUrl: hub.url("/publish"), publishDebounceMs: 0 },
      sources: [{ id: "pushed", name: "Pushed", url: feeds.url("/pushed.xml") }, { id: "short", name: "Short lease", url: feeds.url("/short.xml") }],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await feeds?.close();
    await hub?.close();
  });

  it("discovers the hub in the feed, subscribes, and answers the hub's verification of intent", async () => {
    await gw.graphql(`mutation { refreshSource(id: "${SOURCE}") { slug } }`, {}, { authorization: `Bearer ${ADMIN}` });
    await until(() => hubRequests[0]?.verified !== undefined, "the hub to verify the subscription");
    const { form, verified } = hubRequests[0]!;
    expect(form.get("hub.mode")).toBe("subscribe");
    expect(form.get("hub.topic")).toBe(feeds.url("/pushed.xml"));
    expect(form.get("hub.callback")).toMatch(new RegExp(`^${gw.url.replace(/[.]/g, "\\.")}/websub/callback/pushed/[A-Za-z0-9_-]{20,}$`));
    expect(form.get("hub.secret")!.length).toBeGreaterThanOrEqual(32);
    expect(form.get("hub.lease_seconds")).toBe("3600");
    expect(verified).toEqual({ status: 200, body: "echoed" });
    const state = await gw.gateway.live.websub!.state("pushed");
    expect(state).toMatchObject({ status: "subscribed", pending: null, leaseSeconds: 3600 });
    // Nothing is pending any more: a replayed verification, a wrong topic or an unknown callback gets 404.
    expect((await verifyIntent(form)).status).toBe(404);
    expect((await verifyIntent(form, { "hub.topic": "http://elsewhere.example/feed" })).status).toBe(404);
    const unknown = new URLSearchParams(form);
    unknown.set("hub.callback", form.get("hub.callback")!.replace(/[^/]+$/, "not-our-token-at-all-1234"));
    expect((await verifyIntent(unknown)).status).toBe(404);
    // A second poll of the same feed does not subscribe again.
    await gw.graphql(`mutation { refreshSource(id: "${SOURCE}") { slug } }`, {}, { authorization: `Bearer ${ADMIN}` });
    await gw.gateway.live.websub!.settled();
    expect(hubRequests.filter((r) => r.form.get("hub.mode") === "subscribe")).toHaveLength(1);
  });

  it("stores a correctly signed push (queryable, event delivered) and nothing from a badly signed one", async () => {
    const { form } = hubRequests[0]!;
    const secret = form.get("hub.secret")!;
    const client = connect(gw.url);
    const sub = subscribe(client, `subscription($s: [ID!]) { articleAdded(sourceIds: $s) { title url } }`, { s: [SOURCE] });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    const before = await articleCount();
    const lastPoll = async () => (await gw.graphql(`{ node(id: "${SOURCE}") { ... on Source { health { lastAttemptAt lastSuccessAt } } } }`)).body.data.node.health;
    const polledAt = (await lastPoll()).lastAttemptAt;
    expect(polledAt).not.toBeNull();

    const forged = rssFeed([{ guid: "p-evil", title: "Forged item", link: "https://pushed.example/evil" }]);
    expect(await push(form, forged, `sha256=${createHmac("sha256", "not-the-secret").update(forged).digest("hex")}`)).toBeLessThan(300);
    expect(await push(form, forged, null)).toBeLessThan(300);
    expect(await push(form, forged, `sha256=${createHmac("sha256", secret).update(forged).digest("hex").slice(0, -2)}00`)).toBeLessThan(300);
    expect(await articleCount()).toBe(before);

    const pushed = rssFeed([{ guid: "p-1", title: "Pushed within seconds", link: "https://pushed.example/1" }]);
    expect(await push(form, pushed, `sha256=${createHmac("sha256", secret).update(pushed).digest("hex")}`)).toBe(202);
    expect(await articleCount()).toBe(before + 1);
    // a push is not a poll: lastAttemptAt still says when the feed was last polled (the cluster poller reads it)
    expect(await lastPoll()).toMatchObject({ lastAttemptAt: polledAt });
    expect((await sub.next()).data.articleAdded).toEqual({ title: "Pushed within seconds", url: "https://pushed.example/1" });
    // The other methods the spec names are accepted too.
    const sha512 = rssFeed([{ guid: "p-2", title: "Signed with sha512", link: "https://pushed.example/2" }]);
    expect(await push(form, sha512, `sha512=${createHmac("sha512", secret).update(sha512).digest("hex")}`)).toBe(202);
    expect(await articleCount()).toBe(before + 2);
    await gw.gateway.live.events.settled();
    expect(sub.received.map((r) => r.data.articleAdded.title)).toEqual(["Signed with sha512"]);
    await client.dispose();
  });

  it("refuses a push over websub.maxPushBytes with 413 and a callback it does not know with 410", async () => {
    const { form } = hubRequests[0]!;
    expect(await push(form, "x".repeat(70 * 1024), "sha256=00")).toBe(413);
    const stranger = new URLSearchParams(form);
    stranger.set("hub.callback", form.get("hub.callback")!.replace(/[^/]+$/, "not-our-token-at-all-1234"));
    expect(await push(stranger, "<rss/>", "sha256=00")).toBe(410);
    // a token of the right length in characters but not in bytes is just unknown (it once made timingSafeEqual throw: 500)
    const token = form.get("hub.callback")!.split("/").pop()!;
    const multibyte = new URLSearchParams(form);
    multibyte.set("hub.callback", form.get("hub.callback")!.replace(/[^/]+$/, encodeURIComponent("é".repeat(token.length))));
    expect(await push(multibyte, "<rss/>", "sha256=00")).toBe(410);
    expect((await verifyIntent(multibyte)).status).toBe(404);
  });

  it("does not subscribe at a plain-http hub unless websub.allowHttpHubs (the secret would travel in clear)", async () => {
    const port = await freePort();
    const strict = await startTestGateway({
      port, adminToken: ADMIN, forum: { seedDemo: false }, news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true, allowAddresses: ["127.0.0.2"] }, search: { postSyncSeconds: 0 },
      syndication: { publicUrl: `http://127.0.0.1:${port}` }, websub: { enabled: true },
      sources: [{ id: "pushed", name: "Pushed", url: feeds.url("/pushed.xml") }],
    });
    try {
      const before = hubRequests.length;
      const polled = await strict.graphql(`mutation { refreshSource(id: "${SOURCE}") { health { status } } }`, {}, { authorization: `Bearer ${ADMIN}` });
      expect(polled.body.data.refreshSource.health.status).toBe("OK");
      await strict.gateway.live.websub!.settled();
      expect(hubRequests.length).toBe(before);
      expect(await strict.gateway.live.websub!.state("pushed")).toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  it("renews the lease before it expires", async () => {
    // This hub grants far less than asked: 2 s, so the gateway renews after 1.8 s.
    await gw.graphql(`mutation { refreshSource(id: "${toGlobalId("Source", "short", "short")}") { slug } }`, {}, { authorization: `Bearer ${ADMIN}` });
    const forShort = () => hubRequests.filter((r) => r.form.get("hub.topic") === feeds.url("/short.xml"));
    await until(() => forShort()[0]?.verified !== undefined, "the first verification");
    expect(forShort()[0]!.verified).toEqual({ status: 200, body: "echoed" });
    await until(() => forShort()[1]?.verified !== undefined, "the renewal", 8000);
    const [first, renewal] = forShort();
    expect(renewal!.form.get("hub.mode")).toBe("subscribe");
    expect(renewal!.verified).toEqual({ status: 200, body: "echoed" });
    // A renewal asks with a new callback URL (and secret).
    expect(renewal!.form.get("hub.callback")).not.toBe(first!.form.get("hub.callback"));
    expect((await gw.gateway.live.websub!.state("short"))!.status).toBe("subscribed");
  });

  it("publisher: our feeds carry rel=hub and rel=self, and a change pings the hub", async () => {
    const id = encodeURIComponent(SOURCE);
    const atom = await (await fetch(`${gw.url}/feeds/sources/${id}.atom`)).text();
    expect(atom).toContain(`<link rel="hub" href="${hub.url("/publish")}"/>`);
    expect(atom).toContain(`<link rel="self" href="${gw.url}/feeds/sources/${id}.atom"/>`);
    const rss = await (await fetch(`${gw.url}/feeds/sources/${id}.rss`)).text();
    expect(rss).toMatch(new RegExp(`<atom:link href="${hub.url("/publish").replace(/[.]/g, "\\.")}" rel="hub"/>`));
    const json = await (await fetch(`${gw.url}/feeds/sources/${id}.json`)).json() as any;
    expect(json.hubs).toEqual([{ type: "WebSub", url: hub.url("/publish") }]);

    const pings = () => hub.requests.filter((r) => r.path === "/publish").length;
    await gw.gateway.live.publisher!.flush(); // pings for the earlier tests' pushes
    const before = pings();
    feedBody = rssFeed([{ guid: "p-3", title: "Polled change", link: "https://pushed.example/3" }], { hub: hub.url("/hub"), self: feeds.url("/pushed.xml") });
    await gw.graphql(`mutation { refreshSource(id: "${SOURCE}") { slug } }`, {}, { authorization: `Bearer ${ADMIN}` });
    await gw.gateway.live.publisher!.flush();
    expect(pings() - before).toBe(6); // the source's feed and the river, in three formats each
  });

  it("unsubscribes when the feed stops declaring a hub", async () => {
    feedBody = rssFeed([{ guid: "p-3", title: "Polled change", link: "https://pushed.example/3" }]);
    await gw.graphql(`mutation { refreshSource(id: "${SOURCE}") { slug } }`, {}, { authorization: `Bearer ${ADMIN}` });
    const unsubscribe = () => hubRequests.find((r) => r.form.get("hub.mode") === "unsubscribe" && r.form.get("hub.topic") === feeds.url("/pushed.xml"));
    await until(() => unsubscribe()?.verified !== undefined, "the hub to verify the unsubscription");
    expect(unsubscribe()!.verified).toEqual({ status: 200, body: "echoed" });
    expect(await gw.gateway.live.websub!.state("pushed")).toBeUndefined();
  });
});

describe("WebSub discovery in feeds and its configuration", () => {
  it("reads rel=hub and rel=self from Atom, RSS (atom:link) and JSON Feed (hubs, feed_url)", async () => {
    const atom = await parseFeed(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
      <link rel="hub" href="https://hub.example/"/><link rel="self" href="https://a.example/feed.atom"/><link href="https://a.example/"/>
      <entry><title>e</title><id>1</id><link href="https://a.example/1"/></entry></feed>`);
    expect(atom).toMatchObject({ hubs: ["https://hub.example/"], selfUrl: "https://a.example/feed.atom", homepage: "https://a.example/" });
    const rss = await parseFeed(rssFeed([{ guid: "1", title: "t", link: "https://r.example/1" }], { hub: "https://hub.example/r", self: "https://r.example/rss" }));
    expect(rss).toMatchObject({ hubs: ["https://hub.example/r"], selfUrl: "https://r.example/rss", homepage: "https://liveblog.example/" });
    const json = await parseFeed(JSON.stringify({
      version: "https://jsonfeed.org/version/1.1", title: "J", feed_url: "https://j.example/feed.json",
      hubs: [{ type: "WebSub", url: "https://hub.example/j" }, { type: "rssCloud", url: "https://cloud.example/" }], items: [],
    }));
    expect(json).toMatchObject({ hubs: ["https://hub.example/j"], selfUrl: "https://j.example/feed.json" });
    const none = await parseFeed(rssFeed([{ guid: "1", title: "t", link: "https://r.example/1" }]));
    expect(none).toMatchObject({ hubs: [], selfUrl: null });
  });

  it("refuses websub.enabled without syndication.publicUrl, naming both keys", () => {
    expect(() => loadConfig({}, { websub: { enabled: true } })).toThrow(/websub\.enabled: needs syndication\.publicUrl/);
    expect(loadConfig({}, { websub: { enabled: true }, syndication: { publicUrl: "https://crosswire.example" } }).websub.enabled).toBe(true);
  });
});
