import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FeedFormat } from "./model.js";

/**
 * HTTP semantics of feed responses (RFC 9110, 9111): validators, conditional requests, HEAD.
 *
 * ETag: weak, a hash of the validator a route hands over, computed BEFORE rendering: for feeds, the route and
 * canonical query (filters, limit, cursor, variables), the format, the renderer version and the whole FeedDocument
 * the body is rendered from (every entry with its dates and sanitized content, feed title, self/next links built
 * from publicUrl, tag: ids from tagAuthority, the hub). Any change to an entry (even an edit that set no edit time)
 * changes it, two URLs never share one, and a matching If-None-Match is answered 304 without rendering.
 * Weak, because the same entries re-rendered by a newer library version are the same feed to a reader.
 * Last-Modified: when this URL's representation last changed (modified.ts), never earlier than its newest entry.
 */

export const CONTENT_TYPES: Record<FeedFormat | "opml", string> = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
  opml: "text/x-opml; charset=utf-8",
};

export interface Representation {
  /** Produces the body; called only when the response carries one (not for a 304). */
  body(): string;
  contentType: string;
  /**
   * Everything the body is a function of (route, canonical query, format, the data it is rendered from, renderer
   * version), as text: the ETag is its hash. Two representations with equal validators must have equal bodies.
   */
  validator: string;
  lastModified: Date | null;
}

export function sendRepresentation(req: IncomingMessage, res: ServerResponse, rep: Representation, maxAgeSeconds: number): void {
  const etag = `W/"${createHash("sha256").update(rep.validator).digest("base64url").slice(0, 32)}"`;
  const headers: Record<string, string> = {
    etag,
    "cache-control": `public, max-age=${maxAgeSeconds}`,
  };
  if (rep.lastModified) headers["last-modified"] = rep.lastModified.toUTCString();

  if (notModified(req, etag, rep.lastModified)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = rep.body();
  headers["content-type"] = rep.contentType;
  headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since; ETags compare weakly. */
function notModified(req: IncomingMessage, etag: string, lastModified: Date | null): boolean {
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === "*") return true;
    const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
    return ifNoneMatch.split(",").some((tag) => opaque(tag) === opaque(etag));
  }
  const ifModifiedSince = req.headers["if-modified-since"];
  if (ifModifiedSince === undefined || lastModified === null) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have whole seconds; the entry time may not.
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}
