import { readFileSync } from "node:fs";
import { buildSchema, getNamedType, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { htmlToText, sanitizeHtml } from "../../../src/html/index.js";
import type { ParsedFeed, ParsedItem } from "../../../src/model/news.js";
import { MAX_CATEGORY_LEVELS, parseOpml } from "../../../src/opml/index.js";
import { fromRoot } from "../../../src/paths.js";
import { articleTermCounts } from "../../../src/search/similarity.js";
import type { FeedDocument, FeedEntry } from "../../../src/syndication/model.js";
import { renderFeed } from "../../../src/syndication/render.js";
import { emptyBoard, mergeFeed, restoreBoard, toThread } from "../../../sources/forum-feed/adapt.js";
import { toGlobalId } from "../../../src/model/ids.js";
import type { FeedForumSource } from "../../../sources/forum-feed/index.js";
import { startFixtureServer, type FixtureServer } from "../../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";

/**
 * Hostile content (issue 18, items 1, 2, 5, 6): markup, keys, URLs and titles that are accepted and then break
 * what is built from them. Each class has one block; each case failed before its fix.
 */

const nested = (depth: number, tag = "q") => `${`<${tag}>`.repeat(depth)}deep${`</${tag}>`.repeat(depth)}`;

function item(n: number, fields: Partial<ParsedItem>): ParsedItem {
  return {
    guid: `g${n}`, link: `https://hostile.example/a/${n}`, title: `Article ${n}`, summaryHtml: null, author: null,
    publishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), updatedAt: null, imageUrl: null, categories: [],
    warnings: [], ...fields,
  };
}

