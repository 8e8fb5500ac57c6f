import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractPageMetadata, type PageMetadata, type PageMetadataField } from "../../sources/url/extract.js";
import { decodeText } from "../../src/net/index.js";
import { fromRoot } from "../../src/paths.js";

const fixture = (name: string) => readFileSync(fromRoot("test", "fixtures", "url", name), "utf8");

const NONE: Omit<PageMetadata, "from"> = {
  canonicalUrl: null, title: null, summary: null, author: null, publisher: null, publishedAt: null,
  modifiedAt: null, imageUrl: null, type: null, language: null,
};

/** The whole result, so a field that should be null is checked as strictly as one that should be set. */
const expectMetadata = (actual: PageMetadata, expected: Partial<PageMetadata>) =>
  expect(actual).toEqual({ ...NONE, from: {}, ...expected });

describe("extractPageMetadata: one fixture per trap", () => {
  it("og-basic.html: Open Graph wins over twitter/meta/<title>; article:author URL never becomes the author", () => {
    const html = fixture("og-basic.html");
    expectMetadata(extractPageMetadata(html, "https://news.example/2026/11/20/harbour-crane?utm_source=feed"), {
      canonicalUrl: "https://news.example/2026/11/20/harbour-crane",
      title: "Harbour crane toppled by gale",
      summary: "A gantry crane fell onto an empty quay during Tuesday's storm; nobody was hurt.",
      author: "Jane Doe",
      publisher: "Harbour Times",
      publishedAt: "2026-11-20T07:15:00.000Z",
      modifiedAt: "2026-11-20T10:00:00.000Z",
      imageUrl: "https://img.news.example/2026/11/crane.jpg",
      type: "article",
      language: "en-GB",
      from: {
        canonicalUrl: "og:url", title: "og:title", summary: "og:description", author: "meta:author",
        publisher: "og:site_name", publishedAt: "article:published_time", modifiedAt: "article:modified_time",
        imageUrl: "og:image", type: "og:type", language: "<html lang>",
      },
    });
  });

  it("twitter-only.html: Twitter card tags (name= and property=) stand in for OG; @handle is not a site name", () => {
    expectMetadata(extractPageMetadata(fixture("twitter-only.html"), "https://islandpost.example/news/ferry-fares"), {
      title: "Ferry fares frozen for winter",
      summary: "The council will not raise fares before March.",
      imageUrl: "https://cdn.islandpost.example/ferry.png?w=800&h=400",
      from: { title: "twitter:title", summary: "twitter:description", imageUrl: "twitter:image" },
    });
  });

  it("json-ld-only.html: everything from one NewsArticle block; author list → first; mainEntityOfPage → canonical", () => {
    const url = "https://coast.example/news/lighthouse-keeper-retires?utm_medium=social";
    expectMetadata(extractPageMetadata(fixture("json-ld-only.html"), url), {
      canonicalUrl: "https://coast.example/news/lighthouse-keeper-retires",
      title: "Lighthouse keeper retires after 40 years",
      summary: "Morag Bell kept the light at Skerry Point from 1986 until last week.",
      author: "Ada Reporter",
      publisher: "Coast Gazette",
      publishedAt: "2026-10-02T10:30:00.000Z",
      modifiedAt: "2026-10-02T12:00:00.000Z",
      imageUrl: "https://coast.example/img/keeper-16x9.jpg",
      type: "NewsArticle",
      language: "en",
      from: {
        canonicalUrl: "json-ld:mainEntityOfPage", title: "json-ld:headline", summary: "json-ld:description",
        author: "json-ld:author", publisher: "json-ld:publisher", publishedAt: "json-ld:datePublished",
        modifiedAt: "json-ld:dateModified", imageUrl: "json-ld:image", type: "json-ld:@type", language: "json-ld:inLanguage",
      },
    });
  });

  it("json-ld-graph.html: the NewsArticle in @graph, not the WebPage before it; @id references followed", () => {
    expectMetadata(extractPageMetadata(fixture("json-ld-graph.html"), "https://valley.example/2026/09/bridge-reopens/"), {
      canonicalUrl: "https://valley.example/2026/09/bridge-reopens",
      title: "Bridge reopens after repairs",
      summary: "The Mill Lane bridge carries traffic again after six months.",
      author: "Sam Okafor",
      publisher: "Valley Courier",
      publishedAt: "2026-09-14T09:00:00.000Z",
      modifiedAt: "2026-09-15T07:30:00.000Z",
      imageUrl: "https://valley.example/wp-content/uploads/2026/09/bridge.jpg",
      type: "NewsArticle",
      language: "en-US",
      from: {
        canonicalUrl: "json-ld:mainEntityOfPage", title: "json-ld:headline", summary: "json-ld:description",
        author: "json-ld:author", publisher: "json-ld:publisher", publishedAt: "json-ld:datePublished",
        modifiedAt: "json-ld:dateModified", imageUrl: "json-ld:image", type: "json-ld:@type", language: "<html lang>",
      },
    });
  });

  it("json-ld-malformed-and-valid.html: two unparseable blocks are skipped, the valid one is used", () => {
    expectMetadata(extractPageMetadata(fixture("json-ld-malformed-and-valid.html"), "https://schools.example/news/roof"), {
      canonicalUrl: "https://schools.example/news/roof",
      title: "School roof repaired before term",
      author: "Lena Park",
      publishedAt: "2026-08-30T00:00:00.000Z",
      type: "ReportageNewsArticle",
      from: {
        canonicalUrl: "json-ld:url", title: "json-ld:headline", author: "json-ld:author",
        publishedAt: "json-ld:datePublished", type: "json-ld:@type",
      },
    });
  });

  it("script-in-og-title.html: markup comes out as literal text; javascript:/data: images are dropped", () => {
    expectMetadata(extractPageMetadata(fixture("script-in-og-title.html"), "https://council.example/votes"), {
      title: '<script>alert("og")</script>Council votes <b>yes</b>',
      summary: "<img src=x onerror=alert(1)> Budget & roads",
      from: { title: "og:title", summary: "og:description" },
    });
  });

  it("windows-1252.html: decodeText reads <meta charset>, é “ ” – € survive; site suffix stripped from <title>", () => {
    const bytes = readFileSync(fromRoot("test", "fixtures", "url", "windows-1252.html"));
    expect(bytes.includes(Buffer.from([0x93]))).toBe(true); // real windows-1252 bytes, not UTF-8
    const html = decodeText(bytes, null, "html");
    expectMetadata(extractPageMetadata(html, "https://journal.example/cafe-chez-lea"), {
      title: "Le café “Chez Léa” rouvre – menu à 15 €",
      summary: "Après deux ans, l’équipe de Léa revient : “On n’a rien oublié”.",
      publisher: "Journal Example",
      language: "fr",
      from: { title: "<title>", summary: "og:description", publisher: "og:site_name", language: "<html lang>" },
    });
  });

  it("title-only.html: whitespace collapsed; the suffix is kept because no site name is declared", () => {
    expectMetadata(extractPageMetadata(fixture("title-only.html"), "https://news.example/ferry"), {
      title: "Ferry timetable approved - Harbour Times",
      from: { title: "<title>" },
    });
  });

  it("broken-html.html: no head, upper case, unquoted values, commented-out and script-written tags ignored", () => {
    expectMetadata(extractPageMetadata(fixture("broken-html.html"), "https://broken.example/storm-floods?ref=home"), {
      canonicalUrl: "https://broken.example/storm-floods",
      title: "Storm floods the high street",
      summary: "Water reached the door sills.",
      publisher: "Broken Example",
      publishedAt: "2026-11-18T14:05:00.000Z",
      from: {
        canonicalUrl: "<link rel=canonical>", title: "og:title", summary: "meta:description",
        publisher: "og:site_name", publishedAt: "article:published_time",
      },
    });
  });

  it("canonical-relative.html: a root-relative canonical is resolved against the page URL, then normalized", () => {
    const url = "https://energy.example/energy/2026/11/wind-farm-consultation?utm_campaign=x";
    expectMetadata(extractPageMetadata(fixture("canonical-relative.html"), url), {
      canonicalUrl: "https://energy.example/energy/2026/11/wind-farm-consultation",
      title: "Wind farm consultation opens",
      language: "en",
      from: { canonicalUrl: "<link rel=canonical>", title: "<title>", language: "<html lang>" },
    });
  });

  it("canonical-differs-from-url.html: the declared canonical, not the tracked page URL", () => {
    const url = "https://www.news.example/story/42?utm_source=newsletter&utm_medium=email&fbclid=abc";
    expectMetadata(extractPageMetadata(fixture("canonical-differs-from-url.html"), url), {
      canonicalUrl: "https://www.news.example/2026/11/20/ferry-timetable-approved",
      title: "Ferry timetable approved",
      language: "en",
      from: { canonicalUrl: "<link rel=canonical>", title: "<title>", language: "<html lang>" },
    });
  });

  it("error-page-404.html: extracted like any page (og:url even names the home page): callers must not store 4xx/5xx", () => {
    expectMetadata(extractPageMetadata(fixture("error-page-404.html"), "https://news.example/2026/11/20/no-such-story"), {
      canonicalUrl: "https://news.example",
      title: "Page not found",
      summary: "Sorry, we couldn't find that page. Try the search or go back to the front page.",
      publisher: "Harbour Times",
      imageUrl: "https://news.example/static/share-default.png",
      type: "website",
      language: "en",
      from: {
        canonicalUrl: "og:url", title: "<title>", summary: "meta:description", publisher: "og:site_name",
        imageUrl: "og:image", type: "og:type", language: "<html lang>",
      },
    });
  });

  it("amp-page.html: <link rel=canonical> names the non-AMP article, and beats JSON-LD's AMP mainEntityOfPage", () => {
    expectMetadata(extractPageMetadata(fixture("amp-page.html"), "https://news.example/amp/2026/11/20/harbour-crane"), {
      canonicalUrl: "https://news.example/2026/11/20/harbour-crane",
      title: "Harbour crane toppled by gale",
      publisher: "Harbour Times",
      publishedAt: "2026-11-20T07:15:00.000Z",
      imageUrl: "https://img.news.example/2026/11/crane-amp.jpg",
      type: "NewsArticle",
      language: "en",
      from: {
        canonicalUrl: "<link rel=canonical>", title: "json-ld:headline", publisher: "json-ld:publisher",
        publishedAt: "json-ld:datePublished", imageUrl: "json-ld:image", type: "json-ld:@type", language: "<html lang>",
      },
    });
  });

  it("json-ld-html-entities.html: HTML entities inside JSON-LD strings are decoded once, to text", () => {
    expectMetadata(extractPageMetadata(fixture("json-ld-html-entities.html"), "https://town.example/cafe-truce"), {
      title: "Café owners & council agree a “truce”",
      summary: "Tables stay outside until 10 pm; <b>not</b> midnight.",
      author: "Zoë O'Neill",
      publisher: "Town & Country News",
      publishedAt: "2026-07-01T16:00:00.000Z",
      imageUrl: "https://town.example/img/cafe.jpg?w=800&h=450",
      type: "BlogPosting",
      from: {
        title: "json-ld:headline", summary: "json-ld:description", author: "json-ld:author",
        publisher: "json-ld:publisher", publishedAt: "json-ld:datePublished", imageUrl: "json-ld:image",
        type: "json-ld:@type",
      },
    });
  });

  it("json-ld-cdata-newlines.html: CDATA wrapper, raw newlines in strings and a full-IRI @type are tolerated", () => {
    expectMetadata(extractPageMetadata(fixture("json-ld-cdata-newlines.html"), "https://buses.example/night"), {
      title: "Night buses return to the valley",
      summary: "Routes N1 and N4 resume on Friday.",
      publishedAt: "2026-06-05T22:00:00.000Z",
      type: "NewsArticle",
      from: {
        title: "json-ld:headline", summary: "json-ld:description", publishedAt: "json-ld:datePublished",
        type: "json-ld:@type",
      },
    });
  });

  it("duplicate-tags.html: the first non-empty duplicate wins; an empty one never erases a value", () => {
    expectMetadata(extractPageMetadata(fixture("duplicate-tags.html"), "https://dup.example/first"), {
      canonicalUrl: "https://dup.example/first",
      title: "First og:title",
      summary: "The non-empty duplicate",
      imageUrl: "https://dup.example/a.jpg",
      language: "de",
      from: {
        canonicalUrl: "<link rel=canonical>", title: "og:title", summary: "og:description", imageUrl: "og:image",
        language: "<html lang>",
      },
    });
  });
});

