import type { Logger } from "../src/logger.js";
import { FetchError } from "../src/net/index.js";
import type { Fetcher } from "../src/net/types.js";
import type { WorkerPool } from "../src/workers/pool.js";
import type { ParsedFeed } from "../src/model/news.js";

/**
 * The feed poll step every polled adapter shares (sources/rss for news feeds, sources/forum-feed for forum
 * feeds): a conditional GET with the stored validators → the parse worker → an outcome. Adapters say what a
 * parsed feed, a 304 and a failure mean for their store and health; the step does the I/O and sorts errors.
 */
export type PollOutcome =
  | { kind: "stored"; added: number; updated: number; unchanged: number; warnings: string[] }
  | { kind: "not-modified" }
  | { kind: "failed"; error: string; retryAfterMs?: number };

/** Message to the parse worker. */
export interface FeedParseInput {
  bytes: Uint8Array;
  contentType: string | null;
  charset: string | null;
  /** The address the bytes were read from, after redirects: relative links resolve against it. */
  url?: string | null;
  /** Render each item's summary in the worker too (ParsedItem.summaryRendered): news feeds store it. */
  renderSummaries?: boolean;
}
export type FeedParserPool = WorkerPool<FeedParseInput, ParsedFeed>;

/** HTTP validators for a conditional GET (ETag / Last-Modified), as the last answer gave them. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** Feed bytes as fetched (or pushed, or bundled), before parsing. */
export interface FeedBody {
  bytes: Buffer;
  contentType: string | null;
  charset: string | null;
  /** The address the bytes were read from, after redirects (null for a pushed or bundled document). */
  url?: string | null;
}

export interface PollHandlers {
  /** A 304: the feed is as last stored. */
  notModified(): Promise<PollOutcome>;
  /** New bytes and their validators: parse (parseFeed) and store them. */
  fetched(body: FeedBody, validators: Validators): Promise<PollOutcome>;
  /** The fetch failed, or storing threw: `reason` is a sentence for an admin. */
  failed(reason: string, retryAfterMs?: number): Promise<PollOutcome>;
  /** The sentence for a fetch error (default: its message). */
  describe?(err: FetchError): string;
}

/**
 * One poll. Never throws: a FetchError is `failed` with its description (and Retry-After); anything else —
 * including an error thrown while storing — is logged and `failed` with a sentence pointing at the log.
 */
export async function pollFeed(fetcher: Fetcher, url: string, validators: Validators, log: Logger, handlers: PollHandlers): Promise<PollOutcome> {
  try {
    const response = await fetcher.fetch({ url, etag: validators.etag, lastModified: validators.lastModified });
    if (response.status === 304) return await handlers.notModified();
    return await handlers.fetched(response, { etag: response.etag, lastModified: response.lastModified });
  } catch (err) {
    if (err instanceof FetchError) return handlers.failed(handlers.describe ? handlers.describe(err) : err.message, err.retryAfterMs);
    log.error({ err, url }, "unexpected error while polling");
    return handlers.failed("internal error while polling (see the gateway log)");
  }
}

/** Parses off the main thread. The bytes are copied, since they are transferred to the worker. */
export function parseFeed(parser: FeedParserPool, body: FeedBody, options: { renderSummaries?: boolean } = {}): Promise<ParsedFeed> {
  const copy = new Uint8Array(body.bytes);
  const input: FeedParseInput = { bytes: copy, contentType: body.contentType, charset: body.charset, url: body.url ?? null };
  if (options.renderSummaries) input.renderSummaries = true;
  return parser.run(input, [copy.buffer as ArrayBuffer]);
}
