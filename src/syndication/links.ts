import type { Config } from "../config/index.js";
import { FEED_FORMATS, type FeedFormat, type FeedLinks } from "./model.js";

/**
 * Absolute URLs and GUIDs of syndication output. Everything a feed links to is built here from
 * `syndication.publicUrl`, so feeds, `Thread.feeds` and the OPML list agree.
 */

export const FEEDS_PREFIX = "/feeds";

/** `syndication.publicUrl` without a trailing slash, else `http://localhost:<port>`. */
export function publicBase(config: Config): string {
  return (config.syndication.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, "");
}

/** A feed route's path without its format suffix, e.g. `/feeds/threads/VGhyZWFkOmxvY2FsOjE`. */
export function feedPath(kind: "threads" | "forums" | "sources" | "q", id: string): string {
  return `${FEEDS_PREFIX}/${kind}/${encodeURIComponent(id)}`;
}

export const RIVER_PATH = `${FEEDS_PREFIX}/river`;

/** The URL of a feed in each format; `query` (already canonical) and `fragment` are appended unchanged. */
export function feedLinks(config: Config, path: string, query?: URLSearchParams, fragment?: string): FeedLinks {
  const base = publicBase(config);
  const search = query && [...query.keys()].length > 0 ? `?${query.toString()}` : "";
  const hash = fragment ? `#${fragment}` : "";
  const links = {} as FeedLinks;
  for (const format of FEED_FORMATS) links[format] = `${base}${path}.${format}${search}${hash}`;
  return links;
}

export function linkFor(link: string | FeedLinks, format: FeedFormat): string {
  return typeof link === "string" ? link : link[format];
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
// RFC 4151 wants the date on which the authority owned the name; the year the scheme was introduced is fixed
// here, because a date that moved would change every GUID.
const TAG_DATE = "2026";

/**
 * A tag: URI (RFC 4151) naming `specific` (a global ID, or a feed's route): `tag:<authority>,2026:<specific>`.
 * GUIDs are built from global IDs only, never from content, so an edited post keeps its GUID.
 */
export function tagUri(config: Config, specific: string): string {
  return `tag:${tagAuthority(config)},${TAG_DATE}:${specific}`;
}

function tagAuthority(config: Config): string {
  if (config.syndication.tagAuthority) return config.syndication.tagAuthority;
  const host = new URL(publicBase(config)).hostname.toLowerCase();
  // An IPv6 literal ([::1]) is not a DNS name; such a gateway is a local one anyway.
  return DNS_NAME.test(host) ? host : "localhost";
}

/** True for absolute http(s) URLs: the only links a feed carries besides its own. */
export function isHttpUrl(value: string | null | undefined): value is string {
  if (!value || !/^https?:\/\//i.test(value) || !URL.canParse(value)) return false;
  return new URL(value).hostname !== "";
}
