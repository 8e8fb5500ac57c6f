import type Keyv from "keyv";
import type { Logger } from "../../src/logger.js";
import { decodeText, FetchError } from "../../src/net/index.js";
import type { Fetcher } from "../../src/net/types.js";
import { canonicalUrl } from "../../src/urls/index.js";
import { extractPageMetadata, type PageMetadata } from "./extract.js";

/**
 * The url adapter: turns a cited link that no feed carries into an Article by fetching the page (through
 * src/net, like every outbound request) and reading its metadata (extract.ts). Results are cached in keyv
 * with a TTL, served stale while a refresh runs in the background, and failures are cached too (negative
 * cache) so a dead link is not hammered. Concurrent unfurls of one URL in this process share one fetch.
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
  mergePage(key: string, page: PageMetadata & { url: string }, now: Date): Promise<void>;
}

export interface UrlSource {
  unfurl(url: string): Promise<UnfurlResult>;
  /** Upstream fetches started since creation (tests and metrics). */
  readonly fetchCount: number;
  /** Waits for background refreshes (shutdown, tests). */
  settle(): Promise<void>;
}

export interface UrlSourceOptions {
  fetcher: Fetcher;
  articles: PageArticleWriter;
  keyv: Keyv;
  logger: Logger;
  ttlMs: number;
  staleMs: number;
  negativeTtlMs: number;
  maxBytes: number;
  now?: () => Date;
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
  const inFlight = new Map<string, Promise<UnfurlResult>>();
  const refreshing = new Map<string, Promise<unknown>>();
  let fetchCount = 0;

  async function fetchAndStore(url: string): Promise<UnfurlResult> {
    fetchCount += 1;
    const at = now();
    let entry: CacheEntry;
    try {
      const response = await options.fetcher.fetch({
        url,
        accept: ACCEPT,
        maxBytes: options.maxBytes,
        // Any client can ask for any URL: its answer must not put a news source's host into backoff.
        clientChosen: true,
        // A PDF or an image is described by its headers; its body is never downloaded.
        wantBody: (type) => type === null || HTML_TYPES.has(type),
      });
      const meta = response.bodySkipped
        ? describeFile(response.url, response.contentType)
        : extractPageMetadata(decodeText(response.bytes, response.charset, "html"), response.url);
      // A page may only claim a canonical URL on its own site: otherwise any page could write itself into
      // another outlet's Article.
      const declared = meta.canonicalUrl && sameSite(meta.canonicalUrl, response.url) ? meta.canonicalUrl : null;
      const key = declared ?? canonicalUrl(response.url) ?? url;
      await options.articles.mergePage(key, { ...meta, url: response.url }, at);
      entry = { status: "RESOLVED", articleKey: key, error: null, fetchedAt: at.toISOString(), freshUntil: at.getTime() + options.ttlMs };
    } catch (error) {
      const blocked = error instanceof FetchError && (error.code === "BLOCKED_ADDRESS" || error.code === "BAD_URL");
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof FetchError)) options.logger.error({ err: error, url }, "unfurl failed unexpectedly");
      entry = {
        status: blocked ? "BLOCKED" : "FAILED", articleKey: null, error: message,
        fetchedAt: at.toISOString(), freshUntil: at.getTime() + options.negativeTtlMs,
      };
    }
    options.onFetch?.(entry.status);
    const ttl = entry.status === "RESOLVED" ? options.ttlMs + options.staleMs : options.negativeTtlMs;
    await options.keyv.set(`u:${url}`, entry, ttl);
    return { status: entry.status, articleKey: entry.articleKey, error: entry.error };
  }

  function refreshInBackground(url: string): void {
    if (refreshing.has(url)) return;
    const task = fetchAndStore(url)
      .catch((err: unknown) => options.logger.warn({ err, url }, "background unfurl refresh failed"))
      .finally(() => refreshing.delete(url));
    refreshing.set(url, task);
  }

  async function lookup(url: string): Promise<UnfurlResult> {
    const cached = await options.keyv.get<CacheEntry>(`u:${url}`);
    if (cached) {
      // Stale but usable: answer now, refresh behind the scenes (stale-while-revalidate).
      const stale = cached.status === "RESOLVED" && cached.freshUntil <= now().getTime();
      options.onCache?.(stale ? "stale" : "hit");
      if (stale) refreshInBackground(url);
      return { status: cached.status, articleKey: cached.articleKey, error: cached.error };
    }
    options.onCache?.("miss");
    return fetchAndStore(url);
  }

  return {
    unfurl(url) {
      const existing = inFlight.get(url);
      if (existing) return existing;
      // Registered synchronously, before any await, so concurrent callers always find it.
      const task = lookup(url).finally(() => inFlight.delete(url));
      inFlight.set(url, task);
      return task;
    },
    get fetchCount() {
      return fetchCount;
    },
    async settle() {
      await Promise.allSettled([...inFlight.values(), ...refreshing.values()]);
    },
  };
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
