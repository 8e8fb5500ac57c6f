import { canonicalUrl } from "../../src/urls/index.js";
import { declaredZone, pageDate } from "./extract/dates.js";
import { readJsonLd } from "./extract/jsonld.js";
import { scanHtml } from "./extract/scan.js";
import {
  absoluteUrl, baseUrl, bylineName, displayText, EXTRACT_LIMITS, languageTag, plainText, stripSiteSuffix,
} from "./extract/values.js";

export { EXTRACT_LIMITS } from "./extract/values.js";

/**
 * What a fetched HTML page says about itself, read from the first ~1 MB of its text. Synchronous, pure and
 * total: no I/O, never throws; a field nobody declared (or only declared in an unusable form) is null.
 *
 * Each field is taken from the first source in its row that yields a usable value (`from` names it). The order
 * is per field, after metascraper's rules and mozilla/readability's, measured on 65 recorded news pages
 * (test/integration/unfurl-real-world.test.ts): what a page writes for link previews (Open Graph) is trusted first
 * for the preview fields (title, summary, image), the structured data (JSON-LD) first for facts (author, dates).
 *
 * | field        | sources, first usable wins                                                                          |
 * |--------------|-----------------------------------------------------------------------------------------------------|
 * | canonicalUrl | `<link rel=canonical>` > og:url > json-ld:url > json-ld:mainEntityOfPage (then src/urls rules)      |
 * | title        | og:title > json-ld:headline > twitter:title > parsely-page.title > `<title>`; each minus a        |
 * |              | " \| Site" / " - Site" suffix naming a declared site (og:site_name, JSON-LD publisher, app name)    |
 * | summary      | og:description > twitter:description > meta:description > json-ld:description >                    |
 * |              | itemprop:description > the first paragraph of the text (≥ 80 characters, cut at 500)                |
 * | author       | json-ld:author > meta:author > itemprop:author (meta) > article:author > og:article:author >         |
 * |              | dc.creator > parsely-author > parsely-page.author > meta:byl (NYT) > microdata itemprop=author      |
 * |              | element (its itemprop=name, else its text) > `<a rel=author>` text > class*=byline text             |
 * | publisher    | og:site_name > json-ld:publisher (.name) > meta:application-name                                   |
 * | publishedAt  | json-ld:datePublished > article:published_time > og:article:published_time > article:published >  |
 * |              | article.published > itemprop:datePublished (meta, `<time datetime>`, any element's content) >       |
 * |              | parsely-pub-date > parsely-page.pub_date > json-ld:dateCreated > meta:date > pubdate > dc.date      |
 * | modifiedAt   | json-ld:dateModified > article:modified_time > og:article:modified_time > og:updated_time >         |
 * |              | article.updated > itemprop:dateModified                                                             |
 * | imageUrl     | og:image > og:image:url > og:image:secure_url > twitter:image(:src) > json-ld:image (string, .url,  |
 * |              | first of a list) > itemprop:image > parsely-page.image_url                                          |
 * | type         | og:type > json-ld:@type                                                                             |
 * | language     | `<html lang>` > json-ld:inLanguage > og:locale > http-equiv:content-language                         |
 *
 * Meta tags are looked up by `property`, `name` and `itemprop` (the latter as `itemprop:<name>`). A byline is a
 * name: a leading "By"/"Par" is dropped, a URL is no author, a byline read from page text is at most 100 characters.
 * Dates without a zone are read in the page's declared zone (the offset of the first zoned date the page gives),
 * else UTC (extract/dates.ts). Text whose entities were escaped twice is decoded once more (extract/values.ts).
 *
 * "json-ld" means the first node typed Article, NewsArticle or one of their schema.org subtypes, found at the
 * top level of a block, in a top-level array or in an `@graph`; `{"@id": …}` references to other nodes of the
 * page (Yoast-style graphs) are followed one step. A block that does not parse is skipped, the others are kept.
 * Of duplicate meta tags the first non-empty one wins (an empty duplicate never erases a value).
 *
 * Not decided here: whether to keep the result. The extractor cannot see the HTTP status, and a 404 page is
 * well-formed HTML (often with og:url pointing at the site's home page), so the caller must not store
 * metadata from a 4xx/5xx response. Nor whether to trust `canonicalUrl`: it is whatever the page declares, and a
 * page on one host can name another host's URL; the adapter decides before merging into that Article.
 */
