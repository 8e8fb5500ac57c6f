import Parser from "rss-parser";
import type { FeedFormat, ParsedFeed, ParsedItem } from "../../src/model/news.js";
import { parseFeedDate } from "./dates.js";
import { escapeHtml, looksLikeHtml } from "../../src/html/index.js";
import { parseJsonFeed } from "./json-feed.js";
import { list, plainTitle, resolveLink, text } from "./fields.js";
import { closeUnclosed, repairXml } from "./repair.js";
import { detectXmlFormat } from "./format.js";

/** The most items kept from one fetch; a feed with more is truncated (newest first as the feed orders them). */
export const MAX_ITEMS_PER_FEED = 2000;

/**
 * rss-parser 3.13 turns an Atom entry's `<published>`/`<updated>` into a date with `new Date(x).toISOString()`,
 * which throws on an unreadable date and rejects the whole feed. Take those two fields away before it looks,
 * and read them ourselves: one bad date costs one item its date, nothing more.
 */
class TolerantParser extends Parser {
  parseItemAtom(entry: Record<string, unknown>) {
    const copy: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(entry)) if (key !== "published" && key !== "updated") copy[key] = entry[key];
    const item = (Parser.prototype as unknown as { parseItemAtom(e: unknown): Record<string, unknown> }).parseItemAtom.call(this, copy);
    item.crosswirePublished = text(entry.published);
    item.crosswireUpdated = text(entry.updated);
    // rss-parser reads no categories from Atom entries; `<category term="…"/>` elements are read by list().
    item.crosswireCategories = entry.category;
    // What rss-parser drops: the title's type (text, or html to be read as text), the entry's xml:base.
    item.crosswireTitleType = attr(entry.title, "type");
    item.crosswireBase = attr(entry, "xml:base");
    return item;
  }
}
declare module "rss-parser" {
  // A module augmentation must repeat the interface's type parameters, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Parser<T, U> {
    parseItemAtom?(entry: Record<string, unknown>): Record<string, unknown>;
  }
}

/**
 * A new parser for every document: rss-parser keeps one xml2js parser per instance, and after a document
 * with more than one error that parser is left with its error flag set, so the next document's errors
 * are ignored and a malformed or entity-laden feed is read leniently instead of rejected.
 */
const newXmlParser = () =>
  new TolerantParser({
    customFields: {
      // Every feed-level link with its rel: WebSub discovery (rel="hub", rel="self"; W3C WebSub §4), and the
      // Atom alternate link, which rss-parser's own `link` misses when another link comes first.
      feed: [["link", "crosswireLinks", { keepArray: true }], ["atom:link", "crosswireAtomLinks", { keepArray: true }]] as never,
      // dc:subject is RSS 1.0's category (repeatable, so every one is kept).
      item: ["dc:date", ["dc:subject", "dc:subject", { keepArray: true }], "media:content", "media:thumbnail", "media:group",
        "media:description", "updated", "content:encoded"],
    },
  });

export class FeedParseError extends Error {
  override name = "FeedParseError";
}

/**
 * Parses feed text (already decoded to a string) of any supported format. Throws FeedParseError with a sentence.
 * `url` is the address the document was read from (after redirects): relative links resolve against it.
 */