// Each ladder lists a field's sources best first. Page i holds sources i…n, so the field must come from source i:
// this proves the documented order one rung at a time, and that with no source at all the field is null.
type Rung = [from: string, value: string, html: string];
const ld = (props: Record<string, unknown>) =>
  `<script type="application/ld+json">${JSON.stringify({ "@context": "https://schema.org", "@type": "NewsArticle", ...props })}</script>`;
const metaTag = (attr: "property" | "name" | "http-equiv", key: string, content: string) =>
  `<meta ${attr}="${key}" content="${content}">`;

const LADDERS: Array<[PageMetadataField, Rung[]]> = [
  ["title", [
    ["json-ld:headline", "LD headline", ld({ headline: "LD headline" })],
    ["og:title", "OG title", metaTag("property", "og:title", "OG title")],
    ["twitter:title", "Twitter title", metaTag("name", "twitter:title", "Twitter title")],
    ["<title>", "Document title", "<title>Document title</title>"],
  ]],
  ["summary", [
    ["json-ld:description", "LD description", ld({ description: "LD description" })],
    ["og:description", "OG description", metaTag("property", "og:description", "OG description")],
    ["twitter:description", "Twitter description", metaTag("name", "twitter:description", "Twitter description")],
    ["meta:description", "Meta description", metaTag("name", "description", "Meta description")],
  ]],
  ["publishedAt", [
    ["json-ld:datePublished", "2026-01-01T00:00:00.000Z", ld({ datePublished: "2026-01-01T00:00:00Z" })],
    ["article:published_time", "2026-01-02T00:00:00.000Z", metaTag("property", "article:published_time", "2026-01-02T00:00:00Z")],
    ["meta:date", "2026-01-03T00:00:00.000Z", metaTag("name", "date", "2026-01-03")],
    ["meta:pubdate", "2026-01-04T00:00:00.000Z", metaTag("name", "pubdate", "2026-01-04")],
    ["meta:dc.date", "2026-01-05T00:00:00.000Z", metaTag("name", "DC.date", "2026-01-05")],
  ]],
  ["modifiedAt", [
    ["json-ld:dateModified", "2026-02-01T00:00:00.000Z", ld({ dateModified: "2026-02-01T00:00:00Z" })],
    ["article:modified_time", "2026-02-02T00:00:00.000Z", metaTag("property", "article:modified_time", "2026-02-02T00:00:00Z")],
    ["og:updated_time", "2026-02-03T00:00:00.000Z", metaTag("property", "og:updated_time", "2026-02-03T00:00:00Z")],
  ]],
  ["author", [
    ["json-ld:author", "LD Object Author", ld({ author: { "@type": "Person", name: "LD Object Author" } })],
    ["meta:author", "Meta Author", metaTag("name", "author", "Meta Author")],
    ["article:author", "Article Author", metaTag("property", "article:author", "Article Author")],
  ]],
  ["publisher", [
    ["og:site_name", "OG Site", metaTag("property", "og:site_name", "OG Site")],
    ["json-ld:publisher", "LD Publisher", ld({ publisher: { "@type": "Organization", name: "LD Publisher" } })],
    ["meta:application-name", "App Name", metaTag("name", "application-name", "App Name")],
  ]],
  ["imageUrl", [
    ["json-ld:image", "https://img.example/ld.jpg", ld({ image: { "@type": "ImageObject", url: "https://img.example/ld.jpg" } })],
    ["og:image", "https://img.example/og.jpg", metaTag("property", "og:image", "https://img.example/og.jpg")],
    ["og:image:url", "https://img.example/og-url.jpg", metaTag("property", "og:image:url", "https://img.example/og-url.jpg")],
    ["twitter:image", "https://img.example/tw.jpg", metaTag("name", "twitter:image", "https://img.example/tw.jpg")],
    ["twitter:image:src", "https://img.example/tw-src.jpg", metaTag("name", "twitter:image:src", "https://img.example/tw-src.jpg")],
  ]],
  ["canonicalUrl", [
    ["<link rel=canonical>", "https://site.example/link", `<link rel="canonical" href="https://site.example/link">`],
    ["og:url", "https://site.example/og", metaTag("property", "og:url", "https://site.example/og")],
    ["json-ld:url", "https://site.example/ld-url", ld({ url: "https://site.example/ld-url" })],
    ["json-ld:mainEntityOfPage", "https://site.example/ld-main", ld({ mainEntityOfPage: "https://site.example/ld-main" })],
  ]],
  ["type", [
    ["og:type", "article", metaTag("property", "og:type", "article")],
    ["json-ld:@type", "OpinionNewsArticle", `<script type="application/ld+json">{"@type":["WebPage","OpinionNewsArticle"]}</script>`],
  ]],
  ["language", [
    ["<html lang>", "cy", `<html lang="cy">`],
    ["json-ld:inLanguage", "ga", ld({ inLanguage: "ga" })],
    ["og:locale", "pt-BR", metaTag("property", "og:locale", "pt_BR")],
    ["http-equiv:content-language", "nl", metaTag("http-equiv", "Content-Language", "nl")],
  ]],
];

