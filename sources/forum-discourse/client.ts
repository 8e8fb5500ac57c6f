import type Keyv from "keyv";
import type { z } from "zod";
import { createCachedFetch } from "../../src/cache/cached-fetch.js";
import { SourceUnavailableError } from "../../src/model/errors.js";
import type { ForumHealth } from "../../src/forums/health.js";
import type { Logger } from "../../src/logger.js";
import { decodeText, FetchError } from "../../src/net/index.js";
import type { Fetcher } from "../../src/net/types.js";

/**
 * GETs of one Discourse site's JSON API: through the gateway's guarded fetcher (shared per-host budget,
 * backoff and breaker), cached in keyv for a short TTL through src/cache/cached-fetch.ts (one request per
 * path at a time in this process),
 * every answer validated against its schema. Failures reject with SourceUnavailableError naming the source;
 * a 404 resolves to null (the object does not exist), and so does a 403 on one resource (a private post, a
 * hidden profile, a topic of a staff category): it says nothing about the site, so it counts as an answer
 * for the health and is cached like a 404. Only a 403 on a site-wide list (SITE_WIDE) is a failure: the
 * site is closed to the gateway (login required, a wrong API key). Each upstream answer is reported to the health.
 */
export interface DiscourseClient {
  /** `fetched` is true when the answer came from upstream just now (not from the cache). */
  get<S extends z.ZodType>(path: string, schema: S, ttlMs?: number): Promise<{ data: z.infer<S>; fetched: boolean } | null>;
}

export interface DiscourseClientOptions {
  sourceId: string;
  /** Site root without a trailing slash, e.g. https://meta.discourse.org */
  baseUrl: string;
  apiKey?: string | undefined;
  apiUsername?: string | undefined;
  ttlMs: number;
  /** A 429/503 whose Retry-After is at most this long is waited out and retried once; a longer one fails. */
  maxRetryWaitMs: number;
  fetcher: Fetcher;
  keyv: Keyv;
  health: ForumHealth;
  logger: Logger;
}

const NOT_FOUND = Symbol("not found");
type CachedAnswer = { data: unknown } | { missing: true };

/** Paths every visitor of an open site may read: a 403 there means the site, not one resource, is closed. */
const SITE_WIDE = /^\/(categories|latest)\.json(\?|$)/;

export function createDiscourseClient(options: DiscourseClientOptions): DiscourseClient {
  const { sourceId, fetcher, keyv, health } = options;
  // TTL, negative cache (a 404 is kept as { missing: true }) and in-flight sharing; no stale window (Discourse
  // answers are short-lived, cacheTtlSeconds).
  const cache = createCachedFetch<unknown, CachedAnswer>({
    keyv,
    logger: options.logger,
    encode: (value) => ({ entry: value === NOT_FOUND ? { missing: true } : { data: value }, ttlMs: options.ttlMs }),
    decode: (entry) => ({ value: "missing" in entry ? NOT_FOUND : entry.data, stale: false }),
  });
  const headers: Record<string, string> = {};
  if (options.apiKey) headers["Api-Key"] = options.apiKey;
  if (options.apiUsername) headers["Api-Username"] = options.apiUsername;
  const unavailable = (message: string) => new SourceUnavailableError(sourceId, message);

  async function fetchOnce(url: string) {
    const request = { url, accept: "application/json", ...(Object.keys(headers).length ? { headers } : {}) };
    try {
      return await fetcher.fetch(request);
    } catch (err) {
      // A 429 (or the host backoff it set for the requests queued behind it) with a short Retry-After is
      // waited out once; anything longer fails now, since a GraphQL request cannot wait minutes.
      const waitMs = err instanceof FetchError && retryable(err) ? err.retryAfterMs : undefined;
      if (waitMs === undefined || waitMs > options.maxRetryWaitMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, waitMs + 50));
      return fetcher.fetch(request);
    }
  }

  async function load(path: string, schema: z.ZodType): Promise<unknown> {
    const url = `${options.baseUrl}${path}`;
    let response;
    try {
      response = await fetchOnce(url);
    } catch (err) {
      const missing = err instanceof FetchError && err.code === "HTTP_STATUS" && (err.status === 404 || err.status === 410 || (err.status === 403 && !SITE_WIDE.test(path)));
      if (missing) {
        await health.success();
        return NOT_FOUND;
      }
      const reason = err instanceof FetchError ? describe(err, options.maxRetryWaitMs) : `fetching ${url} failed`;
      if (!(err instanceof FetchError)) options.logger.error({ err, source: sourceId, url }, "unexpected error from the fetcher");
      await health.failure(reason);
      throw unavailable(reason);
    }
    let json: unknown;
    try {
      json = JSON.parse(decodeText(response.bytes, response.charset, "json"));
    } catch {
      const reason = `${url} did not answer with JSON (got ${response.contentType ?? "no content type"})`;
      await health.failure(reason);
      throw unavailable(reason);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const reason = `${url} answered JSON of an unexpected shape (${issue ? `${issue.path.join(".") || "root"}: ${issue.message}` : "invalid"})`;
      await health.failure(reason);
      throw unavailable(reason);
    }
    await health.success();
    return parsed.data;
  }

  return {
    async get<S extends z.ZodType>(path: string, schema: S, ttlMs = options.ttlMs) {
      const encode = (value: unknown) => ({ entry: value === NOT_FOUND ? { missing: true as const } : { data: value }, ttlMs });
      const { value, fetched } = await cache.get(`forum:${sourceId}:http:${path}`, () => load(path, schema), encode);
      return value === NOT_FOUND ? null : { data: value as z.infer<S>, fetched };
    },
  };
}

function retryable(err: FetchError): boolean {
  if (err.code === "HOST_BACKOFF") return true;
  return err.code === "HTTP_STATUS" && (err.status === 429 || err.status === 503);
}

function describe(err: FetchError, maxRetryWaitMs: number): string {
  if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryWaitMs && retryable(err)) {
    const seconds = Math.ceil(err.retryAfterMs / 1000);
    return `${err.message}; the forum asked to wait ${seconds} s, longer than the ${Math.round(maxRetryWaitMs / 1000)} s a request waits (maxRetryWaitSeconds)`;
  }
  return err.message;
}
