import { readFile } from "node:fs/promises";
import type { ArticleStore } from "../../src/articles/store.js";
import type { FetchError } from "../../src/net/index.js";
import { fromRoot } from "../../src/paths.js";
import { workerFile } from "../../src/workers/pool.js";
import { lendRenders, type RenderedHtml } from "../../src/html/index.js";
import { afterFailure, afterSuccess, whenText } from "../../src/model/health-transitions.js";
import type { AdapterDeps } from "../deps.js";
import { parseFeed, pollFeed, type FeedBody, type FeedParserPool, type PollOutcome, type Validators } from "../poll.js";
import { emptyHealth, type FeedSourceConfig, type ParsedFeed, type SourceHealthRecord } from "../../src/model/news.js";

/**
 * The rss adapter: RSS 0.9x/1.0/2.0, Atom and JSON Feed sources. It fetches through src/net (conditional
 * GET), parses off the main thread (parse-worker.ts), and stores through src/articles. It never talks HTTP
 * itself, never decides caching and never knows GraphQL.
 */
export interface FeedSource {
  readonly config: FeedSourceConfig;
  /** Fetches and stores the feed. Never throws: the outcome is also written to the source's health. */
  poll(): Promise<PollOutcome>;
  /** Parses and stores bytes obtained some other way (the bundled demo feeds); the same path as poll(). */
  ingest(bytes: Buffer, contentType: string | null, charset: string | null): Promise<PollOutcome>;
}

export type { FeedParseInput, FeedParserPool, PollOutcome } from "../poll.js";

export const PARSE_WORKER_FILE = workerFile(import.meta.url, "./parse-worker.js");

/** The common adapter deps, plus the article store it writes and the parse pool (keyv is unused: the store has it). */
export type RssSourceDeps = AdapterDeps & {
  store: ArticleStore;
  parser: FeedParserPool;
};

// Over 80 lines (85): store (parse → upsert → health), fail and pollOnce share the source's health and logger;
// the I/O is the shared poll step (sources/poll.ts), so what is left is this adapter's health bookkeeping.
export function createRssSource(config: FeedSourceConfig, deps: RssSourceDeps): FeedSource {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ source: config.id });

  async function currentHealth(): Promise<SourceHealthRecord> {
    const [stored] = await deps.store.health([config.id]);
    return stored ?? emptyHealth();
  }

  async function store(body: FeedBody, validators: Validators, polled = true): Promise<PollOutcome> {
    const attemptAt = now();
    let feed: ParsedFeed;
    try {
      feed = await parseFeed(deps.parser, { ...body, url: body.url ?? config.url ?? null }, { renderSummaries: true });
    } catch (err) {
      // A pushed document that does not parse says nothing about polling the feed: its health is left alone.
      if (!polled) {
        log.warn({ reason: (err as Error).message }, "pushed feed document not stored");
        return { kind: "failed", error: (err as Error).message };
      }
      return fail(attemptAt, `${(err as Error).message}`);
    }
    // Only a polled document speaks for the feed's links: a pushed one may be partial (WebSub §7).
    if (polled) deps.events?.feedParsed?.(config.id, feed);
    const result = await lendRenders(summaryRenders(feed), () => deps.store.upsert(config.id, feed.items, attemptAt));
    const warnings = [...feed.warnings, ...feed.items.flatMap((i) => i.warnings)];
    if (result.duplicates) warnings.push(`${result.duplicates} items repeated an earlier item's id or link`);
    const itemCount = await deps.store.count({ sourceIds: [config.id] });
    // lastAttemptAt is the last *poll*: the cluster poller reads it to know the feed was polled recently, and a
    // hub pushing more often than the poll interval must not stop the polls (the fallback for what a hub misses).
    const lastAttemptAt = polled ? attemptAt.toISOString() : ((await currentHealth()).lastAttemptAt ?? null);
    await deps.store.setHealth(config.id, {
      status: "OK", lastAttemptAt, lastSuccessAt: attemptAt.toISOString(),
      lastError: warnings.length ? `stored with warnings: ${warnings.slice(0, 3).join("; ")}` : null,
      consecutiveFailures: 0, itemCount, etag: validators.etag, lastModified: validators.lastModified,
      format: feed.format,
    });
    log.info({ ...result, format: feed.format, warnings: warnings.length }, "feed stored");
    return { kind: "stored", added: result.added, updated: result.updated, unchanged: result.unchanged, warnings };
  }

  async function fail(attemptAt: Date, reason: string, retryAfterMs?: number): Promise<PollOutcome> {
    const health = await currentHealth();
    const kept = await deps.store.count({ sourceIds: [config.id] });
    const next = { ...afterFailure(health, attemptAt, `${reason} ${whenText(attemptAt)}; ${kept} stored articles kept`), itemCount: kept };
    await deps.store.setHealth(config.id, next);
    log.warn({ reason, failures: next.consecutiveFailures }, "feed poll failed");
    return { kind: "failed", error: reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  const observed = (outcome: PollOutcome): PollOutcome => {
    deps.events?.polled?.(config.id, outcome.kind);
    return outcome;
  };

  return {
    config,
    async poll() {
      return observed(await pollOnce());
    },
    async ingest(bytes, contentType, charset) {
      // Bytes from elsewhere (a WebSub push) say nothing about the feed URL's validators: keep the poll's.
      const { etag, lastModified } = await currentHealth();
      return observed(await store({ bytes, contentType, charset }, { etag, lastModified }, false));
    },
  };

  async function pollOnce(): Promise<PollOutcome> {
    if (config.bundledFile) {
      const bytes = await readFile(fromRoot(config.bundledFile));
      return store({ bytes, contentType: null, charset: null }, { etag: null, lastModified: null });
    }
    const health = await currentHealth();
    const attemptAt = now();
    return pollFeed(deps.fetcher, config.url, health, log, {
      notModified: async () => {
        await deps.store.setHealth(config.id, afterSuccess(health, attemptAt));
        return { kind: "not-modified" };
      },
      fetched: (body, validators) => store(body, validators),
      failed: (reason, retryAfterMs) => fail(attemptAt, reason, retryAfterMs),
      describe: describeFetchError,
    });
  }
}


function describeFetchError(err: FetchError): string {
  // src/net names its own option; the setting an admin can change for feeds is news.maxFeedBytes.
  let message = err.code === "TOO_LARGE" ? err.message.replace("(net.maxBytes)", "(news.maxFeedBytes)") : err.message;
  if (err.code === "HTTP_STATUS" && err.retryAfterMs !== undefined) {
    message += `; the server asked to wait ${waitText(err.retryAfterMs)} before trying again`;
  }
  return message;
}

function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** The summaries the parse worker rendered, by the (bounded) HTML the store will render: see src/html lendRenders. */
function summaryRenders(feed: ParsedFeed): Array<[string, RenderedHtml]> {
  const out: Array<[string, RenderedHtml]> = [];
  for (const item of feed.items) {
    const r = item.summaryRendered;
    if (r && item.summaryHtml !== null) out.push([r.bounded ?? item.summaryHtml, { html: r.html, text: r.text }]);
  }
  return out;
}
