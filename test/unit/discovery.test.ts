import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alternateLinks, feedTitle, sniffFeed } from "../../src/news/discovery.js";
import { fromRoot } from "../../src/paths.js";

const bytes = (text: string) => ({ bytes: Buffer.from(text), charset: null, contentType: null });
const fixture = (dir: string, name: string) => readFileSync(fromRoot("test", "fixtures", dir, name));

describe("sniffFeed: a feed is known by its content, whatever its Content-Type", () => {
  it.each([
    ["rss2-basic.xml", "RSS"],
    ["rss-1.0-rdf.xml", "RSS"],
    ["atom-basic.xml", "ATOM"],
    ["jsonfeed-1.1.json", "JSON_FEED"],
    ["utf8-bom.xml", "RSS"],
    ["html-page.html", null],
  ] as const)("%s → %s", (name, format) => {
    expect(sniffFeed({ bytes: fixture("rss", name), charset: null, contentType: "text/html" })).toBe(format);
  });

  it("skips a declaration, comments and a doctype before the root; refuses JSON that is not a JSON Feed", () => {
    expect(sniffFeed(bytes(`<?xml version="1.0"?>\n<!-- generated -->\n<!DOCTYPE rss>\n<rss version="2.0"></rss>`))).toBe("RSS");
    expect(sniffFeed(bytes(`{"title": "x", "items": []}`))).toBeNull();
    expect(sniffFeed(bytes(`<html><body><rss></rss></body></html>`))).toBeNull();
  });
});

describe("alternateLinks: <link rel=alternate> of feed types, as readers discover them", () => {
  it("resolves against <base>, drops repeats and non-http hrefs, keeps document order (page-two-feeds.html)", () => {
    const html = fixture("sources", "page-two-feeds.html").toString("utf8");
    expect(alternateLinks(html, "https://site.example/two")).toEqual([
      { url: "https://site.example/blog/posts.atom", title: "Posts (Atom)", format: "ATOM" },
      { url: "https://example.invalid/feed.json", title: "Posts (JSON Feed)", format: "JSON_FEED" },
    ]);
  });

  it("ignores stylesheets, hreflang alternates and <a> elements; keeps at most 20 links of a hostile page", () => {
    expect(alternateLinks(fixture("sources", "page-no-feed.html").toString("utf8"), "https://site.example/")).toEqual([]);
    const many = Array.from({ length: 5000 }, (_, i) => `<link rel="alternate" type="application/rss+xml" href="/f${i}.xml">`).join("");
    expect(alternateLinks(`<head>${many}</head>`, "https://site.example/")).toHaveLength(20);
  });
});

describe("feedTitle", () => {
  it("reads the title of RSS, Atom and JSON Feed, decoding entities and CDATA", () => {
    expect(feedTitle(fixture("rss", "rss2-basic.xml"), "RSS")).toBe("Fixture News");
    expect(feedTitle(fixture("rss", "atom-basic.xml"), "ATOM")).toBe("Fixture News (Atom)");
    expect(feedTitle(fixture("rss", "jsonfeed-1.1.json"), "JSON_FEED")).toBe("Fixture News (JSON Feed 1.1)");
    expect(feedTitle(Buffer.from(`<rss><channel><title>Tom &amp; Jerry &lt;3</title></channel></rss>`), "RSS")).toBe("Tom & Jerry <3");
    expect(feedTitle(Buffer.from(`<rss><channel><title><![CDATA[Tom &amp; Jerry]]></title></channel></rss>`), "RSS")).toBe("Tom &amp; Jerry");
    expect(feedTitle(Buffer.from(`<rss><channel></channel></rss>`), "RSS")).toBeNull();
  });
});
