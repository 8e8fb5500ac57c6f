import { Parser, Tokenizer } from "htmlparser2";
import { canonicalUrl } from "../../src/urls/index.js";
import { parseFeedDate } from "../rss/dates.js";

/**
 * What a fetched HTML page says about itself, read from the first ~1 MB of its text. Synchronous, pure and
 * total: no I/O, never throws; a field nobody declared (or only declared in an unusable form) is null.
 *
 * Fields are taken from the first source in this table that yields a usable value (`from` names it):
 *
 * | field        | sources, first usable wins                                                                       |
 * |--------------|--------------------------------------------------------------------------------------------------|
 * | canonicalUrl | `<link rel=canonical>` > og:url > json-ld:url > json-ld:mainEntityOfPage (then src/urls rules)   |
 * | title        | json-ld:headline > og:title > twitter:title > `<title>` (minus a " \| Site" / " - Site" suffix)  |
 * | summary      | json-ld:description > og:description > twitter:description > meta:description                    |
 * | author       | json-ld:author (string, .name, first of a list) > meta:author > article:author (unless a URL)    |
 * | publisher    | og:site_name > json-ld:publisher (.name) > meta:application-name                                  |
 * | publishedAt  | json-ld:datePublished > article:published_time > meta:date > meta:pubdate > meta:dc.date         |
 * | modifiedAt   | json-ld:dateModified > article:modified_time > og:updated_time                                    |
 * | imageUrl     | json-ld:image (string, .url, first of a list) > og:image > og:image:url > twitter:image(:src)     |
 * | type         | og:type > json-ld:@type                                                                            |
 * | language     | `<html lang>` > json-ld:inLanguage > og:locale > http-equiv:content-language                      |
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

export const EXTRACT_LIMITS = {
  /** Characters of HTML looked at; the fetcher's byte cap is the real bound, this keeps the extractor safe alone. */
  html: 1_000_000,
  title: 1000,
  summary: 5000,
  name: 300,
  type: 100,
  language: 35,
  url: 4096,
  jsonLdBlocks: 32,
  jsonLdNodes: 500,
} as const;

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
    const meta = (key: string): Candidate => [key.includes(":") ? key : `meta:${key}`, page.meta.get(key)];
    const text = (max: number) => (raw: unknown) => plainText(raw, max);
    const url = (raw: unknown) => absoluteUrl(raw, base);
    const canonical = (raw: unknown) => {
      const absolute = absoluteUrl(raw, base);
      return absolute === null ? null : canonicalUrl(absolute);
    };
    const date = (raw: unknown) => parseFeedDate(plainText(raw, 100));
    const byline = (raw: unknown) => {
      const name = plainText(raw, EXTRACT_LIMITS.name);
      return name === null || /^(https?:)?\/\//i.test(name) ? null : name;
    };

    pick(out, "canonicalUrl", canonical, [
      ["<link rel=canonical>", page.canonical], meta("og:url"),
      ["json-ld:url", a && ld.text(a.url)], ["json-ld:mainEntityOfPage", a && ld.entityUrl(a.mainEntityOfPage)],
    ]);
    pick(out, "publisher", text(EXTRACT_LIMITS.name), [
      meta("og:site_name"), ["json-ld:publisher", a && ld.name(a.publisher)], meta("application-name"),
    ]);
    pick(out, "title", text(EXTRACT_LIMITS.title), [
      ["json-ld:headline", a && ld.text(a.headline)], meta("og:title"), meta("twitter:title"),
      ["<title>", page.title === null ? null : stripSiteSuffix(plainText(page.title, Infinity), out.publisher)],
    ]);
    pick(out, "summary", text(EXTRACT_LIMITS.summary), [
      ["json-ld:description", a && ld.text(a.description)], meta("og:description"), meta("twitter:description"),
      meta("description"),
    ]);
    pick(out, "author", byline, [["json-ld:author", a && ld.name(a.author)], meta("author"), meta("article:author")]);
    pick(out, "publishedAt", date, [
      ["json-ld:datePublished", a && ld.text(a.datePublished)], meta("article:published_time"), meta("date"),
      meta("pubdate"), meta("dc.date"),
    ]);
    pick(out, "modifiedAt", date, [
      ["json-ld:dateModified", a && ld.text(a.dateModified)], meta("article:modified_time"), meta("og:updated_time"),
    ]);
    pick(out, "imageUrl", url, [
      ["json-ld:image", a && ld.imageUrl(a.image, base)], meta("og:image"), meta("og:image:url"),
      meta("twitter:image"), meta("twitter:image:src"),
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

type Candidate = [label: string, raw: unknown];

function pick(out: PageMetadata, field: PageMetadataField, normalize: (raw: unknown) => string | null, candidates: Candidate[]) {
  for (const [label, raw] of candidates) {
    const value = raw === undefined || raw === null ? null : normalize(raw);
    if (value !== null) {
      out[field] = value;
      out.from[field] = label;
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One pass of htmlparser2's Tokenizer over the HTML. It never throws on broken markup, decodes entities in
// attributes and in <title> (RCDATA), and hands <script> bodies over raw, which is what JSON.parse needs.
// Its Parser is not used here: the Parser keeps open elements in an array it `unshift`s on every start tag, so a
// page of 200,000 unclosed <div>s (1 MB) took 22 s in it; the Tokenizer keeps no stack and is linear.

interface ScannedPage {
  /** Lower-cased meta property/name (and `http-equiv:<name>`) → first non-empty content. */
  meta: Map<string, string>;
  title: string | null;
  canonical: string | null;
  baseHref: string | null;
  lang: string | null;
  jsonLd: string[];
}

// Over 80 lines (88): one htmlparser2 pass with its handlers (meta, link, title, JSON-LD scripts) sharing the
// scan state; splitting the handlers would pass that state around for no gain in reading.
function scanHtml(html: string): ScannedPage {
  const page: ScannedPage = { meta: new Map(), title: null, canonical: null, baseHref: null, lang: null, jsonLd: [] };
  const slice = (start: number, end: number) => html.slice(start, end);
  let tag = "";
  let attrs = new Map<string, string>();
  let attrName = "";
  let attrValue = "";
  // An <svg>'s <title> is an icon's tooltip; the page's title is the first one outside SVG/MathML.
  let foreignDepth = 0;
  let capture: { tag: "title" | "script"; parts: string[] } | null = null;
  const endCapture = () => {
    if (capture?.tag === "title") page.title = capture.parts.join("");
    if (capture?.tag === "script") page.jsonLd.push(capture.parts.join(""));
    capture = null;
  };
  const openTag = (selfClosing: boolean) => {
    const attr = (name: string) => attrs.get(name);
    switch (tag) {
      case "svg":
      case "math":
        if (!selfClosing) foreignDepth += 1;
        break;
      case "html":
        if (page.lang === null && attr("lang")?.trim()) page.lang = attr("lang") ?? null;
        break;
      case "title":
        if (!selfClosing && foreignDepth === 0 && page.title === null) capture = { tag: "title", parts: [] };
        break;
      case "meta":
        readMeta(page.meta, attr);
        break;
      case "link":
        if (page.canonical === null && attr("href")?.trim() && tokens(attr("rel")).includes("canonical")) {
          page.canonical = attr("href") ?? null;
        }
        break;
      case "base":
        if (page.baseHref === null && attr("href")?.trim()) page.baseHref = attr("href") ?? null;
        break;
      case "script":
        if (!selfClosing && page.jsonLd.length < EXTRACT_LIMITS.jsonLdBlocks && isJsonLdType(attr("type"))) {
          capture = { tag: "script", parts: [] };
        }
        break;
    }
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, {
    onopentagname(start, end) {
      tag = slice(start, end).toLowerCase();
      attrs = new Map();
    },
    onattribname(start, end) {
      attrName = slice(start, end).toLowerCase();
      attrValue = "";
    },
    onattribdata(start, end) {
      attrValue += slice(start, end);
    },
    onattribentity(codePoint) {
      attrValue += String.fromCodePoint(codePoint);
    },
    onattribend() {
      if (!attrs.has(attrName)) attrs.set(attrName, attrValue); // the first of duplicate attributes wins, as in HTML
    },
    onopentagend: () => openTag(false),
    onselfclosingtag: () => openTag(true),
    onclosetag(start, end) {
      const name = slice(start, end).toLowerCase();
      if ((name === "svg" || name === "math") && foreignDepth > 0) foreignDepth -= 1;
      if (capture?.tag === name) endCapture();
    },
    ontext(start, end) {
      capture?.parts.push(slice(start, end));
    },
    ontextentity(codePoint) {
      capture?.parts.push(String.fromCodePoint(codePoint));
    },
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onprocessinginstruction() {},
    onend() {},
  });
  tokenizer.write(html);
  tokenizer.end();
  endCapture(); // a <title> never closed runs to the end of the input, as it does in browsers
  return page;
}

function readMeta(meta: Map<string, string>, attr: (name: string) => string | undefined) {
  const content = attr("content") ?? attr("value");
  if (content === undefined || content.trim() === "") return;
  // RDFa allows several properties in one attribute ("og:title twitter:title"); some sites put OG in name=.
  const keys = `${attr("property") ?? ""} ${attr("name") ?? ""}`.toLowerCase().split(/\s+/);
  const httpEquiv = attr("http-equiv")?.trim().toLowerCase();
  if (httpEquiv) keys.push(`http-equiv:${httpEquiv}`);
  for (const key of keys) if (key && !meta.has(key)) meta.set(key, content);
}

function tokens(value: string | undefined): string[] {
  return (value ?? "").toLowerCase().split(/\s+/);
}

function isJsonLdType(type: string | undefined): boolean {
  return (type ?? "").split(";")[0]?.trim().toLowerCase() === "application/ld+json";
}

// ---------------------------------------------------------------------------------------------------------------
// JSON-LD. Parsed values are only read, property by property with own-property checks (a block may carry
// `__proto__` keys), never spread or merged into our objects.

type LdNode = Record<string, unknown>;

/** schema.org Article and its subtypes that are stories (https://schema.org/Article, "More specific Types"). */
const ARTICLE_TYPES = new Set([
  "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BackgroundNewsArticle",
  "OpinionNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "LiveBlogPosting", "Report",
  "ScholarlyArticle", "TechArticle", "SatiricalArticle",
]);

interface JsonLd {
  article: Readonly<Record<string, unknown>> | null;
  articleType: string | null;
  text(value: unknown): string | null;
  name(value: unknown): string | null;
  entityUrl(value: unknown): string | null;
  imageUrl(value: unknown, base: URL | null): string | null;
}

function readJsonLd(blocks: string[]): JsonLd {
  const nodes: LdNode[] = [];
  const add = (value: unknown) => {
    if (isNode(value) && nodes.length < EXTRACT_LIMITS.jsonLdNodes) nodes.push(value);
  };
  for (const block of blocks) {
    const parsed = parseJson(block);
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      add(item);
      const graph = isNode(item) ? own(item, "@graph") : undefined;
      if (Array.isArray(graph)) graph.forEach(add);
    }
  }
  const byId = new Map<string, LdNode>();
  for (const node of nodes) {
    const id = own(node, "@id");
    if (typeof id === "string" && Object.keys(node).length > 1 && !byId.has(id)) byId.set(id, node);
  }
  const resolve = (value: unknown): unknown => {
    const id = isNode(value) ? own(value, "@id") : undefined;
    return typeof id === "string" ? (byId.get(id) ?? value) : value;
  };
  const firstOf = (value: unknown, read: (entry: unknown) => string | null): string | null => {
    for (const entry of (Array.isArray(value) ? value : [value]).slice(0, 20)) {
      const found = read(resolve(entry));
      if (found !== null) return found;
    }
    return null;
  };
  const text = (value: unknown): string | null =>
    firstOf(value, (v) => {
      const raw = isNode(v) ? own(v, "@value") : v;
      return typeof raw === "string" && raw.trim() !== "" ? decodeEntities(raw) : null;
    });
  const article = nodes.find((node) => ldTypes(node).some((t) => ARTICLE_TYPES.has(t))) ?? null;
  const prop = (key: string) => (article ? own(article, key) : undefined);
  return {
    article: article && {
      url: prop("url"), mainEntityOfPage: prop("mainEntityOfPage"), headline: prop("headline"),
      description: prop("description"), author: prop("author"), publisher: prop("publisher"),
      datePublished: prop("datePublished"), dateModified: prop("dateModified"), image: prop("image"),
      inLanguage: prop("inLanguage"),
    },
    articleType: article && (ldTypes(article).find((t) => ARTICLE_TYPES.has(t)) ?? null),
    text,
    name: (value) => firstOf(value, (v) => (isNode(v) ? text(own(v, "name")) : text(v))),
    entityUrl: (value) => firstOf(value, (v) => (isNode(v) ? (text(own(v, "url")) ?? text(own(v, "@id"))) : text(v))),
    imageUrl: (value, base) =>
      firstOf(value, (v) => absoluteUrl(isNode(v) ? (text(own(v, "url")) ?? text(own(v, "contentUrl"))) : text(v), base)),
  };
}

function parseJson(block: string): unknown {
  // Old CMS templates wrap the block in <!-- --> or CDATA, and many leave raw newlines inside strings (invalid
  // JSON, accepted by search engines): try the block as written, then unwrapped, then with control characters blanked.
  const unwrapped = block
    .trim()
    .replace(/^(?:<!--|(?:\/\/\s*)?<!\[CDATA\[)/, "")
    .replace(/(?:-->|(?:\/\/\s*)?\]\]>)$/, "");
  for (const candidate of [block, unwrapped, unwrapped.replace(/[\u0000-\u001f]+/g, " ")]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next repair
    }
  }
  return undefined;
}

function ldTypes(node: LdNode): string[] {
  const type = own(node, "@type");
  return (Array.isArray(type) ? type : [type])
    .filter((t): t is string => typeof t === "string")
    .map((t) => t.trim().replace(/^.*[/:#]/, "")); // "https://schema.org/NewsArticle", "schema:NewsArticle"
}

function isNode(value: unknown): value is LdNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function own(node: LdNode, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
}

/**
 * JSON-LD strings are JSON, not HTML, yet publishers routinely HTML-escape them ("Caf&eacute;", "&amp;").
 * Decoded once; a `<` stays a literal `<` (escaped before the parser sees it), so the result is text, not markup.
 */
function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  let decoded = "";
  const parser = new Parser({ ontext: (part) => void (decoded += part) }, { decodeEntities: true });
  parser.end(value.replace(/</g, "&lt;"));
  return decoded;
}

// ---------------------------------------------------------------------------------------------------------------
// Values.

/** Text for display: control characters and runs of whitespace become one space, lone surrogates U+FFFD, capped. */
function plainText(raw: unknown, max: number): string | null {
  if (typeof raw !== "string") return null;
  const text = raw
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return null;
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

const TITLE_SEPARATORS = ["|", "-", "–", "—", "·", "•"];

/** "Story | Site" → "Story", only when "Site" is the site name the page declares elsewhere. */
function stripSiteSuffix(title: string | null, siteName: string | null): string | null {
  if (title === null || siteName === null) return title;
  for (const separator of TITLE_SEPARATORS) {
    const suffix = ` ${separator} ${siteName}`;
    if (title.length > suffix.length && title.slice(-suffix.length).toLowerCase() === suffix.toLowerCase()) {
      return title.slice(0, -suffix.length).trim();
    }
  }
  return title;
}

function baseUrl(baseHref: string | null, pageUrl: string): URL | null {
  const page = httpUrl(pageUrl, null);
  // <base href> changes what relative links mean (HTML, "document base URL"), but only to another http(s) URL.
  return (baseHref !== null ? httpUrl(baseHref, page) : null) ?? page;
}

function httpUrl(raw: string, base: URL | null): URL | null {
  const text = raw.trim();
  if (text === "" || text.length > EXTRACT_LIMITS.url) return null;
  try {
    const url = base ? new URL(text, base) : new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

function absoluteUrl(raw: unknown, base: URL | null): string | null {
  if (typeof raw !== "string") return null;
  const href = httpUrl(raw, base)?.href ?? null;
  return href !== null && href.length <= EXTRACT_LIMITS.url ? href : null;
}

function languageTag(raw: unknown): string | null {
  const text = plainText(raw, EXTRACT_LIMITS.language)?.replace(/_/g, "-") ?? null;
  return text !== null && /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i.test(text) ? text : null;
}
