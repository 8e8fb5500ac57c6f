import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  MAX_CATEGORY_LEVELS,
  OpmlError,
  parseOpml,
  renderOpml,
  SKIP_REASON,
  subscriptionsToSources,
  type OpmlSubscription,
} from "../../src/opml/index.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/opml/${name}`, import.meta.url), "utf8");

function parseError(text: string): OpmlError {
  try {
    parseOpml(text);
  } catch (err) {
    expect(err).toBeInstanceOf(OpmlError);
    return err as OpmlError;
  }
  throw new Error("parseOpml did not throw");
}

const sub = (title: string, xmlUrl: string, extra: Partial<OpmlSubscription> = {}): OpmlSubscription => ({
  title,
  xmlUrl,
  htmlUrl: null,
  type: "rss",
  category: null,
  ...extra,
});

describe("parseOpml", () => {
  it("reads a Feedly export with nested folders into 5 subscriptions with folder paths as categories", () => {
    expect(parseOpml(fixture("feedly-export.opml"))).toEqual([
      { title: "Gadget Daily", xmlUrl: "https://gadgets.example/feed/", htmlUrl: "https://gadgets.example/", type: "rss", category: "Tech" },
      {
        title: "Compiler Notes",
        xmlUrl: "https://compilers.example/atom.xml",
        htmlUrl: "https://compilers.example",
        type: "rss",
        category: "Tech / Programming",
      },
      { title: "Kernel Weekly", xmlUrl: "http://kernel-weekly.example/rss", htmlUrl: null, type: "rss", category: "Tech / Programming / Deep" },
      {
        title: "Fixture Times – World",
        xmlUrl: "https://times.example/world/rss.xml",
        htmlUrl: "https://times.example/world",
        type: "rss",
        category: "World News",
      },
      { title: "Uncategorised Blog", xmlUrl: "https://blog.example/index.xml", htmlUrl: "https://blog.example/", type: "rss", category: null },
    ]);
  });

  it("reads a flat OPML 1.0 file: title falls back to text, then to the URL", () => {
    expect(parseOpml(fixture("flat-opml-1.0.opml"))).toEqual([
      { title: "CNET News.com", xmlUrl: "http://news.cnet.example/rss/index.xml", htmlUrl: "http://news.cnet.example/", type: "rss", category: null },
      { title: "Scripting News", xmlUrl: "http://scripting.example/rss.xml", htmlUrl: null, type: "rss", category: null },
      { title: "http://untitled.example/feed.rdf", xmlUrl: "http://untitled.example/feed.rdf", htmlUrl: null, type: "rss", category: null },
      { title: "http://no-text-at-all.example/index.rss", xmlUrl: "http://no-text-at-all.example/index.rss", htmlUrl: null, type: null, category: null },
    ]);
  });

  it("accepts xmlUrl/htmlUrl/title/text/type in any letter case", () => {
    expect(parseOpml(fixture("mixed-case-attributes.opml"))).toEqual([
      { title: "Upper Case Feed", xmlUrl: "https://upper.example/rss", htmlUrl: "https://upper.example/", type: "rss", category: "Shouting Folder" },
      { title: "Lower Case Feed", xmlUrl: "https://lower.example/rss", htmlUrl: "https://lower.example/", type: "rss", category: "Shouting Folder" },
      { title: "Camel Case Feed", xmlUrl: "https://camel.example/feed.xml", htmlUrl: "https://camel.example/", type: "RSS", category: null },
    ]);
  });

  it("prefers the exactly-spelled attribute when several spellings are present", () => {
    const subs = parseOpml(`<opml><body><outline XMLURL="https://upper.example/" xmlUrl="https://exact.example/"/></body></opml>`);
    expect(subs.map((s) => s.xmlUrl)).toEqual(["https://exact.example/"]);
  });

  it("decodes XML entities and character references in URLs and titles, and leaves everything else literal", () => {
    const subs = parseOpml(fixture("entities-in-urls.opml"));
    expect(subs.map((s) => [s.title, s.xmlUrl, s.htmlUrl])).toEqual([
      ["Search & Rescue", "https://search.example/rss?q=rescue&lang=en&sort=new", "https://search.example/?a=1&b=2"],
      ["Numeric & hex & refs", "https://numeric.example/feed?x=1&y=2&z=3", null],
      [`<Tags> "quoted" 'apos'`, "https://quotes.example/rss?title=%22a%22&amp=literal", null],
      ["Café écrit", "https://cafe.example/feed", null],
      // Not well-formed XML, but common in real exports: a bare "&" stays as it is.
      ["Bare ampersand", "https://bare.example/rss?a=1&b=2", null],
      // HTML entities do not exist in XML: not expanded.
      ["HTML entity&nbsp;name", "https://html-entity.example/rss", null],
    ]);
  });

  it("ignores link and include outlines but still reads feeds nested under them", () => {
    expect(parseOpml(fixture("link-and-include-outlines.opml"))).toEqual([
      { title: "Feed under a link", xmlUrl: "https://under-link.example/rss", htmlUrl: null, type: "rss", category: "Folder" },
      { title: "Real Feed", xmlUrl: "https://real.example/rss", htmlUrl: null, type: "rss", category: "Folder" },
    ]);
  });

  it("only reads outlines in <body>, trims values, and skips untitled folders in the category path", () => {
    const text = `<?xml version="1.0"?>
      <opml version="2.0">
        <head><outline xmlUrl="https://in-head.example/"/></head>
        <body>
          <outline>
            <outline title="  Named  ">
              <outline text="  Padded  " xmlUrl="  https://padded.example/rss  " htmlUrl="   "/>
            </outline>
          </outline>
          <notAnOutline><outline xmlUrl="https://inside-unknown.example/"/></notAnOutline>
        </body>
      </opml>`;
    expect(parseOpml(text)).toEqual([
      { title: "Padded", xmlUrl: "https://padded.example/rss", htmlUrl: null, type: null, category: "Named" },
    ]);
  });

  it("returns [] for an empty body and tolerates a byte-order mark and comments", () => {
    expect(parseOpml(`\uFEFF<?xml version="1.0"?><!-- hi --><opml version="2.0"><head/><body/></opml>`)).toEqual([]);
  });

  it("rejects an RSS document, naming its root element", () => {
    expect(parseError(fixture("not-opml.xml")).message).toBe("not an OPML document: the root element is <rss>");
  });

  it("rejects an HTML page and text that is not markup at all", () => {
    expect(parseError("<!DOCTYPE html><html><body><p>Hi</p></body></html>").message).toBe(
      "not an OPML document: the root element is <html>",
    );
    expect(parseError(`{"feeds": []}`).message).toBe("not an OPML document: it has no root element");
    expect(parseError("").message).toBe("not an OPML document: it has no root element");
  });

  it("rejects OPML without a <body>, even when the head contains outlines", () => {
    expect(parseError(fixture("no-body.opml")).message).toBe("OPML has no <body>");
  });

  it("rejects a truncated document instead of importing part of it", () => {
    expect(parseError(fixture("truncated.opml")).message).toBe("OPML is truncated: the root element <opml> is never closed");
  });

  it("rejects a second root element", () => {
    expect(parseError(`<opml><body/></opml><opml><body/></opml>`).message).toBe(
      "OPML is not well-formed: element <opml> follows the end of the root element <opml>",
    );
  });

  it("refuses a billion-laughs document quickly, without expanding anything", () => {
    const started = performance.now();
    const before = process.memoryUsage().heapUsed;
    expect(parseError(fixture("entity-bomb.opml")).message).toBe(
      "OPML must not declare DTD entities (<!ENTITY …>); crosswire does not expand them. Remove the DOCTYPE and try again",
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024);
  });

  it("refuses an external entity (XXE) declaration", () => {
    const text = `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
      <opml><body><outline text="&xxe;" xmlUrl="https://x.example/"/></body></opml>`;
    expect(parseError(text).message).toMatch(/^OPML must not declare DTD entities/);
  });

  it("leaves references to undeclared entities as literal text (htmlparser2 knows only the XML built-ins)", () => {
    const bomb = fixture("entity-bomb.opml");
    const withoutDtd = bomb.slice(bomb.indexOf("<opml"));
    expect(parseOpml(withoutDtd)).toEqual([
      { title: "&lol9;", xmlUrl: "https://bomb.example/rss?x=&lol9;", htmlUrl: null, type: "rss", category: null },
    ]);
  });

  it("accepts a DOCTYPE without entity declarations", () => {
    const text = `<?xml version="1.0"?><!DOCTYPE opml><opml version="1.0"><body><outline text="A" xmlUrl="https://a.example/"/></body></opml>`;
    expect(parseOpml(text).map((s) => s.xmlUrl)).toEqual(["https://a.example/"]);
  });

  it("handles very deep folder nesting without recursion limits", () => {
    const depth = 20_000;
    const text = `<opml><body>${'<outline text="f">'.repeat(depth)}<outline text="Deep" xmlUrl="https://deep.example/"/>${"</outline>".repeat(depth)}</body></opml>`;
    const [only] = parseOpml(text);
    expect(only?.xmlUrl).toBe("https://deep.example/");
    // The category names the outermost folders only (issue 18: a title per level for every feed was quadratic).
    expect(only?.category?.split(" / ")).toHaveLength(MAX_CATEGORY_LEVELS);
  });
});

