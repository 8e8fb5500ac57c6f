import type { ParsedFeed, ParsedItem } from "../../src/model/news.js";
import { parseFeedDate } from "./dates.js";
import { list, text } from "./fields.js";
import { escapeHtml } from "../../src/html/index.js";

/** JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read field by field into our types. */
export function parseJsonFeed(source: string): ParsedFeed {
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc) || typeof doc.version !== "string" || !doc.version.startsWith("https://jsonfeed.org/version/1")) {
    throw new Error('not a JSON Feed (no "version": "https://jsonfeed.org/version/1.x")');
  }
  if (!Array.isArray(doc.items)) throw new Error('not a JSON Feed ("items" is not an array)');
  return {
    format: "JSON_FEED",
    title: text(doc.title),
    homepage: text(doc.home_page_url),
    items: doc.items.filter(isObject).map(jsonItem),
    warnings: [],
    // JSON Feed 1.1 `hubs`: [{ type: "WebSub", url }] (type is matched case-insensitively, as the spec's examples vary).
    hubs: (Array.isArray(doc.hubs) ? doc.hubs : [])
      .filter((h): h is Record<string, unknown> => isObject(h) && /^websub$/i.test(text(h.type) ?? ""))
      .map((h) => text(h.url))
      .filter((u): u is string => u !== null && /^https?:\/\//i.test(u))
      .slice(0, 5),
    selfUrl: text(doc.feed_url),
  };
}

function jsonItem(item: Record<string, unknown>): ParsedItem {
  const warnings: string[] = [];
  const date = (field: string) => {
    const raw = text(item[field]);
    const parsed = parseFeedDate(raw);
    if (raw && !parsed) warnings.push(`unreadable ${field} "${raw.slice(0, 60)}"`);
    return parsed;
  };
  // 1.1 has "authors" (array); 1.0 had a single "author" object.
  const authors = Array.isArray(item.authors) ? item.authors : isObject(item.author) ? [item.author] : [];
  const firstAuthor = authors.find(isObject);
  return {
    guid: text(item.id) ?? (typeof item.id === "number" ? String(item.id) : null),
    link: text(item.url) ?? text(item.external_url),
    title: text(item.title),
    // "summary" and "content_text" are plain text in JSON Feed; only "content_html" is HTML.
    summaryHtml: escapeText(text(item.summary)) ?? text(item.content_html) ?? escapeText(text(item.content_text)),
    author: firstAuthor ? text(firstAuthor.name) : null,
    publishedAt: date("date_published"),
    updatedAt: date("date_modified"),
    imageUrl: text(item.image) ?? text(item.banner_image),
    categories: list(item.tags),
    warnings,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function escapeText(value: string | null): string | null {
  return value === null ? null : escapeHtml(value);
}