async function timed(gw: TestGateway, query: string): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const { body } = await gw.graphql(query);
  return { ms: performance.now() - started, body };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function contentCases(): void {
  describe("hostile content: nesting depth and size of untrusted markup (item 1)", () => {
    let plain: TestGateway;
    let hostile: TestGateway;
    const LIST = "{ articles(first: 20) { nodes { summary summaryText } } }";

    beforeAll(async () => {
      plain = await startTestGateway({ news: { poll: false, demoFeeds: false } });
      hostile = await startTestGateway({ news: { poll: false, demoFeeds: false } });
      // 100 KB each: plain paragraphs on one gateway, 25,000 nested <q> (the issue's trap) on the other.
      const paragraph = "<p>Plain words of an ordinary summary, <b>bold</b> and <a href=\"https://x.example/\">a link</a>.</p>";
      const plainHtml = paragraph.repeat(Math.ceil(100_000 / paragraph.length)).slice(0, 100_000);
      const deepHtml = `${"<q>".repeat(25_000)}deep${"</q>".repeat(6_000)}`.slice(0, 100_000);
      await plain.gateway.news.store.upsert("plain", Array.from({ length: 20 }, (_, i) => item(i, { summaryHtml: plainHtml })));
      await hostile.gateway.news.store.upsert("deep", Array.from({ length: 20 }, (_, i) => item(i, { summaryHtml: deepHtml })));
    }, 120_000);
    afterAll(async () => {
      await plain?.close();
      await hostile?.close();
    });

    it("a page of 20 stored 100 KB nested summaries does not delay a concurrent { __typename } (CPU-time test)", async () => {
      const delay = async (gw: TestGateway) => {
        const alone: number[] = [];
        const beside: number[] = [];
        for (let i = 0; i < 5; i++) {
          alone.push((await timed(gw, "{ __typename }")).ms);
          // The small query is sent once the page is being executed (25 ms on): sent together, it may be answered
          // before the page's resolvers start, and measure nothing.
          const big = timed(gw, LIST);
          await new Promise((resolve) => setTimeout(resolve, 25));
          const small = await timed(gw, "{ __typename }");
          const b = await big;
          expect(b.body.errors, JSON.stringify(b.body.errors)?.slice(0, 300)).toBeUndefined();
          expect(b.body.data.articles.nodes).toHaveLength(20);
          expect(b.body.data.articles.nodes[0].summaryText).toContain(gw === hostile ? "deep" : "Plain words");
          beside.push(small.ms);
        }
        return { alone: median(alone), beside: median(beside) };
      };
      const p = await delay(plain);
      const h = await delay(hostile);
      const ratio = h.beside / Math.max(p.beside, 0.1);
      console.log(
        `content CPU-time: { __typename } beside the page, median of 5: plain ${p.beside.toFixed(1)} ms (alone ${p.alone.toFixed(1)} ms), ` +
          `nested ${h.beside.toFixed(1)} ms (alone ${h.alone.toFixed(1)} ms); ratio nested/plain ${ratio.toFixed(2)}`,
      );
      // Generous bounds: the machine is shared, so a few ms of noise are expected; before the fix it was seconds.
      expect(h.beside).toBeLessThanOrEqual(h.alone + 50);
      expect(h.beside).toBeLessThanOrEqual(p.beside + 50);
    }, 120_000);

    it("a summary nested 7,000 deep reads as text, and a text filter over it answers", async () => {
      await hostile.gateway.news.store.upsert("deep7k", [item(100, { summaryHtml: nested(7_000), title: "seven thousand" })]);
      const { body } = await hostile.graphql('{ articles(first: 5, filter: { text: "deep" }) { nodes { title summaryText } } }');
      expect(body.errors).toBeUndefined();
      expect(body.data.articles.nodes.map((n: any) => n.summaryText)).toContain("deep");
    });

    it("sanitizing and converting 36 KB of 7,000 nested elements neither overflows the stack nor loses the text", () => {
      for (const tag of ["div", "q", "blockquote", "li", "b"]) expect(htmlToText(sanitizeHtml(nested(7_000, tag)))).toContain("deep");
    });

    it("an OPML document of 5,000 feeds under 5,000 folders is read with categories of the outermost folders only", () => {
      const depth = 5_000;
      const feeds = Array.from({ length: depth }, (_, i) => `<outline text="F${i}" xmlUrl="https://f.example/${i}"/>`).join("");
      const opml = `<opml version="2.0"><body>${'<outline text="folder">'.repeat(depth)}${feeds}${"</outline>".repeat(depth)}</body></opml>`;
      const subscriptions = parseOpml(opml);
      expect(subscriptions).toHaveLength(depth);
      // Before: 5,000 categories of 5,000 titles each (~150 MB of strings), quadratic in time.
      for (const s of subscriptions) expect(s.category!.split(" / ").length).toBeLessThanOrEqual(MAX_CATEGORY_LEVELS);
    });
  });

  describe("hostile content: untrusted strings as keys (item 2)", () => {
    const KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

    it("forum-feed files every entry under its own thread and author, whatever the title or author name", () => {
      const items = KEYS.flatMap((key, n) => [
        item(n, { title: key, author: key, link: null, guid: `post-${n}` }),
        item(n + 50, { title: `Re: ${key}`, author: key, link: null, guid: `reply-${n}` }),
      ]);
      const feed: ParsedFeed = { format: "RSS", title: "board", homepage: null, items, warnings: [] };
      const board = emptyBoard(new Date(0));
      mergeFeed(board, feed, () => new Date(0));
      // As the adapter does: stored as JSON in keyv, read back, merged again.
      const again = restoreBoard(JSON.parse(JSON.stringify(board)))!;
      mergeFeed(again, feed, () => new Date(0));
      const threads = Object.values(again.threads).map(toThread);
      expect(threads.map((t) => t.title).sort()).toEqual([...KEYS].sort());
      for (const t of threads) expect(t.postCount).toBe(2);
      for (const key of KEYS) {
        expect(Object.prototype.hasOwnProperty.call(again.authors, key.toLowerCase()), key).toBe(true);
        expect(again.authors[key.toLowerCase()]!.name).toBe(key);
      }
    });

    describe("through a board feed and GraphQL", () => {
      let server: FixtureServer;
      let gw: TestGateway;
      // Entries whose links name no thread: forum-feed groups them by title, and files authors by name.
      const entry = (key: string, n: number, reply: boolean) => `<entry><author><name>${key}</name></author>
<updated>2026-11-2${reply ? 3 : 2}T09:00:0${n}Z</updated><id>https://board.example/post/${key}/${reply ? "r" : "p"}</id>
<link href="${n === 0 && reply ? "javascript:alert(1)//" : `https://board.example/post-${n}${reply ? 1 : 0}`}"/><title>${reply ? "Re: " : ""}${key}</title><content type="html">&lt;p&gt;post ${n}&lt;/p&gt;</content></entry>`;
      const BOARD = `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Keys</title><id>https://board.example/</id>
<updated>2026-11-23T09:00:00Z</updated>${KEYS.flatMap((k, n) => [entry(k, n, false), entry(k, n, true)]).join("")}</feed>`;
      beforeAll(async () => {
        server = await startFixtureServer();
        server.route("/board.atom", { headers: { "content-type": "application/atom+xml" }, body: BOARD });
        gw = await startTestGateway({
          net: { allowPrivateNetworks: true }, news: { poll: false, demoFeeds: false }, forum: { seedDemo: false },
          forums: [{ kind: "feed", id: "keys", name: "Keys", url: server.url("/board.atom") }],
        });
        expect(await (gw.gateway.forums.get("keys") as FeedForumSource).poll()).toMatchObject({ kind: "stored", added: KEYS.length * 2 });
      });
      afterAll(async () => {
        await gw?.close();
        await server?.close();
      });

      it("every title and author name is a thread and an author of its own; river, feeds and node(id:) answer", async () => {
        const { body } = await gw.graphql(`{
          forum(id: "${toGlobalId("Forum", "keys", "board")}") { threads(first: 20) { nodes { title author { name } posts(first: 5) { totalCount } } } }
          river(first: 50) { nodes { ... on Post { url author { name } thread { title url } } } }
        }`);
        expect(body.errors).toBeUndefined();
        expect(body.data.forum.threads.nodes.map((t: any) => t.title).sort()).toEqual([...KEYS].sort());
        for (const t of body.data.forum.threads.nodes) {
          expect(t.author.name).toBe(t.title);
          expect(t.posts.totalCount).toBe(2);
        }
        expect(body.data.river.nodes.filter((n: any) => n.thread).length).toBe(KEYS.length * 2);
        // Post.url and Thread.url (item 5): one entry links to javascript:; every permalink is http(s) or null.
        const links = body.data.river.nodes.flatMap((n: any) => [n.url, n.thread?.url]);
        for (const link of links) if (link !== null) expect(link).toMatch(/^https?:\/\//);
        expect(links).toContain(null);
        for (const format of ["rss", "atom", "json"]) expect((await fetch(`${gw.url}/feeds/river.${format}`)).status).toBe(200);
        for (const key of KEYS) {
          const answer = await gw.graphql(`{ node(id: "${toGlobalId("Thread", "keys", key)}") { id } a: node(id: "${toGlobalId("Author", "keys", key.toLowerCase())}") { ... on Author { name } } }`);
          expect(answer.body.errors, `${key}: ${JSON.stringify(answer.body.errors)}`).toBeUndefined();
          // Threads are keyed by a hash of their title, so a thread id of "__proto__" names none; authors by name.
          expect(answer.body.data).toEqual({ node: null, a: { name: key } });
        }
      });
    });

    it("story grouping counts words such as constructor and __proto__ as words", () => {
      const counts = articleTermCounts(KEYS.join(" "), KEYS.join(" "));
      for (const value of Object.values(counts)) expect(typeof value).toBe("number");
      expect(Object.values(counts).every(Number.isFinite)).toBe(true);
      expect(Object.keys(counts).length).toBeGreaterThanOrEqual(KEYS.length - 1);
    });
  });

  describe("hostile content: every URL field of the schema is http(s) or null (item 5)", () => {
    // Every field the schema returns that holds a URL, and the query below that reads it. A new URL field fails
    // the first test until it is guarded and read here.
    const COVERED = new Set([
      "Article.url", "Article.canonicalUrl", "Article.imageUrl", "Source.url", "Source.homepage", "Citation.url",
      "Citation.canonicalUrl", "CitedStory.canonicalUrl", "ForumSource.url", "Post.url", "Thread.url",
      // The admin API (docs/sources/admin-api.md): discovered feed links and stored forums are checked http(s) URLs;
      // an OPML line's URL is the file's text, given back only when it is one (test/integration/admin-sources-import.test.ts).
      "FeedCandidate.url", "StoredForum.url", "OpmlLine.url",
    ]);
    const URL_NAME = /url$|^homepage$|avatar|href|^link$|image|^src$|website/i;
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ news: { poll: false, demoFeeds: false } });
      const bad = ["javascript:alert(document.domain)//", "data:text/html,<script>alert(1)</script>", " java\tscript:alert(1)", "vbscript:x", "//evil.example/x"];
      const title = "hostile-article";
      await gw.gateway.news.store.upsert("bad", bad.map((link, n) => item(n, { title, link, guid: `bad-${n}`, imageUrl: bad[(n + 1) % bad.length]! })));
      await gw.gateway.news.store.upsert("bad2", [item(9, { title, imageUrl: "data:image/svg+xml,<svg onload=alert(1)>" })]);
    });
    afterAll(async () => gw?.close());

    it("the schema's URL fields are exactly the guarded ones", () => {
      const schema = buildSchema(readFileSync(fromRoot("schema/schema.graphql"), "utf8"));
      const found: string[] = [];
      for (const type of Object.values(schema.getTypeMap())) {
        if (!isObjectType(type) || type.name.startsWith("__")) continue;
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name === "String" && URL_NAME.test(field.name)) found.push(`${type.name}.${field.name}`);
        }
      }
      expect(found.sort()).toEqual([...COVERED].sort());
    });

    it("javascript:, data: and scheme-relative links and images come out of GraphQL as null", async () => {
      const { body } = await gw.graphql('{ articles(first: 20, filter: { text: "hostile-article" }) { nodes { title url canonicalUrl imageUrl } } sources { url homepage } forumSources { url } }');
      expect(body.errors).toBeUndefined();
      const values = [
        ...body.data.articles.nodes.flatMap((n: any) => [n.url, n.canonicalUrl, n.imageUrl]),
        ...body.data.sources.flatMap((s: any) => [s.url, s.homepage]),
        ...body.data.forumSources.map((s: any) => s.url),
      ];
      expect(body.data.articles.nodes, "the six hostile articles").toHaveLength(6);
      for (const value of values) if (value !== null) expect(value).toMatch(/^https?:\/\/[^\s]+$/);
      expect(JSON.stringify(body)).not.toMatch(/javascript|data:|vbscript|evil/i);
    });
  });

  describe("hostile content: titles are plain text in every feed format (item 6)", () => {
    const TITLES = ["<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", "&amp;lt;img src=x onerror=alert(1)&amp;gt;", "<script>alert(1)</script>"];
    const entry = (title: string, n: number): FeedEntry => ({
      guid: `tag:x,2026:${n}`, title, link: `https://x.example/${n}`, externalUrl: null, published: new Date(0), updated: new Date(0),
      author: title, categories: [], contentHtml: "<p>x</p>", summaryText: title,
    });
    const doc = (title: string): FeedDocument => ({
      id: "tag:x,2026:feed", title, description: title, self: { rss: "https://x.example/f.rss", atom: "https://x.example/f.atom", json: "https://x.example/f.json" },
      alternate: null, author: title, entries: TITLES.map(entry), next: null, hub: null,
    });

    it("no title, description or author of RSS, Atom or JSON Feed output reads as markup to a reader that takes them for HTML", () => {
      for (const title of TITLES) {
        for (const format of ["rss", "atom", "json"] as const) {
          const out = renderFeed(doc(title), format, { updated: new Date(0), ttlMinutes: 0 });
          // What a reader does: decode the XML (CDATA as is, text unescaped once), then read as HTML what it takes
          // for HTML: RSS titles and descriptions (channel and item), Atom text constructs of type="html". Atom
          // text constructs without a type, and dc:creator, are plain text by their specifications.
          const xmlText = (m: RegExpMatchArray) =>
            m[3]!.startsWith("<![CDATA[") ? m[3]!.slice(9, -3) : m[3]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
          const html = format === "rss" ? /<(title|description)()>([\s\S]*?)<\/\1>/g : /<(title|summary|content|subtitle)( type="html")>([\s\S]*?)<\/\1>/g;
          const texts = format === "json" ? [] : [...out.matchAll(html)].map(xmlText);
          if (format === "json") {
            const json = JSON.parse(out);
            // JSON Feed titles are plain text by definition: the text is the title itself, unchanged.
            expect(json.items.map((i: any) => i.title)).toEqual(TITLES);
            continue;
          }
          expect(texts.length).toBeGreaterThan(TITLES.length);
          for (const text of texts) expect(text, `${format}: ${text}`).not.toMatch(/<\s*(img|script)/i);
        }
      }
    });
  });
}
