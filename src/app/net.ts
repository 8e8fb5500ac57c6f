import type { LookupFunction } from "node:net";
import os from "node:os";
import type { ParsedFeed } from "../model/news.js";
import { PARSE_WORKER_FILE, type FeedParseInput, type FeedParserPool } from "../../sources/rss/index.js";
import type { Config } from "../config/index.js";
import { createFetcher } from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import { createWorkerPool } from "../workers/pool.js";

/**
 * The process's one outbound fetcher and its one feed parse pool. Every adapter (feeds, forums, unfurl) and
 * WebSub share them: one per-host budget, backoff and breaker for all outbound traffic.
 */
export interface Outbound {
  fetcher: Fetcher;
  parser: FeedParserPool;
}

export function createOutbound(config: Config, lookup?: LookupFunction): Outbound {
  const fetcher = createFetcher({
    userAgent: config.net.userAgent,
    timeoutMs: config.net.timeoutMs,
    connectTimeoutMs: config.net.connectTimeoutMs,
    // The fetcher's default body cap is the feed cap; the url adapter asks for its own (unfurl.maxBytes) per request.
    maxBytes: config.news.maxFeedBytes,
    maxRedirects: config.net.maxRedirects,
    allowPrivateNetworks: config.net.allowPrivateNetworks,
    allowHosts: config.net.allowHosts,
    allowAddresses: config.net.allowAddresses,
    perHostConcurrency: config.net.perHostConcurrency,
    globalConcurrency: config.net.globalConcurrency,
    clientConcurrency: config.net.clientConcurrency,
    allowPorts: config.net.allowPorts,
    hostBackoffMs: config.net.hostBackoffSeconds * 1000,
    breakerThreshold: config.net.breakerThreshold,
    breakerOpenMs: config.net.breakerOpenSeconds * 1000,
    ...(lookup ? { lookup } : {}),
  });
  const parser = createWorkerPool<FeedParseInput, ParsedFeed>(PARSE_WORKER_FILE, {
    size: config.news.parseWorkers ?? defaultParseWorkers(),
    taskTimeoutMs: config.news.parseTimeoutMs,
  });
  return { fetcher, parser };
}

/**
 * One parse worker per core left over after the main thread, at most 4: parsing (rss-parser) and rendering the
 * summaries (sanitize-html, html-to-text) run there, and the main thread still stores what they return, so more
 * workers than spare cores only make them take turns with it.
 */
export function defaultParseWorkers(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}