describe("subscriptionsToSources", () => {
  it("skips javascript: and relative URLs, in-file duplicates (after trimming) and URLs that already exist", () => {
    const subs = parseOpml(fixture("duplicates-and-bad-urls.opml"));
    const result = subscriptionsToSources(subs, { ids: [], urls: ["https://existing.example/feed"] }, 900);
    expect(result.sources).toEqual([
      // the javascript: htmlUrl is dropped, not the feed
      { id: "good-feed", name: "Good Feed", url: "https://good.example/rss.xml", pollIntervalSeconds: 900, enabled: true },
      { id: "another-good-feed", name: "Another Good Feed", url: "https://other.example/atom", pollIntervalSeconds: 900, enabled: true },
    ]);
    expect(result.skipped).toEqual([
      { title: "Script Injection", url: "javascript:alert(document.cookie)", reason: "not an absolute http(s) URL" },
      { title: "Relative Path", url: "/feeds/all.rss", reason: "not an absolute http(s) URL" },
      {
        title: "Good Feed (again)",
        url: "https://good.example/rss.xml",
        reason: 'duplicate: the same URL appears earlier in this OPML (as "Good Feed")',
      },
      { title: "Already Subscribed", url: "https://existing.example/feed", reason: "duplicate: a source with this URL already exists" },
    ]);
  });

  it("turns the Feedly export into source configs with homepages", () => {
    const { sources, skipped } = subscriptionsToSources(parseOpml(fixture("feedly-export.opml")), { ids: [], urls: [] }, 600);
    expect(skipped).toEqual([]);
    expect(sources).toEqual([
      { id: "gadget-daily", name: "Gadget Daily", url: "https://gadgets.example/feed/", homepage: "https://gadgets.example/", pollIntervalSeconds: 600, enabled: true },
      { id: "compiler-notes", name: "Compiler Notes", url: "https://compilers.example/atom.xml", homepage: "https://compilers.example", pollIntervalSeconds: 600, enabled: true },
      { id: "kernel-weekly", name: "Kernel Weekly", url: "http://kernel-weekly.example/rss", pollIntervalSeconds: 600, enabled: true },
      { id: "fixture-times-world", name: "Fixture Times – World", url: "https://times.example/world/rss.xml", homepage: "https://times.example/world", pollIntervalSeconds: 600, enabled: true },
      { id: "uncategorised-blog", name: "Uncategorised Blog", url: "https://blog.example/index.xml", homepage: "https://blog.example/", pollIntervalSeconds: 600, enabled: true },
    ]);
  });

  it("makes ids unique against existing ids (case-insensitively) and against each other", () => {
    const { sources } = subscriptionsToSources(
      [
        sub("News", "https://a.example/rss"),
        sub("news!", "https://b.example/rss"),
        sub("NEWS", "https://c.example/rss"),
        sub("News 2", "https://d.example/rss"),
      ],
      { ids: ["news", "News-3"], urls: [] },
      900,
    );
    expect(sources.map((s) => s.id)).toEqual(["news-2", "news-4", "news-5", "news-2-2"]);
  });

  it("slugifies accents and special letters, caps ids at 64 characters, and falls back to the URL host", () => {
    const long = "The Extraordinarily Long Title Of A Feed That Goes On And On Forever And Ever";
    const { sources } = subscriptionsToSources(
      [
        sub("Café Müller — Straße & Ærø!", "https://cafe.example/rss"),
        sub(long, "https://long.example/rss"),
        sub(long, "https://long2.example/rss"),
        sub("日本のニュース", "https://www.nihon.example/rss"),
        sub("!!!", "http://192.0.2.7:8080/feed"),
        sub("   ", "https://blank-title.example/rss"),
      ],
      { ids: [], urls: [] },
      900,
    );
    expect(sources.map((s) => s.id)).toEqual([
      "cafe-muller-strasse-aero",
      "the-extraordinarily-long-title-of-a-feed-that-goes-on-and-on-for",
      "the-extraordinarily-long-title-of-a-feed-that-goes-on-and-on-f-2",
      "nihon-example",
      "192-0-2-7",
      "blank-title-example",
    ]);
    for (const { id } of sources) expect(id).toMatch(/^[a-z0-9][a-z0-9-]{0,63}$/);
    expect(sources[5]?.name).toBe("https://blank-title.example/rss");
  });

  it("skips empty URLs, URLs with credentials or whitespace, and non-http schemes", () => {
    const { sources, skipped } = subscriptionsToSources(
      [
        sub("Empty", ""),
        sub("Creds", "https://user:secret@private.example/rss"),
        sub("Space", "https://space.example/my feed.xml"),
        sub("FTP", "ftp://files.example/feed.xml"),
        sub("Feed scheme", "feed://reader.example/rss"),
        sub("Sloppy", "http:sloppy.example/rss"),
        sub("Upper", "HTTPS://Upper.example/rss"),
      ],
      { ids: [], urls: [] },
      900,
    );
    expect(skipped.map((s) => [s.title, s.reason])).toEqual([
      ["Empty", SKIP_REASON.NO_URL],
      ["Creds", SKIP_REASON.CREDENTIALS],
      ["Space", SKIP_REASON.NOT_HTTP],
      ["FTP", SKIP_REASON.NOT_HTTP],
      ["Feed scheme", SKIP_REASON.NOT_HTTP],
      ["Sloppy", SKIP_REASON.NOT_HTTP],
    ]);
    expect(sources.map((s) => [s.id, s.url])).toEqual([["upper", "HTTPS://Upper.example/rss"]]);
  });

  it("compares URLs exactly after trimming (no normalization)", () => {
    const { sources, skipped } = subscriptionsToSources(
      [sub("Slash", "https://x.example/rss/"), sub("Same", " https://x.example/rss ")],
      { ids: [], urls: ["  https://x.example/rss\n"] },
      900,
    );
    expect(sources.map((s) => s.url)).toEqual(["https://x.example/rss/"]);
    expect(skipped).toEqual([{ title: "Same", url: "https://x.example/rss", reason: SKIP_REASON.ALREADY_SUBSCRIBED }]);
  });

  it("caps names at 200 characters and rejects a nonsensical poll interval", () => {
    const { sources } = subscriptionsToSources([sub("x".repeat(250), "https://x.example/")], { ids: [], urls: [] }, 60);
    expect(sources[0]?.name).toBe("x".repeat(200));
    expect(() => subscriptionsToSources([], { ids: [], urls: [] }, 0)).toThrow(RangeError);
    expect(() => subscriptionsToSources([], { ids: [], urls: [] }, 1.5)).toThrow(RangeError);
  });
});

