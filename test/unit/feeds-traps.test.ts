import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeText } from "../../src/net/index.js";
import { parseFeed } from "../../sources/rss/parse.js";
import { fromRoot } from "../../src/paths.js";

/**
 * One trap per fixture (test/fixtures/rss), each found in a recorded real feed (test/fixtures/real-world/feeds),
 * read through the two steps the parse worker takes: decodeText (src/net) then parseFeed. Issue 16, items 2–8.
 */
const FEED_URL = "https://feeds.fixture.example/path/feed.xml";
const read = (name: string, contentType = "application/xml", charset: string | null = null) => {
  const bytes = readFileSync(fromRoot("test", "fixtures", "rss", name));
  return parseFeed(decodeText(bytes, charset, contentType.includes("json") ? "json" : "xml"), contentType, FEED_URL);
};

describe("well-known breakage is read as readers read it (item 2)", () => {
  it("reads <rss> without a version attribute as RSS 2.0 and says it read leniently", async () => {
    const feed = await read("rss-without-version.xml");
    expect(feed.items.map((i) => i.title)).toEqual(["Ferry timetable changes"]);
    expect(feed.warnings).toEqual(["read leniently: <rss> without a version read as RSS 2.0"]);
  });

  it("reads a bare & as &amp; instead of calling it entity expansion", async () => {
    const feed = await read("bare-ampersand-category.xml");
    expect(feed.items[0]!.categories).toEqual(["Plants & Animals"]);
    expect(feed.warnings).toEqual(['read leniently: 1 bare "&" read as "&amp;"']);
  });

  it('reads a JSON Feed declaring "http://jsonfeed.org/version/1"', async () => {
    const feed = await read("jsonfeed-http-version.json", "application/feed+json");
    expect(feed.items.map((i) => i.title)).toEqual(["Version with http"]);
  });

  it("reads a feed whose root element is never closed", async () => {
    const feed = await read("unclosed-root.xml");
    expect(feed.items.map((i) => i.link)).toEqual(["https://news.fixture.example/2026/11/19/cut?a=1&b=2"]);
    expect(feed.warnings[0]).toContain("the document ends before its root element is closed");
  });

  it("still refuses an undefined entity, and names it instead of blaming entity expansion", async () => {
    await expect(read("undefined-entity.xml")).rejects.toThrow(/^the feed uses an entity XML does not define \(&madeup;\) at line 6$/);
  });

  it("still refuses entity declarations (billion laughs, XXE) as entity expansion", async () => {
    await expect(read("billion-laughs.xml")).rejects.toThrow(/entity expansion and external entities are refused/);
    await expect(read("xxe-file.xml")).rejects.toThrow(/entity expansion and external entities are refused/);
  });
});

describe("relative links are resolved (item 3)", () => {
  it("against xml:base on the feed, then on the entry", async () => {
    const feed = await read("atom-xml-base.xml");
    expect(feed.items.map((i) => i.link)).toEqual([
      "https://blog.fixture.example/2026/11/19/feed-base", "https://other.fixture.example/posts/entry-base",
    ]);
  });

  it("against the feed's URL when there is no xml:base (GitHub releases)", async () => {
    const feed = await read("github-releases-relative.atom");
    expect(feed.items[0]!.link).toBe("https://feeds.fixture.example/owner/repo/releases/tag/v3.9.0");
  });

  it("a permalink <guid> is the link of an item that has none", async () => {
    const feed = await read("guid-permalink-no-link.xml");
    expect(feed.items[0]!.link).toBe("https://news.fixture.example/2026/11/19/guid-only");
  });
});

describe("titles are plain text, decoded once (item 4)", () => {
  it("RSS titles: escaped references and markup become the text a reader shows", async () => {
    const feed = await read("title-entities-markup.xml");
    expect(feed.items.map((i) => i.title)).toEqual([
      "Victorian $4300 3bd 1930ft2", "Tired of Google's Tracking? UK’s answer", "Price Rs. 500 & up",
    ]);
  });

  it("Atom type=html is decoded once; type=text is kept as written", async () => {
    const feed = await read("atom-title-html-double-escaped.xml");
    expect(feed.items.map((i) => i.title)).toEqual(["Security & Privacy Newsletter", "Use <b> for bold & <i> for italics"]);
  });

  it("Atom type=xhtml gives its text", async () => {
    const feed = await read("atom-title-xhtml.xml");
    expect(feed.items[0]!.title).toBe("The bold & the brave");
  });
});

describe("Atom type=xhtml content keeps mixed-content order (item 5)", () => {
  it("text inside inline elements stays where it was", async () => {
    const feed = await read("atom-xhtml-content-order.xml");
    expect(feed.items[0]!.summaryHtml).toBe('<p>The <a href="https://news.fixture.example/api">interface</a> is <em>stable</em> now.</p>');
  });
});

describe("dates (item 6)", () => {
  it("reads RFC 822 zone names and reads a date without a zone as UTC", async () => {
    const feed = await read("rfc822-zone-names.xml");
    expect(Object.fromEntries(feed.items.map((i) => [i.title, i.publishedAt]))).toEqual({
      BST: "2019-05-17T05:00:00.000Z", CEST: "2019-05-17T04:00:00.000Z", IST: "2019-05-17T00:30:00.000Z",
      AEST: "2019-05-16T20:00:00.000Z", MSK: "2019-05-17T03:00:00.000Z", none: "2019-05-17T06:00:00.000Z",
      slashes: "2020-01-10T14:33:00.000Z",
    });
  });
});

describe("Media RSS (item 7)", () => {
  it("reads media:group's description as the summary and its thumbnail as the image", async () => {
    const item = (await read("media-rss-group.atom")).items[0]!;
    expect(item.summaryHtml).toBe("Cranes &amp; ships after dark. Filmed from the pier.");
    expect(item.imageUrl).toBe("https://i.fixture.example/vi/abc123/hqdefault.jpg");
  });
});

describe("a wrong charset in Content-Type (item 8)", () => {
  it("falls back when the declared charset does not decode the bytes cleanly", async () => {
    const feed = await read("wrong-charset-header-cp1252.xml", "application/rss+xml", "utf-8");
    expect(feed.items[0]!.title).toBe("Rival de Putin é condenado a mais 20 dias de prisão");
    expect(JSON.stringify(feed)).not.toContain("\uFFFD");
  });
});