export type Provenance = "page"; // feed-supplied fields are marked "feed" elsewhere

export interface PageMetadata {
  /** From `<link rel=canonical>`, og:url, JSON-LD url/mainEntityOfPage: absolute http(s), after canonicalUrl(). */
  canonicalUrl: string | null;
  /** Plain text, never HTML: markup in a tag comes out as the literal characters. At most 1000 characters. */
  title: string | null;
  /** Plain text, at most 5000 characters. */
  summary: string | null;
  author: string | null;
  /** The site name. */
  publisher: string | null;
  /** ISO 8601 UTC. */
  publishedAt: string | null;
  modifiedAt: string | null;
  /** Absolute http(s) only. Never fetched here. */
  imageUrl: string | null;
  /** og:type or JSON-LD @type as written ("article", "NewsArticle"). */
  type: string | null;
  /** A BCP 47 tag ("en-GB"); og:locale's "en_GB" is rewritten with a hyphen. */
  language: string | null;
  /** Which tag supplied each non-null field, e.g. { title: "json-ld:headline" }. */
  from: Partial<Record<keyof Omit<PageMetadata, "from">, string>>;
}

export type PageMetadataField = keyof Omit<PageMetadata, "from">;

export function extractPageMetadata(html: string, pageUrl: string): PageMetadata {
  const out: PageMetadata = {
    canonicalUrl: null, title: null, summary: null, author: null, publisher: null, publishedAt: null,
    modifiedAt: null, imageUrl: null, type: null, language: null, from: {},
  };
  try {
    const page = scanHtml(typeof html === "string" ? html.slice(0, EXTRACT_LIMITS.html) : "");
    const base = baseUrl(page.baseHref, typeof pageUrl === "string" ? pageUrl : "");
    const ld = readJsonLd(page.jsonLd);
    const a = ld.article;
    const parsely = readParsely(page.meta.get("parsely-page"));
    const meta = (key: string): Candidate => [key.includes(":") ? key : `meta:${key}`, page.meta.get(key.toLowerCase())];
    const text = (max: number) => (raw: unknown) => displayText(raw, max);
    const url = (raw: unknown) => absoluteUrl(raw, base);
    const canonical = (raw: unknown) => {
      const absolute = absoluteUrl(raw, base);
      return absolute === null ? null : canonicalUrl(absolute);
    };
    const dates: Candidate[] = [
      ["json-ld:datePublished", a && ld.text(a.datePublished)], meta("article:published_time"),
      meta("og:article:published_time"), meta("article:published"), meta("article.published"),
      meta("itemprop:datePublished"), meta("parsely-pub-date"), ["parsely-page.pub_date", parsely.pubDate],
      ["json-ld:dateCreated", a && ld.text(a.dateCreated)], meta("date"), meta("pubdate"), meta("dc.date"),
    ];
    const modified: Candidate[] = [
      ["json-ld:dateModified", a && ld.text(a.dateModified)], meta("article:modified_time"),
      meta("og:article:modified_time"), meta("og:updated_time"), meta("article.updated"), meta("itemprop:dateModified"),
    ];
    const zone = [...dates, ...modified].map(([, raw]) => declaredZone(raw)).find((z) => z !== null) ?? null;
    const date = (raw: unknown) => pageDate(raw, zone);

    pick(out, "canonicalUrl", canonical, [
      ["<link rel=canonical>", page.canonical], meta("og:url"),
      ["json-ld:url", a && ld.text(a.url)], ["json-ld:mainEntityOfPage", a && ld.entityUrl(a.mainEntityOfPage)],
    ]);
    pick(out, "publisher", text(EXTRACT_LIMITS.name), [
      meta("og:site_name"), ["json-ld:publisher", a && ld.name(a.publisher)], meta("application-name"),
    ]);
    // og:title often carries the site's name too ("Story - BBC News"): it is cut from every title source.
    const siteNames = [out.publisher, a && ld.name(a.publisher), plainText(page.meta.get("application-name"), Infinity)];
    pick(out, "title", (raw) => displayText(stripSiteSuffix(plainText(raw, Infinity), siteNames), EXTRACT_LIMITS.title), [
      meta("og:title"), ["json-ld:headline", a && ld.text(a.headline)], meta("twitter:title"),
      ["parsely-page.title", parsely.title], ["<title>", page.title],
    ]);
    pick(out, "summary", text(EXTRACT_LIMITS.summary), [
      meta("og:description"), meta("twitter:description"), meta("description"),
      ["json-ld:description", a && ld.text(a.description)], meta("itemprop:description"),
    ]);
    pick(out, "summary", text(EXTRACT_LIMITS.paragraph), [["first paragraph", page.paragraph]]);
    pick(out, "author", (raw) => bylineName(displayText(raw, Infinity)), [
      ["json-ld:author", a && ld.name(a.author)], meta("author"), meta("itemprop:author"), meta("article:author"),
      meta("og:article:author"), meta("dc.creator"), meta("parsely-author"), ["parsely-page.author", parsely.author],
      meta("byl"),
    ]);
    pick(out, "author", (raw) => bylineName(raw, EXTRACT_LIMITS.bylineText), [
      ["microdata itemprop=author", page.microdataAuthor], ["<a rel=author>", page.relAuthor],
      ["class=byline", page.bylineText],
    ]);
    pick(out, "publishedAt", date, dates);
    pick(out, "modifiedAt", date, modified);
    pick(out, "imageUrl", url, [
      meta("og:image"), meta("og:image:url"), meta("og:image:secure_url"), meta("twitter:image"),
      meta("twitter:image:src"), ["json-ld:image", a && ld.imageUrl(a.image, base)], meta("itemprop:image"),
      ["parsely-page.image_url", parsely.image],
    ]);
    pick(out, "type", text(EXTRACT_LIMITS.type), [meta("og:type"), ["json-ld:@type", ld.articleType]]);
    pick(out, "language", languageTag, [
      ["<html lang>", page.lang], ["json-ld:inLanguage", a && ld.text(a.inLanguage)], meta("og:locale"),
      meta("http-equiv:content-language"),
    ]);
  } catch {
    // Nothing above is expected to throw; if it does, the fields already set are kept rather than losing the page.
  }
  return out;
}

/**
 * Parse.ly's `<meta name="parsely-page" content='{"title":…,"author":…,"pub_date":…,"image_url":…}'>` (Ars
 * Technica, older WordPress VIP sites). `authors` may be a list; only strings are read.
 */
function readParsely(raw: string | undefined): { title?: unknown; author?: unknown; pubDate?: unknown; image?: unknown } {
  if (raw === undefined || raw.length > EXTRACT_LIMITS.parselyJson) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const get = (key: string) => (Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined);
    const authors = get("authors");
    return {
      title: get("title"), pubDate: get("pub_date"), image: get("image_url"),
      author: get("author") ?? (Array.isArray(authors) ? authors.find((x) => typeof x === "string") : undefined),
    };
  } catch {
    return {};
  }
}

type Candidate = [label: string, raw: unknown];

/** Sets `field` from the first usable candidate, unless an earlier pick already set it. */
function pick(out: PageMetadata, field: PageMetadataField, normalize: (raw: unknown) => string | null, candidates: Candidate[]) {
  if (out[field] !== null) return;
  for (const [label, raw] of candidates) {
    const value = raw === undefined || raw === null ? null : normalize(raw);
    if (value !== null) {
      out[field] = value;
      out.from[field] = label;
      return;
    }
  }
}

