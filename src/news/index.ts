import type { LookupFunction } from "node:net";
import type Keyv from "keyv";
import type { ArticleRecord, FeedSourceConfig, ParsedFeed } from "../model/news.js";
import { createRssSource, PARSE_WORKER_FILE, type FeedParseInput, type FeedSource, type PollOutcome } from "../../sources/rss/index.js";
import { ArticleStore, type ArticleStoreHooks } from "../articles/store.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../logger.js";
import { createFetcher } from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import { createWorkerPool, type WorkerPool } from "../workers/pool.js";
import { createPoller, type Poller } from "./poller.js";
import type { Lease } from "../cluster/types.js";
import type { Exclusive } from "../cluster/lock.js";
import { createUrlSource, type UrlSource } from "../../sources/url/index.js";

/** The bundled demo feeds: the outlets the demo forum cites, ingested on first start through the rss adapter. */
export const DEMO_SOURCES: FeedSourceConfig[] = [
  { id: "meridian", name: "Meridian News", kind: "RSS", url: "https://www.meridian-news.example/rss/world.xml", homepage: "https://www.meridian-news.example/", bundledFile: "sources/rss/demo/meridian.rss.xml" },
  { id: "harbor", name: "Harbor Times", kind: "ATOM", url: "https://www.harbor-times.example/feeds/latest.atom", homepage: "https://www.harbor-times.example/", bundledFile: "sources/rss/demo/harbor.atom.xml" },
  { id: "ledger", name: "Ledger Daily", kind: "JSON_FEED", url: "https://ledger-daily.example/feeds/markets.json", homepage: "https://ledger-daily.example/", bundledFile: "sources/rss/demo/ledger.feed.json" },
  { id: "northwind", name: "Northwind Herald", kind: "RSS", url: "https://northwind-herald.example/feeds/stories.rdf", homepage: "https://northwind-herald.example/", bundledFile: "sources/rss/demo/northwind.rdf.xml" },
].map((s) => ({ ...s, kind: s.kind as FeedSourceConfig["kind"], pollIntervalSeconds: 24 * 3600, enabled: true }));

export interface News {
  store: ArticleStore;
  fetcher: Fetcher;
  parser: WorkerPool<FeedParseInput, ParsedFeed>;
  /** The url adapter, or null when unfurl.enabled is off. */
  unfurler: UrlSource | null;
  /** Every feed source, configured and demo, by id (Query.sources lists them in this order). */
  sources: ReadonlyMap<string, FeedSource>;
  /** Ingests the demo feeds not yet stored; awaited before the gateway listens so the first query sees them. */
  ingestDemoFeeds(): Promise<void>;
  /** Starts polling (no-op when news.poll is off). */
  start(): void;
  refresh(sourceId: string): Promise<PollOutcome | undefined>;
  stop(): Promise<void>;
}

export interface NewsObserver {
  upstream(source: string, outcome: string): void;
  cache(cache: string, result: string): void;
}

export interface NewsOptions {
  extraSources?: FeedSourceConfig[];
  observer?: NewsObserver;
  /** Test hook: a DNS resolver for the fetcher. */
  lookup?: LookupFunction;
  /** Told every article the store writes (the search index, src/search). */
  onArticlesChanged?: (records: ArticleRecord[]) => void;
  /** Serializes article writes (src/cache: in-process, or a Redis lease when the store is shared). */
  exclusive?: Exclusive;
  /** Set when several gateways share the store: feed polls are coordinated through these leases. */
  cluster?: { lease: Lease; leaseTtlMs: number } | null;
  /** New articles and health changes (subscription events, src/live). */
  storeHooks?: ArticleStoreHooks;
  /** Told every feed a source parsed, with the source id (WebSub hub discovery, src/live/websub). */
  onFeedParsed?: (sourceId: string, feed: ParsedFeed) => void;
}

export function createNews(config: Config, keyv: Keyv, logger: Logger, options: NewsOptions = {}): News {
  const extraSources = options.extraSources ?? [];
  const store = new ArticleStore(keyv, options.onArticlesChanged, options.exclusive, options.storeHooks);
  const fetcher = createFetcher({
    userAgent: config.net.userAgent,
    timeoutMs: config.net.timeoutMs,
    connectTimeoutMs: config.net.connectTimeoutMs,
    maxBytes: config.news.maxFeedBytes,
    maxRedirects: config.net.maxRedirects,
    allowPrivateNetworks: config.net.allowPrivateNetworks,
    allowHosts: config.net.allowHosts,
    allowAddresses: config.net.allowAddresses,
    perHostConcurrency: config.net.perHostConcurrency,
    globalConcurrency: config.net.globalConcurrency,
    hostBackoffMs: config.net.hostBackoffSeconds * 1000,
    breakerThreshold: config.net.breakerThreshold,
    breakerOpenMs: config.net.breakerOpenSeconds * 1000,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const parser = createWorkerPool<FeedParseInput, ParsedFeed>(PARSE_WORKER_FILE, {
    size: config.news.parseWorkers,
    taskTimeoutMs: config.news.parseTimeoutMs,
  });
  const configs: FeedSourceConfig[] = [...config.sources, ...extraSources, ...(config.news.demoFeeds ? DEMO_SOURCES : [])];
  const sources = new Map<string, FeedSource>();
  for (const c of configs) {
    if (sources.has(c.id)) {
      logger.warn({ source: c.id }, "a source with this id is already configured; the later one is ignored");
      continue;
    }
    sources.set(c.id, createRssSource(c, {
      fetcher, store, parser, logger, onPoll: (id, outcome) => options.observer?.upstream(id, outcome),
      ...(options.onFeedParsed ? { onFeedParsed: options.onFeedParsed } : {}),
    }));
  }
  const unfurler = config.unfurl.enabled
    ? createUrlSource({
        fetcher, articles: store, keyv, logger,
        ttlMs: config.unfurl.ttlSeconds * 1000, staleMs: config.unfurl.staleSeconds * 1000,
        negativeTtlMs: config.unfurl.negativeTtlSeconds * 1000, maxBytes: config.unfurl.maxBytes,
        onFetch: (outcome) => options.observer?.upstream("unfurl", outcome.toLowerCase()),
        onCache: (result) => options.observer?.cache("unfurl", result),
      })
    : null;
  const polled = [...sources.values()].filter((s) => !s.config.bundledFile);
  const cluster = options.cluster
    ? {
        lease: options.cluster.lease,
        busyRetryMs: options.cluster.leaseTtlMs,
        health: async (id: string) => (await store.health([id]))[0] ?? null,
      }
    : undefined;
  const poller: Poller = createPoller(polled, { maxBackoffSeconds: config.news.maxBackoffSeconds, logger, ...(cluster ? { cluster } : {}) });

  return {
    store,
    fetcher,
    parser,
    unfurler,
    sources,
    async ingestDemoFeeds() {
      const demo = [...sources.values()].filter((s) => s.config.bundledFile);
      const health = await store.health(demo.map((s) => s.config.id));
      await Promise.all(demo.filter((_, i) => health[i]?.lastSuccessAt == null).map((s) => s.poll()));
    },
    start() {
      if (config.news.poll) poller.start();
    },
    async refresh(sourceId) {
      const source = sources.get(sourceId);
      if (!source) return undefined;
      // With polling off, a manual refresh must not start the schedule: poll once, outside the poller.
      return source.config.bundledFile || !config.news.poll ? source.poll() : poller.pollNow(sourceId);
    },
    async stop() {
      await poller.stop();
      await unfurler?.settle();
      await parser.close();
    },
  };
}
