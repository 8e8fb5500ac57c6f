import { Feed, type Item } from "feed";
import { linkFor } from "./links.js";
import type { FeedDocument, FeedEntry, FeedFormat } from "./model.js";
import { escapeHtml } from "./text.js";

/**
 * FeedDocument → RSS 2.0, Atom 1.0 or JSON Feed 1.1, through the `feed` library (jpmonette/feed 6), which writes
 * XML with xml-js; nothing here concatenates markup except the one Atom link the library cannot write (below).
 *
 * What the library needs from us, learnt from its source (lib/feed.js):
 * - Atom titles and summaries are written `type="html"`, so plain text must be HTML-escaped for Atom (and RSS
 *   titles that readers would take for HTML);
 * - RSS titles are CDATA, and xml-js splits only the first `]]>` of a CDATA section (text.ts breaks them all up);
 * - category terms are written into attributes with only `&` escaped (model categories carry no `<`);
 * - RSS `<author>` must be an e-mail address (RSS 2.0), so authors go out as `dc:creator` (an item extension);
 * - JSON output is JSON Feed 1.0 with a single `author`: it is rewritten to 1.1 (`authors`, `next_url`,
 *   `external_url`, plain-text `summary`);
 * - Atom has no way to add a feed-level link other than alternate, self and hub: the RFC 5005 `next` link is
 *   inserted after the self link the library wrote.
 */

export interface RenderOptions {
  /** Feed `updated`/`lastBuildDate`: the newest change among the entries (deterministic, so ETags are stable). */
  updated: Date;
  /** RSS `<ttl>` in minutes (the Cache-Control max-age, rounded up); 0 omits it. */
  ttlMinutes: number;
}

/**
 * Version of what this module writes: part of every feed ETag (http.ts), so a change to the rendering (or a
 * `feed` library upgrade that changes output) must bump it, or readers keep a stale copy until the data changes.
 */
export const RENDERER_VERSION = 3;

/** How many feeds have been rendered since start (tests prove a 304 renders nothing). */
export const renderStats = { count: 0 };

export function renderFeed(doc: FeedDocument, format: FeedFormat, options: RenderOptions): string {
  renderStats.count += 1;
  const feed = new Feed({
    id: doc.id,
    title: format === "rss" ? rssChannelText(doc.title) : doc.title,
    description: format === "rss" ? rssChannelText(doc.description) : doc.description,
    // RSS requires a channel link: the feed's own URL stands in when there is no web page. Atom and JSON Feed
    // simply leave their alternate/home page out.
    link: doc.alternate ?? (format === "rss" ? doc.self.rss : undefined),
    updated: options.updated,
    generator: "crosswire",
    feedLinks: { [format]: doc.self[format] },
    author: { name: doc.author },
    // WebSub discovery (W3C WebSub §4): Atom <link rel="hub">, RSS <atom:link rel="hub">; JSON Feed `hubs` below.
    ...(doc.hub ? { hub: doc.hub } : {}),
    ...(options.ttlMinutes > 0 ? { ttl: options.ttlMinutes } : {}),
  });
  for (const entry of doc.entries) feed.addItem(toItem(entry, format));
  switch (format) {
    case "rss":
      if (doc.next) {
        // Replaces the channel's atom:link list the library built from feedLinks.rss (same position), adding `next`.
        feed.addExtension({
          name: "atom:link",
          objects: [
            { _attributes: { href: xmlAttributeUrl(doc.self.rss), rel: "self", type: "application/rss+xml" } },
            { _attributes: { href: xmlAttributeUrl(doc.next.rss), rel: "next", type: "application/rss+xml" } },
            ...(doc.hub ? [{ _attributes: { href: xmlAttributeUrl(doc.hub), rel: "hub" } }] : []),
          ] as unknown as Record<string, unknown>,
        });
      }
      return feed.rss2();
    case "atom":
      return withAtomNext(feed.atom1(), doc);
    case "json":
      return toJsonFeed11(feed.json1(), doc);
  }
}

function toItem(entry: FeedEntry, format: FeedFormat): Item {
  const item: Item = {
    id: entry.guid,
    guid: entry.guid,
    // Titles are plain text: Atom writes them type="html", so escaped; RSS titles escaped whenever they hold a
    // character markup is made of (rssTitle); JSON Feed titles are plain text by definition.
    title: format === "atom" ? escapeHtml(entry.title) : format === "rss" ? rssTitle(entry.title) : entry.title,
    link: linkFor(entry.link, format),
    date: entry.updated,
    published: entry.published,
    description: escapeHtml(entry.summaryText),
    content: entry.contentHtml,
    category: entry.categories.map((name) => ({ name, term: name })),
  };
  if (entry.author) {
    if (format === "rss") item.extensions = [{ name: "dc:creator", objects: { _text: entry.author } }];
    else item.author = [{ name: entry.author }];
  }
  return item;
}

/**
 * An RSS title: many readers take RSS titles (and channel text) for HTML, so a title holding `<`, `>` or `&` is
 * written HTML-escaped. Escaping only titles that already look like HTML (an end tag or a reference: feedparser's
 * test) let `<img src=x onerror=alert(1)>` through as live markup (issue 18, item 6): it has neither. Escaped, it
 * holds a reference, so feedparser-style readers decode it back to the same text, and so does sources/rss.
 */
export function rssTitle(text: string): string {
  return /[<>&]/.test(text) ? escapeHtml(text) : text;
}

/**
 * RSS channel title and description: written as XML text, and read as text as written by sources/rss, but as HTML
 * by some readers. A `<` that would open a tag there (a thread title whose entities decoded into `<img …>`) is
 * written as `‹`: the same length and the same reading for both kinds of reader, and no markup for either.
 */
export function rssChannelText(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, "\u2039");
}

/** The library escapes `&` in URLs it writes as attributes; URLs passed to it raw need the same. */
function xmlAttributeUrl(url: string): string {
  return new URL(url).toString().replace(/&/g, "&amp;").replace(/"/g, "&quot;");
}

function withAtomNext(xml: string, doc: FeedDocument): string {
  if (!doc.next) return xml;
  const self = `<link rel="self" href="${xmlAttributeUrl(doc.self.atom)}"/>`;
  const at = xml.indexOf(self);
  // Caught by the tests if a new version of the library writes the self link differently.
  if (at < 0) throw new Error("feed library output changed: no Atom self link to put the RFC 5005 next link after");
  const end = at + self.length;
  return `${xml.slice(0, end)}\n    <link rel="next" href="${xmlAttributeUrl(doc.next.atom)}"/>${xml.slice(end)}`;
}

interface JsonFeedItem {
  id: string;
  author?: unknown;
  [key: string]: unknown;
}

function toJsonFeed11(text: string, doc: FeedDocument): string {
  const feed = JSON.parse(text) as Record<string, unknown> & { items: JsonFeedItem[] };
  feed.version = "https://jsonfeed.org/version/1.1";
  if (feed.author) {
    feed.authors = [feed.author];
    delete feed.author;
  }
  if (doc.next) feed.next_url = doc.next.json;
  if (doc.hub) feed.hubs = [{ type: "WebSub", url: doc.hub }];
  feed.items = feed.items.map((item, i) => {
    const entry = doc.entries[i]!;
    const out: JsonFeedItem = { ...item, summary: entry.summaryText };
    if (out.author) {
      out.authors = [out.author];
      delete out.author;
    }
    if (entry.externalUrl) out.external_url = entry.externalUrl;
    return out;
  });
  return JSON.stringify(feed, null, 2);
}