describe("extractPageMetadata: fallback order", () => {
  for (const [field, rungs] of LADDERS) {
    it(`${field}: ${rungs.map(([from]) => from).join(" > ")}`, () => {
      for (let i = 0; i <= rungs.length; i += 1) {
        const html = rungs.slice(i).map(([, , snippet]) => snippet).join("\n");
        const result = extractPageMetadata(html, "https://page.example/story");
        expect({ rung: i, value: result[field], from: result.from[field] }).toEqual({
          rung: i, value: rungs[i]?.[1] ?? null, from: rungs[i]?.[0],
        });
      }
    });
  }

  it("an unusable value falls through to the next source instead of ending the search", () => {
    const html = [
      ld({ datePublished: "last Tuesday", author: "https://social.example/someone", image: "javascript:alert(1)", inLanguage: "English please" }),
      metaTag("property", "article:published_time", "2026-03-04T05:06:07Z"),
      metaTag("property", "article:author", "https://social.example/profile"),
      metaTag("name", "author", "Meta Author"),
      metaTag("property", "og:image", "data:image/png;base64,AAAA"),
      metaTag("name", "twitter:image", "//cdn.example/proto-relative.jpg"),
      metaTag("property", "og:locale", "en_IE"),
      `<link rel="canonical" href="mailto:editor@site.example">`,
      metaTag("property", "og:url", "https://site.example/real"),
    ].join("\n");
    const result = extractPageMetadata(html, "https://page.example/story");
    expect(result).toMatchObject({
      publishedAt: "2026-03-04T05:06:07.000Z", author: "Meta Author", imageUrl: "https://cdn.example/proto-relative.jpg",
      language: "en-IE", canonicalUrl: "https://site.example/real",
      from: {
        publishedAt: "article:published_time", author: "meta:author", imageUrl: "twitter:image",
        language: "og:locale", canonicalUrl: "og:url",
      },
    });
  });

  it("article:author is used when it is a name, never when it is a profile URL", () => {
    const url = extractPageMetadata(metaTag("property", "article:author", "https://social.example/jane"), "https://page.example/");
    expect(url.author).toBeNull();
    const name = extractPageMetadata(metaTag("property", "article:author", "Jane Doe"), "https://page.example/");
    expect([name.author, name.from.author]).toEqual(["Jane Doe", "article:author"]);
  });

  it("JSON-LD author: a plain string, and the first named entry of a list", () => {
    expect(extractPageMetadata(ld({ author: "String Author" }), "https://p.example/").author).toBe("String Author");
    const list = ld({ author: [{ "@type": "Person" }, { "@type": "Person", name: "Second Is First Named" }, "Third"] });
    expect(extractPageMetadata(list, "https://p.example/").author).toBe("Second Is First Named");
  });

  it("JSON-LD image: a string, an ImageObject, and the first of a list; relative ones resolved", () => {
    const read = (image: unknown) => extractPageMetadata(ld({ image }), "https://p.example/a/b").imageUrl;
    expect(read("https://img.example/s.jpg")).toBe("https://img.example/s.jpg");
    expect(read({ "@type": "ImageObject", contentUrl: "/c.jpg" })).toBe("https://p.example/c.jpg");
    expect(read([{ "@type": "ImageObject", url: "x.jpg" }, "https://img.example/2.jpg"])).toBe("https://p.example/a/x.jpg");
  });
});

