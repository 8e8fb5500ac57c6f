import Parser from "rss-parser";
import type { FeedFormat, ParsedFeed, ParsedItem } from "../../src/model/news.js";
import { parseFeedDate } from "./dates.js";
import { parseJsonFeed } from "./json-feed.js";
import { list, text } from "./fields.js";

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
    return item;
  }
}
declare module "rss-parser" {
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
      item: ["dc:date", ["dc:subject", "dc:subject", { keepArray: true }], "media:content", "media:thumbnail", "updated", "content:encoded"],
    },
  });

export class FeedParseError extends Error {
  override name = "FeedParseError";
}

/** Parses feed text (already decoded to a string) of any supported format. Throws FeedParseError with a sentence. */
export async function parseFeed(source: string, contentType: string | null = null): Promise<ParsedFeed> {
  const head = source.slice(0, 4096).replace(/^\uFEFF/, "").trimStart();
  if (head.length === 0) throw new FeedParseError("the address returned an empty response, not a feed");
  if (head.startsWith("{") || (contentType?.includes("json") && !head.startsWith("<"))) {
    try {
      return cap(parseJsonFeed(source));
    } catch (err) {
      throw new FeedParseError(`the feed is ${(err as Error).message}`);
    }
  }
  if (/^(<!--[\s\S]*?-->\s*)*<!doctype html|^(<!--[\s\S]*?-->\s*)*<html[\s>]/i.test(head)) {
    throw new FeedParseError("the address returned an HTML page, not a feed (is it the site's homepage?)");
  }
  const format = detectXmlFormat(head);
  let output: Record<string, unknown> & { items?: unknown[] };
  try {
    output = (await newXmlParser().parseString(source)) as unknown as typeof output;
  } catch (err) {
    throw new FeedParseError(describeXmlError((err as Error).message, format));
  }
  const items = (Array.isArray(output.items) ? output.items : []).map((raw) => xmlItem(raw as Record<string, unknown>, format));
  const links = feedLinks([output.crosswireLinks, output.crosswireAtomLinks]);
  const homepage = format === "ATOM" ? links.find((l) => l.rel === "alternate")?.href ?? null : text(output.link);
  return cap({
    format: format ?? "RSS", title: text(output.title), homepage, items, warnings: [],
    hubs: links.filter((l) => l.rel === "hub").map((l) => l.href).slice(0, 5),
    selfUrl: links.find((l) => l.rel === "self")?.href ?? null,
  });
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

function detectXmlFormat(head: string): FeedFormat | null {
  const body = head.replace(/<\?[\s\S]*?\?>/g, "").replace(/<!--[\s\S]*?-->/g, "").replace(/<!DOCTYPE[^>]*>/gi, "").trimStart();
  if (/^<(\w+:)?feed[\s>]/.test(body)) return "ATOM";
  if (/^<(rss|rdf:RDF|RDF)[\s>]/.test(body)) return "RSS";
  return null;
}

function describeXmlError(message: string, format: FeedFormat | null): string {
  const firstLine = message.split("\n")[0] ?? message;
  const line = /Line: (\d+)/.exec(message)?.[1];
  if (/Feed not recognized/.test(message) || (format === null && !/Line:/.test(message))) {
    return "the document is XML but not an RSS or Atom feed";
  }
  if (/Invalid character entity|entity/i.test(message)) {
    return `the feed uses an XML entity that is not allowed (entity expansion and external entities are refused)${line ? ` at line ${line}` : ""}`;
  }
  if (/Unable to parse XML/.test(message)) return "the feed is not XML";
  return `the feed is not well-formed XML (${firstLine}${line ? ` at line ${line}` : ""})`;
}

function xmlItem(raw: Record<string, unknown>, format: FeedFormat | null): ParsedItem {
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
  const summary = isAtom ? text(raw.summary) ?? text(raw.content) : text(raw.content) ?? text(raw["content:encoded"]);
  const enclosure = raw.enclosure as { url?: unknown; type?: unknown } | undefined;
  const image =
    (enclosure && typeof enclosure.type === "string" && enclosure.type.startsWith("image/") ? text(enclosure.url) : null) ??
    mediaUrl(raw["media:content"]) ??
    mediaUrl(raw["media:thumbnail"]);
  return {
    guid: text(raw.guid) ?? text(raw.id),
    link: text(raw.link),
    title: text(raw.title),
    summaryHtml: summary,
    author: text(raw.creator) ?? text(raw["dc:creator"]) ?? text(raw.author),
    publishedAt,
    updatedAt: updatedAt && updatedAt !== publishedAt ? updatedAt : null,
    imageUrl: image,
    categories: list([raw.categories, raw.crosswireCategories, raw["dc:subject"]].flatMap((v) => (Array.isArray(v) ? v : []))),
    warnings,
  };
}

function mediaUrl(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== "object" || first === null) return null;
  return text((first as { $?: { url?: unknown } }).$?.url);
}
