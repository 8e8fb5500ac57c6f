import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * A news source's host answers some URLs with 429, 503, 500 and 403. Clients choose which URLs get fetched
 * (Query.unfurl, links in posts): none of their answers may put the host into backoff or open its circuit,
 * or any client could take the news source offline.
 */
const ADMIN = "test-admin-token-client-chosen-0123456789";
const html = (title: string) => ({ headers: { "content-type": "text/html; charset=utf-8" }, body: `<!doctype html><title>${title}</title><meta property="og:title" content="${title}">` });

describe("client-chosen URLs on a news source's host", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/feed", fromRoot("test", "fixtures", "rss", "rss2-basic.xml"), { "content-type": "application/rss+xml; charset=utf-8" });
    server.route("/throttled", { status: 429, headers: { "retry-after": "600" }, body: "slow down" });
    server.route("/overloaded", { status: 503, body: "busy" });
    server.route("/paywalled", { status: 403, body: "forbidden" });
    for (let i = 0; i < 8; i++) server.route(`/broken/${i}`, { status: 500, body: "error" });
    server.route("/story", html("A story"));
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      unfurl: { enabled: true },
      net: { allowPrivateNetworks: true, breakerThreshold: 5 },
      adminToken: ADMIN,
      sources: [{ id: "fx", name: "Fixture news", url: server.url("/feed") }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  const unfurl = async (path: string) => (await gw.graphql(`query ($url: String!) { unfurl(url: $url) { title } }`, { url: server.url(path) })).body;

  it("leave the host out of backoff and its circuit closed for the feed: it refreshes OK after them", async () => {
    // 403 and eight 500s: no backoff, and the circuit stays closed (a good page still unfurls).
    for (const path of ["/paywalled", ...Array.from({ length: 8 }, (_, i) => `/broken/${i}`)]) {
      const body = await unfurl(path);
      expect(body.data.unfurl).toBeNull();
      expect(body.errors?.[0]?.extensions?.code ?? "none").toMatch(/UNFURL_FAILED|none/);
    }
    expect((await unfurl("/story")).data.unfurl).toEqual({ title: "A story" });
    // 429 and 503 hold back later unfurls of this host (politeness), never the configured feed.
    for (const path of ["/throttled", "/overloaded"]) expect((await unfurl(path)).data.unfurl).toBeNull();
    const refreshed = (await gw.graphql(`mutation ($id: ID!) { refreshSource(id: $id) { health { status consecutiveFailures lastError } } }`, { id: toGlobalId("Source", "fx", "fx") }, { authorization: `Bearer ${ADMIN}` })).body;
    expect(refreshed.errors, JSON.stringify(refreshed.errors)).toBeUndefined();
    expect(refreshed.data.refreshSource.health).toMatchObject({ status: "OK", consecutiveFailures: 0, lastError: null });
    const later = await unfurl("/story?again=1");
    expect(later.errors[0].message).toMatch(/not asking 127\.0\.0\.1:\d+ again/);
  });
});
