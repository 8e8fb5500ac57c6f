import { Parser } from "htmlparser2";
import { decodeText, FetchError } from "../net/index.js";
import type { Fetcher, FetchResult } from "../net/types.js";
import type { FeedFormat } from "../model/news.js";
import { detectXmlFormat } from "../../sources/rss/format.js";

/**
 * Feed discovery: from a URL an admin pastes (a feed or a web page) to the feed(s) to poll, as feed readers do it.
 *
 *   1. The URL answers with a feed (RSS, Atom, RDF or JSON Feed, by content, whatever its Content-Type): that feed.
 *   2. A page: its `<link rel="alternate">` of a feed type (RSS Autodiscovery, the WHATWG "alternate" link type),
 *      in document order; several are all candidates; one is fetched to check it is a feed.
 *   3. No such link: the well-known paths readers try, at the page's origin (WELL_KNOWN_PATHS); each answer is
 *      checked to be a feed.
 *
 * Every request goes through the one guarded fetcher (private addresses, size, redirects, time).
 */
export type Discovery =
  | { kind: "feed"; feed: FeedCandidate }
  | { kind: "candidates"; candidates: FeedCandidate[] }
  | { kind: "none"; reason: string };

export interface FeedCandidate {
  url: string;
  title: string | null;
  format: FeedFormat | null;
}

export const WELL_KNOWN_PATHS = ["/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml", "/index.xml", "/feed.json"] as const;

/** Feed media types a `<link rel="alternate">` may name. */
const FEED_TYPES: Record<string, FeedFormat> = {
  "application/rss+xml": "RSS",
  "application/atom+xml": "ATOM",
  "application/rdf+xml": "RSS",
  "application/feed+json": "JSON_FEED",
  "application/json": "JSON_FEED",
};
/** At most this many alternate links are kept from one page (a hostile page may list thousands). */
const MAX_CANDIDATES = 20;
/** Pages need far less than feeds: discovery reads at most this much of one. */
export const DISCOVERY_MAX_BYTES = 2 * 1024 * 1024;

export async function discoverFeeds(fetcher: Fetcher, url: string): Promise<Discovery> {
  const first = await fetcher.fetch({ url, maxBytes: DISCOVERY_MAX_BYTES });
  const format = sniffFeed(first);
  if (format) return { kind: "feed", feed: { url: first.url, title: feedTitle(first.bytes, format), format } };
  const links = alternateLinks(decodeText(first.bytes, first.charset, "html"), first.url);
  if (links.length === 1) return confirmed(fetcher, links[0]!, first.url);
  if (links.length > 1) return { kind: "candidates", candidates: links };
  const found = await wellKnown(fetcher, first.url);
  if (found.length === 1) return { kind: "feed", feed: found[0]! };
  if (found.length > 1) return { kind: "candidates", candidates: found };
  return {
    kind: "none",
    reason: `${first.url} is not a feed, links no feed (<link rel="alternate"> of an RSS, Atom or JSON Feed type), and none of ${WELL_KNOWN_PATHS.join(", ")} answers with one`,
  };
}

/** A page's one feed link, fetched: stored only when it answers with a feed (whose title names it if the link does not). */
async function confirmed(fetcher: Fetcher, link: FeedCandidate, pageUrl: string): Promise<Discovery> {
  const result = await fetcher.fetch({ url: link.url, maxBytes: DISCOVERY_MAX_BYTES });
  const format = sniffFeed(result);
  if (!format) return { kind: "none", reason: `${pageUrl} links ${link.url} as its feed, but that answers with no RSS, Atom or JSON Feed document` };
  return { kind: "feed", feed: { url: result.url, title: link.title ?? feedTitle(result.bytes, format), format } };
}

/** The well-known paths, tried one after another (politeness: one request at a time to the site). */
async function wellKnown(fetcher: Fetcher, pageUrl: string): Promise<FeedCandidate[]> {
  const found: FeedCandidate[] = [];
  const seen = new Set<string>();
  for (const path of WELL_KNOWN_PATHS) {
    try {
      const result = await fetcher.fetch({ url: new URL(path, pageUrl).href, maxBytes: DISCOVERY_MAX_BYTES });
      const format = sniffFeed(result);
      if (format && !seen.has(result.url)) {
        seen.add(result.url);
        found.push({ url: result.url, title: feedTitle(result.bytes, format), format });
      }
    } catch (err) {
      // A missing path is the usual answer; a blocked redirect is just as much "not here".
      if (!(err instanceof FetchError)) throw err;
    }
  }
  return found;
}

/** The feed format of a fetched document, judged by its first bytes (Content-Types of feeds are often wrong). */
export function sniffFeed(result: Pick<FetchResult, "bytes" | "charset" | "contentType">): FeedFormat | null {
  const head = result.bytes.subarray(0, 4096).toString("utf8").replace(/^\uFEFF/, "").trimStart();
  if (head.startsWith("{")) return /"version"\s*:\s*"https?:\/\/jsonfeed\.org\/version\//.test(head) ? "JSON_FEED" : null;
  // The rss adapter's own test of the root element: what discovery calls a feed is what the poller will read.
  return detectXmlFormat(head);
}

/** The feed's own title from its first bytes (a default name for the source); null when not found there. */
export function feedTitle(bytes: Buffer, format: FeedFormat): string | null {
  const head = bytes.subarray(0, 8192).toString("utf8");
  const xml = /<title[^>]*>(<!\[CDATA\[)?([^<\]]{1,400})/i.exec(head);
  // Entities are decoded in XML text, never inside CDATA (nor in JSON, whose escapes are undone instead).
  const raw = format === "JSON_FEED"
    ? /"title"\s*:\s*"((?:[^"\\]|\\.){1,400})"/.exec(head)?.[1]?.replace(/\\(.)/g, "$1")
    : xml?.[1] ? xml[2] : xml?.[2]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, "&");
  const text = raw?.replace(/\s+/g, " ").trim();
  return text ? text.slice(0, 200) : null;
}

/** `<link rel="alternate" type="<feed type>" href>` of a page, resolved against its `<base>` or URL, deduplicated. */
export function alternateLinks(html: string, pageUrl: string): FeedCandidate[] {
  const out: FeedCandidate[] = [];
  const seen = new Set<string>();
  let base = pageUrl;
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === "base" && attrs.href && URL.canParse(attrs.href, pageUrl)) base = new URL(attrs.href, pageUrl).href;
      if (name !== "link" || out.length >= MAX_CANDIDATES) return;
      const rels = (attrs.rel ?? "").toLowerCase().split(/\s+/);
      const format = FEED_TYPES[(attrs.type ?? "").toLowerCase().split(";")[0]!.trim()];
      if (!rels.includes("alternate") || !format || !attrs.href || !URL.canParse(attrs.href, base)) return;
      const url = new URL(attrs.href, base);
      if (url.protocol !== "http:" && url.protocol !== "https:") return;
      if (seen.has(url.href)) return;
      seen.add(url.href);
      out.push({ url: url.href, title: attrs.title?.trim().slice(0, 200) || null, format });
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
  return out;
}