describe("extractPageMetadata: <title> site suffix", () => {
  const titled = (title: string, site: string) =>
    extractPageMetadata(`<title>${title}</title>${metaTag("name", "application-name", site)}`, "https://p.example/").title;

  it("strips ' | Site', ' - Site' and the dash variants when Site is the declared site name (any case)", () => {
    expect(titled("Story | Harbour Times", "Harbour Times")).toBe("Story");
    expect(titled("Story - Harbour Times", "Harbour Times")).toBe("Story");
    expect(titled("Story – HARBOUR TIMES", "Harbour Times")).toBe("Story");
    expect(titled("A - B | Harbour Times", "Harbour Times")).toBe("A - B");
  });

  it("keeps the title when the suffix is another name, when nothing would remain, and for og:title", () => {
    expect(titled("Story | Other Paper", "Harbour Times")).toBe("Story | Other Paper");
    expect(titled("Harbour Times", "Harbour Times")).toBe("Harbour Times");
    const og = extractPageMetadata(
      `${metaTag("property", "og:title", "Story | Harbour Times")}${metaTag("property", "og:site_name", "Harbour Times")}`,
      "https://p.example/",
    );
    expect(og.title).toBe("Story | Harbour Times");
  });

  it("skips an <svg>'s <title> (an icon label) and takes the page's", () => {
    const result = extractPageMetadata(`<body><svg><title>Menu</title></svg><title>Real title</title>`, "https://p.example/");
    expect(result.title).toBe("Real title");
  });
});