export async function parseFeed(source: string, contentType: string | null = null, url: string | null = null): Promise<ParsedFeed> {
  const head = source.slice(0, 4096).replace(/^\uFEFF/, "").trimStart();
  if (head.length === 0) throw new FeedParseError("the address returned an empty response, not a feed");
  if (head.startsWith("{") || (contentType?.includes("json") && !head.startsWith("<"))) {
    try {
      return cap(parseJsonFeed(source, url));
    } catch (err) {
      throw new FeedParseError(`the feed is ${(err as Error).message}`);
    }
  }
  if (/^(<!--[\s\S]*?-->\s*)*<!doctype html|^(<!--[\s\S]*?-->\s*)*<html[\s>]/i.test(head)) {
    throw new FeedParseError("the address returned an HTML page, not a feed (is it the site's homepage?)");
  }
  const format = detectXmlFormat(head);
  const { text: repaired, repairs } = repairXml(source);
  let output: Record<string, unknown> & { items?: unknown[] };
  try {
    output = (await newXmlParser().parseString(repaired)) as unknown as typeof output;
  } catch (err) {
    const message = (err as Error).message;
    if (!/^Unclosed root tag/.test(message)) throw new FeedParseError(describeXmlError(message, format, repaired));
    // A feed cut short (`</rss` missing): readers show what is there, and so do we.
    try {
      output = (await newXmlParser().parseString(closeUnclosed(repaired))) as unknown as typeof output;
      repairs.push("the document ends before its root element is closed");
    } catch {
      throw new FeedParseError(describeXmlError(message, format, repaired));
    }
  }
  const base = resolveLink(rootBase(head), url) ?? url;
  const items = (Array.isArray(output.items) ? output.items : []).map((raw) => xmlItem(raw as Record<string, unknown>, format, base));
  const links = feedLinks([output.crosswireLinks, output.crosswireAtomLinks]);
  const homepage = format === "ATOM" ? links.find((l) => l.rel === "alternate")?.href ?? null : text(output.link);
  return cap({
    format: format ?? "RSS", title: text(output.title), homepage, items,
    warnings: repairs.length ? [`read leniently: ${repairs.join("; ")}`] : [],
    hubs: links.filter((l) => l.rel === "hub").map((l) => l.href).slice(0, 5),
    selfUrl: links.find((l) => l.rel === "self")?.href ?? null,
  });
}

/** The root element's xml:base (Atom feeds put it there; entries may add their own). */
function rootBase(head: string): string | null {
  const root = /<(?:\w+:)?(?:feed|rss|rdf:RDF)\b[^>]*>/.exec(head)?.[0];
  return root ? /\bxml:base\s*=\s*["']([^"']*)["']/.exec(root)?.[1] ?? null : null;
}

function attr(value: unknown, name: string): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== "object" || first === null) return null;
  const attrs = (first as { $?: Record<string, unknown> }).$;
  return attrs && Object.prototype.hasOwnProperty.call(attrs, name) ? text(attrs[name]) : null;
}