describe("renderOpml", () => {
  const now = new Date("2026-11-20T07:40:00Z");

  it("renders an OPML 2.0 document", () => {
    const xml = renderOpml("crosswire sources", [
      { name: "Fixture Times", url: "https://times.example/rss", homepage: "https://times.example/" },
      { name: "No Homepage", url: "https://nohome.example/rss", homepage: null },
    ], now);
    expect(xml).toBe(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<opml version="2.0">`,
        `  <head>`,
        `    <title>crosswire sources</title>`,
        `    <dateCreated>Fri, 20 Nov 2026 07:40:00 GMT</dateCreated>`,
        `  </head>`,
        `  <body>`,
        `    <outline type="rss" text="Fixture Times" title="Fixture Times" xmlUrl="https://times.example/rss" htmlUrl="https://times.example/"/>`,
        `    <outline type="rss" text="No Homepage" title="No Homepage" xmlUrl="https://nohome.example/rss"/>`,
        `  </body>`,
        `</opml>`,
        ``,
      ].join("\n"),
    );
  });

  it("round-trips through parseOpml, special characters included", () => {
    const sources = [
      { name: `Tom & Jerry's "<Cartoons>" ]]> feed`, url: "https://toons.example/rss?a=1&b=<2>&c=\"3\"", homepage: "https://toons.example/?x=1&y=2" },
      { name: "Multi\nline\ttitle\r", url: "https://lines.example/rss" },
      { name: "Emoji 📰 and ünïcödé", url: "https://emoji.example/rss", homepage: null },
    ];
    const xml = renderOpml(`Mine & "yours" <all>`, sources, now);
    expect(xml).toContain(`<title>Mine &amp; "yours" &lt;all&gt;</title>`);
    expect(xml).toContain(`text="Tom &amp; Jerry's &quot;&lt;Cartoons&gt;&quot; ]]&gt; feed"`);
    expect(xml).toContain(`text="Multi&#10;line&#9;title&#13;"`);
    expect(parseOpml(xml)).toEqual([
      {
        title: `Tom & Jerry's "<Cartoons>" ]]> feed`,
        xmlUrl: "https://toons.example/rss?a=1&b=<2>&c=\"3\"",
        htmlUrl: "https://toons.example/?x=1&y=2",
        type: "rss",
        category: null,
      },
      // parseOpml trims titles, so the trailing CR is gone
      { title: "Multi\nline\ttitle", xmlUrl: "https://lines.example/rss", htmlUrl: null, type: "rss", category: null },
      { title: "Emoji 📰 and ünïcödé", xmlUrl: "https://emoji.example/rss", htmlUrl: null, type: "rss", category: null },
    ]);
  });

  it("round-trips the subscriptions of a real export", () => {
    const original = parseOpml(fixture("feedly-export.opml"));
    const { sources } = subscriptionsToSources(original, { ids: [], urls: [] }, 900);
    const again = parseOpml(renderOpml("export", sources, now));
    // folders are not rendered (crosswire sources have none), everything else survives
    expect(again).toEqual(original.map((s) => ({ ...s, category: null })));
  });

  it("drops characters XML 1.0 cannot represent instead of producing a broken document", () => {
    const xml = renderOpml("t\u0000itle", [{ name: "bell\u0007 and lone \uD800 surrogate", url: "https://x.example/" }], now);
    expect(xml).toContain("<title>title</title>");
    expect(parseOpml(xml)[0]?.title).toBe("bell and lone  surrogate");
  });

  it("falls back to the URL for an empty name, since text is required in OPML 2.0", () => {
    const xml = renderOpml("t", [{ name: "  ", url: "https://x.example/rss" }], now);
    expect(parseOpml(xml)[0]?.title).toBe("https://x.example/rss");
  });
});