describe("extractPageMetadata: URLs", () => {
  it("resolves relative canonical and image URLs against <base href> when there is one", () => {
    const html = `<base href="https://cdn.example/section/"><link rel=canonical href="story-1"><meta property="og:image" content="img/1.jpg">`;
    const result = extractPageMetadata(html, "https://page.example/other/path");
    expect([result.canonicalUrl, result.imageUrl]).toEqual(["https://cdn.example/section/story-1", "https://cdn.example/section/img/1.jpg"]);
  });

  it("ignores a non-http <base href> and an unusable page URL (relative values are then dropped, absolute kept)", () => {
    const html = `<base href="javascript:alert(1)"><link rel=canonical href="/a"><meta property="og:image" content="https://img.example/i.jpg">`;
    expect(extractPageMetadata(html, "https://p.example/x").canonicalUrl).toBe("https://p.example/a");
    const unusable = extractPageMetadata(html, "not a url");
    expect([unusable.canonicalUrl, unusable.imageUrl]).toEqual([null, "https://img.example/i.jpg"]);
  });

  it("applies src/urls canonicalUrl(): tracking parameters, fragment, default port, sorted query", () => {
    const html = `<link rel="canonical" href="HTTPS://News.Example:443/a/?z=1&utm_source=x&a=2#top">`;
    expect(extractPageMetadata(html, "https://news.example/").canonicalUrl).toBe("https://news.example/a?a=2&z=1");
  });
});