/** `<link rel href>` and `<atom:link rel href>` elements (xml2js shape) as {rel, href}; rel defaults to "alternate". */
function feedLinks(groups: unknown[]): Array<{ rel: string; href: string }> {
  const out: Array<{ rel: string; href: string }> = [];
  for (const group of groups) {
    if (!Array.isArray(group)) continue;
    for (const link of group) {
      const attrs = typeof link === "object" && link !== null ? (link as { $?: { rel?: unknown; href?: unknown } }).$ : undefined;
      const href = text(attrs?.href);
      if (href && /^https?:\/\//i.test(href)) out.push({ rel: (text(attrs?.rel) ?? "alternate").toLowerCase(), href });
    }
  }
  return out;
}

function cap(feed: ParsedFeed): ParsedFeed {
  if (feed.items.length <= MAX_ITEMS_PER_FEED) return feed;
  return {
    ...feed,
    items: feed.items.slice(0, MAX_ITEMS_PER_FEED),
    warnings: [...feed.warnings, `the feed has ${feed.items.length} items; only the first ${MAX_ITEMS_PER_FEED} were read`],
  };
}

function describeXmlError(message: string, format: FeedFormat | null, source: string): string {
  const firstLine = message.split("\n")[0] ?? message;
  const line = /Line: (\d+)/.exec(message)?.[1];
  const at = line ? ` at line ${line}` : "";
  if (/Feed not recognized/.test(message) || (format === null && !/Line:/.test(message))) {
    return "the document is XML but not an RSS or Atom feed";
  }
  if (/entity/i.test(message)) {
    // A DTD that declares entities is the attack shape (billion laughs, XXE); an undeclared `&name;` is just a
    // reference XML does not know (HTML's `&nbsp;` written into XML).
    if (/<!DOCTYPE[^>]*\[|<!ENTITY/i.test(source.slice(0, 65536))) {
      return `the feed uses an XML entity that is not allowed (entity expansion and external entities are refused)${at}`;
    }
    // sax counts lines from 0 and may report the line after the reference: look around it.
    const lines = source.split("\n");
    const near = line ? lines.slice(Math.max(0, Number(line) - 1), Number(line) + 2).join("\n") : source;
    const name = /&([A-Za-z_][\w.-]*);/.exec(near.replace(/&(amp|lt|gt|quot|apos);/g, ""))?.[1];
    return `the feed uses an entity XML does not define (${name ? `&${name};` : "an unknown &…; reference"})${at}`;
  }
  if (/Unable to parse XML/.test(message)) return "the feed is not XML";
  return `the feed is not well-formed XML (${firstLine}${at})`;
}

function xmlItem(raw: Record<string, unknown>, format: FeedFormat | null, feedBase: string | null): ParsedItem {
  const warnings: string[] = [];
  const date = (label: string, ...candidates: unknown[]) => {
    const value = candidates.map(text).find((v) => v !== null) ?? null;
    const parsed = parseFeedDate(value);
    if (value && !parsed) warnings.push(`unreadable ${label} date "${value.slice(0, 60)}"`);
    return parsed;
  };
  const isAtom = format === "ATOM";
  const publishedAt = isAtom
    ? date("published", raw.crosswirePublished, raw.crosswireUpdated)
    : date("publication", raw.pubDate, raw["dc:date"]);
  const updatedAt = isAtom ? date("updated", raw.crosswireUpdated) : date("updated", raw.updated);
  const group = Array.isArray(raw["media:group"]) ? (raw["media:group"][0] as Record<string, unknown>) : (raw["media:group"] as Record<string, unknown> | undefined);
  const media = (name: string) => raw[name] ?? (typeof group === "object" && group !== null ? group[name] : undefined);
  const mediaDescription = text(media("media:description"));
  const summary = (isAtom ? text(raw.summary) ?? text(raw.content) : text(raw.content) ?? text(raw["content:encoded"])) ??
    // Media RSS (YouTube): the description is plain text unless it says type="html".
    (mediaDescription ? (attr(media("media:description"), "type") === "html" ? mediaDescription : escapeHtml(mediaDescription)) : null);
  const enclosure = raw.enclosure as { url?: unknown; type?: unknown } | undefined;
  const base = resolveLink(text(raw.crosswireBase), feedBase) ?? feedBase;
  const image =
    (enclosure && typeof enclosure.type === "string" && enclosure.type.startsWith("image/") ? text(enclosure.url) : null) ??
    mediaUrl(media("media:thumbnail")) ??
    mediaImage(media("media:content"));
  const guid = text(raw.guid) ?? text(raw.id);
  // RSS 2.0: a <guid> is a permalink unless isPermaLink="false"; readers use it when there is no <link>.
  const link = text(raw.link) ?? (!isAtom && guid && /^https?:\/\//i.test(guid) ? guid : null);
  // Atom says what its title is (type="text" is text as written); RSS and RDF titles are HTML in practice.
  const rawTitle = text(raw.title);
  // RSS: HTML when readers take it for HTML (an end tag or a reference: feedparser's test), else text as written.
  const titleIsText = isAtom ? (raw.crosswireTitleType ?? "text") === "text" : rawTitle !== null && !looksLikeHtml(rawTitle);
  return {
    guid,
    link: resolveLink(link, base),
    title: rawTitle === null ? null : titleIsText ? plainTitle(rawTitle, false) : plainTitle(rawTitle, true),
    summaryHtml: summary,
    author: text(raw.creator) ?? text(raw["dc:creator"]) ?? text(raw.author),
    publishedAt,
    updatedAt: updatedAt && updatedAt !== publishedAt ? updatedAt : null,
    imageUrl: resolveLink(image, base),
    categories: list([raw.categories, raw.crosswireCategories, raw["dc:subject"]].flatMap((v) => (Array.isArray(v) ? v : []))),
    warnings,
  };
}

/** A media:content that is an image (medium="image" or an image/* type). */
function mediaImage(value: unknown): string | null {
  for (const entry of Array.isArray(value) ? value : [value]) {
    const attrs = typeof entry === "object" && entry !== null ? (entry as { $?: Record<string, unknown> }).$ : undefined;
    if (!attrs) continue;
    const medium = text(attrs.medium);
    const type = text(attrs.type);
    if (medium === "image" || type?.startsWith("image/") || (!medium && !type)) return text(attrs.url);
  }
  return null;
}

function mediaUrl(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== "object" || first === null) return null;
  return text((first as { $?: { url?: unknown } }).$?.url);
}
