import type { Config } from "../config/index.js";
import { FEEDS_PREFIX } from "./links.js";
import { FEED_FORMATS, FeedHttpError, type FeedFormat } from "./model.js";

/**
 * The URL grammar of syndication:
 *
 *   /feeds/threads/<Thread ID>.<fmt>   ?limit= &after= &include=citations
 *   /feeds/forums/<Forum ID>.<fmt>     ?limit= &after=
 *   /feeds/sources/<Source ID or slug>.<fmt>  ?limit= &after=
 *   /feeds/river.<fmt>                 ?limit= &after= &sources=<slug,…> &forums=<Forum ID,…> &category=<name>
 *   /feeds/q/<operation id>.<fmt>      ?limit= &<variable>=<value>…
 *   /feeds/sources.opml
 *
 * <fmt> is rss, atom or json. Parameters a route does not know are ignored (feed readers add cache-busters);
 * known ones are validated (400).
 */

export type ListKind = "threads" | "forums" | "sources";

export interface FeedParams {
  limit: number;
  /** `limit` as given, or null for the default (kept out of self links). */
  explicitLimit: number | null;
  /** Opaque cursor of the previous page's last entry (from a `next` link). */
  after: string | null;
  includeCitations: boolean;
  sources: string[];
  forums: string[];
  /** River only: articles of the sources in this category (src/news/categories.ts). */
  category: string | null;
  /** Further canonical parameters of the page (a saved query's variables), in order. */
  extra: Array<[string, string]>;
}

export type Route =
  | { kind: ListKind; id: string; format: FeedFormat; params: FeedParams }
  | { kind: "river"; format: FeedFormat; params: FeedParams }
  | { kind: "q"; id: string; format: FeedFormat; params: FeedParams; search: URLSearchParams }
  | { kind: "opml" };

const ROUTES_HELP = "feeds are /feeds/threads/<id>, /feeds/forums/<id>, /feeds/sources/<id>, /feeds/river and /feeds/q/<id> (each .rss, .atom or .json) and /feeds/sources.opml";

/** The route of a path under /feeds, or null for other paths. Throws FeedHttpError for a path or query it refuses. */
export function parseRoute(url: URL, config: Config): Route | null {
  const { pathname } = url;
  if (pathname !== FEEDS_PREFIX && !pathname.startsWith(`${FEEDS_PREFIX}/`)) return null;
  const parts = pathname.slice(FEEDS_PREFIX.length + 1).split("/");
  const notFound = () => new FeedHttpError(404, `Not found: ${pathname.slice(0, 200)}; ${ROUTES_HELP}.`);

  if (parts.length === 1) {
    if (parts[0] === "sources.opml") return { kind: "opml" };
    if (parts[0] !== "river" && !parts[0]!.startsWith("river.")) throw notFound();
    const { format } = splitFormat(parts[0]!, notFound);
    return { kind: "river", format, params: readParams(url.searchParams, config, "river") };
  }
  if (parts.length === 2 && ["threads", "forums", "sources", "q"].includes(parts[0]!)) {
    const kind = parts[0] as ListKind | "q";
    const { name, format } = splitFormat(parts[1]!, notFound);
    if (name === "") throw notFound();
    if (kind === "q") {
      return { kind, id: name, format, params: readParams(url.searchParams, config, "q"), search: url.searchParams };
    }
    return { kind, id: name, format, params: readParams(url.searchParams, config, kind) };
  }
  throw notFound();
}

function splitFormat(segment: string, notFound: () => FeedHttpError): { name: string; format: FeedFormat } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw notFound();
  }
  const dot = decoded.lastIndexOf(".");
  const ext = dot < 0 ? "" : decoded.slice(dot + 1);
  if (!(FEED_FORMATS as readonly string[]).includes(ext)) {
    const shown = ext ? `".${ext.slice(0, 20)}"` : "(none)";
    throw new FeedHttpError(404, `Unknown feed format ${shown}: use .rss, .atom or .json.`);
  }
  return { name: decoded.slice(0, dot), format: ext as FeedFormat };
}

function readParams(search: URLSearchParams, config: Config, kind: ListKind | "river" | "q"): FeedParams {
  const { defaultLimit, maxLimit } = config.syndication;
  const rawLimit = search.get("limit");
  let explicitLimit: number | null = null;
  if (rawLimit !== null) {
    if (!/^\d{1,6}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > maxLimit) {
      throw new FeedHttpError(400, `limit must be a whole number from 1 to ${maxLimit}, got "${rawLimit.slice(0, 40)}".`);
    }
    explicitLimit = Number(rawLimit);
  }
  const only = (name: string, allowed: boolean, where: string) => {
    if (!allowed && search.has(name)) throw new FeedHttpError(400, `"${name}" applies to ${where} only.`);
  };
  const after = kind === "q" ? null : search.get("after");
  if (after !== null && (after.length === 0 || after.length > 1024)) {
    throw new FeedHttpError(400, "after must be the cursor from a feed's next link.");
  }
  let includeCitations = false;
  if (kind !== "q") {
    only("include", kind === "threads", "thread feeds");
    only("sources", kind === "river", "the river");
    only("forums", kind === "river", "the river");
    only("category", kind === "river", "the river");
    const include = search.get("include");
    if (include !== null) {
      if (include !== "citations") throw new FeedHttpError(400, `include must be "citations", got "${include.slice(0, 40)}".`);
      includeCitations = true;
    }
  }
  return {
    limit: explicitLimit ?? defaultLimit,
    explicitLimit,
    after,
    includeCitations,
    sources: kind === "river" ? list(search, "sources") : [],
    forums: kind === "river" ? list(search, "forums") : [],
    category: kind === "river" ? search.get("category")?.trim() || null : null,
    extra: [],
  };
}

/** `?x=a,b&x=c` → [a, b, c], deduplicated and sorted (one canonical URL per filter). */
function list(search: URLSearchParams, name: string): string[] {
  const values = search.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (values.length > 100) throw new FeedHttpError(400, `${name} takes at most 100 values.`);
  return [...new Set(values)].sort();
}

/** The query a feed page is identified by, in a fixed order: its self link and part of its ETag. */
export function canonicalQuery(params: FeedParams, after: string | null = params.after): URLSearchParams {
  const query = new URLSearchParams(params.extra);
  if (params.sources.length) query.set("sources", params.sources.join(","));
  if (params.forums.length) query.set("forums", params.forums.join(","));
  if (params.category !== null) query.set("category", params.category);
  if (params.includeCitations) query.set("include", "citations");
  if (params.explicitLimit !== null) query.set("limit", String(params.explicitLimit));
  if (after !== null) query.set("after", after);
  return query;
}