describe("extractPageMetadata: hostile and huge input", () => {
  it("control characters become spaces; lone surrogates become U+FFFD", () => {
    const html = `<script type="application/ld+json">{"@type":"NewsArticle","headline":"Bell\\u0007 and\\u0000null\\u001b[31m red \\ud800 end","author":"A\\u2028B"}</script>`;
    const result = extractPageMetadata(html, "https://p.example/");
    expect(result.title).toBe("Bell and null [31m red \ufffd end");
    expect(result.author).toBe("A B");
  });

  it("caps titles at 1000 and summaries at 5000 characters, ending in an ellipsis", () => {
    const html = `${metaTag("property", "og:title", "t".repeat(50_000))}${metaTag("property", "og:description", "word ".repeat(20_000))}`;
    const result = extractPageMetadata(html, "https://p.example/");
    expect(result.title).toHaveLength(1000);
    expect(result.title?.endsWith("t…")).toBe(true);
    expect(result.summary?.length).toBeLessThanOrEqual(5000);
    expect(result.summary?.endsWith("word…")).toBe(true);
  });

  it("never cuts a surrogate pair in half when capping", () => {
    const result = extractPageMetadata(metaTag("property", "og:title", `${"a".repeat(998)}😀😀`), "https://p.example/");
    expect(result.title).toBe(`${"a".repeat(998)}…`);
  });

  it("looks only at the first 1,000,000 characters", () => {
    const filler = `<p>${"filler text ".repeat(100)}</p>\n`.repeat(1000); // ~1.2 MB
    const html = `${metaTag("property", "og:title", "Early title")}${filler}${ld({ headline: "Late headline", datePublished: "2026-01-01" })}`;
    const result = extractPageMetadata(html, "https://p.example/");
    expect([result.title, result.from.title, result.publishedAt]).toEqual(["Early title", "og:title", null]);
  });

  it("stays linear on 190,000 unclosed elements (htmlparser2's Parser took 22 s on the <div> page)", () => {
    const started = performance.now();
    expect(extractPageMetadata(`${"<div>".repeat(190_000)}<title>Deep</title>`, "https://p.example/").title).toBe("Deep");
    // Inside 190,000 open <svg>s, a <title> is an SVG icon label, not the page's.
    expect(extractPageMetadata(`${"<svg>".repeat(190_000)}<title>Icon</title>`, "https://p.example/").title).toBeNull();
    expect(performance.now() - started).toBeLessThan(5000); // ~0.2 s here; a generous bound against slow CI
  });

  it("reads JSON-LD own properties only: __proto__ keys neither leak nor pollute", () => {
    const html = `<script type="application/ld+json">{"__proto__":{"headline":"polluted"},"@type":"NewsArticle","constructor":{"name":"x"}}</script>`;
    const result = extractPageMetadata(html, "https://p.example/");
    expect(result.title).toBeNull();
    expect(({} as Record<string, unknown>).headline).toBeUndefined();
  });

  it("an unclosed <title> swallowing the rest of the page is capped, not fatal", () => {
    const result = extractPageMetadata(`<title>Start ${"<p>more</p>".repeat(10_000)}`, "https://p.example/");
    expect(result.title?.length).toBe(1000);
    expect(result.title?.startsWith("Start <p>more</p>")).toBe(true);
  });

  it("never throws: empty input, non-string input, and random bytes", () => {
    expectMetadata(extractPageMetadata("", "https://p.example/"), {});
    expectMetadata(extractPageMetadata(undefined as unknown as string, undefined as unknown as string), {});
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = `<>/="' &;#!-[]{}:,\\abcmetaproprtyg:titlescriptld+json@graph\u0000\ud800é`;
    for (let round = 0; round < 200; round += 1) {
      let junk = "";
      for (let i = 0; i < 500; i += 1) junk += alphabet[next() % alphabet.length];
      expect(() => extractPageMetadata(junk, "https://p.example/")).not.toThrow();
    }
  });
});
