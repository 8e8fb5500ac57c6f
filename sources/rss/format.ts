import type { FeedFormat } from "../../src/model/news.js";

/* Kept apart from parse.ts so a caller on the main thread (feed discovery) does not load rss-parser. */

/** RSS (0.9x/2.0, RSS 1.0's RDF) or Atom by the root element, past the declaration, comments and a doctype. */
export function detectXmlFormat(head: string): FeedFormat | null {
  const body = head.replace(/<\?[\s\S]*?\?>/g, "").replace(/<!--[\s\S]*?-->/g, "").replace(/<!DOCTYPE[^>]*>/gi, "").trimStart();
  if (/^<(\w+:)?feed[\s>]/.test(body)) return "ATOM";
  if (/^<(rss|rdf:RDF|RDF)[\s>]/.test(body)) return "RSS";
  return null;
}
