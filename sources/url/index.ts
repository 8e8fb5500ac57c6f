import { createCachedFetch } from "../../src/cache/cached-fetch.js";
import { decodeText, FetchError } from "../../src/net/index.js";
import { canonicalUrl } from "../../src/urls/index.js";
import type { AdapterDeps } from "../deps.js";
import { extractPageMetadata, type PageMetadata } from "./extract.js";

/**
 * The url adapter: turns a cited link that no feed carries into an Article by fetching the page (through
 * src/net, like every outbound request) and reading its metadata (extract.ts). Results go through
 * src/cache/cached-fetch.ts: kept in keyv with a TTL, served stale while a refresh runs in the background,
 * failures cached too (negative cache) so a dead link is not hammered, and concurrent unfurls of one URL in
 * this process share one fetch.
 */
export type UnfurlStatus = "RESOLVED" | "PENDING" | "BLOCKED" | "FAILED";

export interface UnfurlResult {
  status: UnfurlStatus;
  /** Key of the Article the page resolved to (its declared canonical URL), when RESOLVED. */
  articleKey: string | null;
  /** Why it is BLOCKED or FAILED, in words. */
  error: string | null;
}

/** Where unfurled metadata goes: merged into the article store, feed fields kept, provenance recorded. */
export interface PageArticleWriter {
  /** `keepMs`: how long a page no feed carried and no post cited is kept (it expires with the unfurl cache). */
  mergePage(key: string, page: PageMetadata & { url: string }, now: Date, keepMs?: number): Promise<void>;
}

export interface UrlSource {
  unfurl(url: string): Promise<UnfurlResult>;
  /** Upstream fetches started since creation (tests and metrics). */
  readonly fetchCount: number;
  /** Waits for background refreshes (shutdown, tests). */
  settle(): Promise<void>;
}

/** The common adapter deps, plus the article writer and the cache policy (unfurl.* config). */
export interface UrlSourceOptions extends AdapterDeps {
  articles: PageArticleWriter;
  ttlMs: number;
  staleMs: number;
  negativeTtlMs: number;
  maxBytes: number;
  /** Metrics hooks: each fetch's outcome, each cache lookup's result. */
  onFetch?: (outcome: UnfurlStatus) => void;
  onCache?: (result: "hit" | "stale" | "miss") => void;
}

interface CacheEntry extends UnfurlResult {
  fetchedAt: string;
  freshUntil: number;
}

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

export function createUrlSource(options: UrlSourceOptions): UrlSource {
  const now = options.now ?? (() => new Date());
  let fetchCount = 0;
  const cache = createCachedFetch<CacheEntry, CacheEntry>({
    keyv: options.keyv,
    logger: options.logger,
    // A resolved page is kept past its TTL for the stale window; a failure only for the negative TTL.
    encode: (entry) => ({ entry, ttlMs: entry.status === "RESOLVED" ? options.ttlMs + options.staleMs : options.negativeTtlMs }),
    decode: (entry) => ({ value: entry, stale: entry.status === "RESOLVED" && entry.freshUntil <= now().getTime() }),
    ...(options.onCache ? { onCache: options.onCache } : {}),
    refreshFailed: "background unfurl refresh failed",
  });

  async function fetchPage(url: string): Promise<CacheEntry> {
    fetchCount += 1;
    const entry = await unfurlOnce(url, options, now());
    options.onFetch?.(entry.status);
    return entry;
  }

  return {
    async unfurl(url) {
      const { value } = await cache.get(`u:${url}`, () => fetchPage(url));
      return { status: value.status, articleKey: value.articleKey, error: value.error };
    },
    get fetchCount() {
      return fetchCount;
    },
    settle: () => cache.settle(),
  };
}

/** Fetches one page and merges its metadata into the article store; a failure is an entry too (negative cache). */
async function unfurlOnce(url: string, options: UrlSourceOptions, at: Date): Promise<CacheEntry> {
  try {
    const response = await options.fetcher.fetch({
      url,
      accept: ACCEPT,
      maxBytes: options.maxBytes,
      // A PDF or an image is described by its headers; its body is never downloaded.
      // Any client can ask for any URL: its answer must not put a news source's host into backoff.
      clientChosen: true,
      wantBody: (type) => type === null || HTML_TYPES.has(type),
    });
    const meta = response.bodySkipped
      ? describeFile(response.url, response.contentType)
      : extractPageMetadata(decodeText(response.bytes, response.charset, "html"), response.url);
    // A page may only claim a canonical URL on its own site: otherwise any page could write itself into
    // another outlet's Article.
    const declared = meta.canonicalUrl && sameSite(meta.canonicalUrl, response.url) ? meta.canonicalUrl : null;
    const key = declared ?? canonicalUrl(response.url) ?? url;
    await options.articles.mergePage(key, { ...meta, url: response.url }, at, options.ttlMs + options.staleMs);
    return { status: "RESOLVED", articleKey: key, error: null, fetchedAt: at.toISOString(), freshUntil: at.getTime() + options.ttlMs };
  } catch (error) {
    const blocked = error instanceof FetchError && (error.code === "BLOCKED_ADDRESS" || error.code === "BAD_URL");
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof FetchError)) options.logger.error({ err: error, url }, "unfurl failed unexpectedly");
    return {
      status: blocked ? "BLOCKED" : "FAILED", articleKey: null, error: message,
      fetchedAt: at.toISOString(), freshUntil: at.getTime() + options.negativeTtlMs,
    };
  }
}

/** A non-HTML resource (PDF, image…): an Article from what the URL and headers say, nothing parsed. */
function describeFile(url: string, contentType: string | null): PageMetadata {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.split("/").filter(Boolean).pop() ?? "") || parsed.hostname;
  return {
    canonicalUrl: canonicalUrl(url), title: name, summary: contentType ? `${contentType} file` : null, author: null,
    publisher: parsed.hostname, publishedAt: null, modifiedAt: null, imageUrl: null, type: contentType, language: null,
    from: { title: "url", publisher: "url", ...(contentType ? { summary: "content-type", type: "content-type" } : {}) },
  };
}

/** Same host, ignoring `www.`/`amp.`/`m.` prefixes, or one host a subdomain of the other. */
export function sameSite(a: string, b: string): boolean {
  const host = (u: string) => new URL(u).hostname.toLowerCase().replace(/^(www|amp|m)\./, "");
  const [x, y] = [host(a), host(b)];
  return x === y || x.endsWith(`.${y}`) || y.endsWith(`.${x}`);
}
