import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { decodeText } from "../../src/net/index.js";
import { parseFeed } from "../../sources/rss/parse.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { XMLLINT, XMLLINT_MISSING, xmllint } from "../helpers/xmllint.js";

const fixture = (name: string) => fromRoot("test", "fixtures", "rss", name);
const JSON_FEED = { "content-type": "application/feed+json" };
const TITLES = ["Die Rückkehr von <i> und <b>", "AT&T & Co. say 3 < 4 </b>"];

describe("our own feeds carry plain-text titles with < and & in every format (item 9)", () => {
  let server: FixtureServer;
  let gw: TestGateway;

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/feed.json", fixture("jsonfeed-title-looks-like-markup.json"), JSON_FEED);
    gw = await startTestGateway({
      forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowPrivateNetworks: true },
      sources: [{ id: "markup", name: "Markup", url: server.url("/feed.json") }],
    });
    await gw.gateway.news.refresh("markup");
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  for (const format of ["rss", "atom", "json"] as const) {
    it(`${format}: a reader reads the titles back exactly`, async () => {
      const res = await fetch(`${gw.url}/feeds/sources/markup.${format}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const feed = await parseFeed(decodeText(Buffer.from(text), "utf-8", format === "json" ? "json" : "xml"), res.headers.get("content-type"));
      expect(feed.items.map((i) => i.title)).toEqual(TITLES);
    });
  }

  it.skipIf(!XMLLINT)("RSS and Atom are well-formed to xmllint", async () => {
    for (const format of ["rss", "atom"]) expect(xmllint(await (await fetch(`${gw.url}/feeds/sources/markup.${format}`)).text())).toBe("");
  });
  it.runIf(!XMLLINT)(`skipped: ${XMLLINT_MISSING}`, () => undefined);

  it("Last-Modified moves on when an entry with an older date is added, so If-Modified-Since gets it", async () => {
    const url = `${gw.url}/feeds/sources/markup.atom`;
    const first = await fetch(url);
    const lastModified = first.headers.get("last-modified")!;
    expect((await fetch(url, { headers: { "if-modified-since": lastModified } })).status).toBe(304);
    server.serveFile("/feed.json", fixture("jsonfeed-entry-added-with-older-date.json"), JSON_FEED);
    expect(await gw.gateway.news.refresh("markup")).toMatchObject({ kind: "stored", added: 1 });
    const after = await fetch(url, { headers: { "if-modified-since": lastModified } });
    expect(after.status).toBe(200);
    expect(Date.parse(after.headers.get("last-modified")!)).toBeGreaterThan(Date.parse(lastModified));
    expect(await after.text()).toContain("Backfilled story");
  });
});
