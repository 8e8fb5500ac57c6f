import type { FeedSourceConfig } from "../model/news.js";
import { createRssSource, type FeedParserPool, type FeedSource, type PollOutcome } from "../../sources/rss/index.js";
import type { ArticleStore } from "../articles/store.js";
import type { Config } from "../config/index.js";
import type { Fetcher } from "../net/types.js";
import type { AdapterDeps } from "../../sources/deps.js";
import { createPoller, type Poller } from "./poller.js";
import { storedSourceExists } from "./source-store.js";
import type { Lease } from "../cluster/types.js";
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
  parser: FeedParserPool;
  /** The url adapter, or null when unfurl.enabled is off. */
  unfurler: UrlSource | null;
  /** Every feed source, configured and demo, by id (Query.sources lists them in this order). */
  sources: ReadonlyMap<string, FeedSource>;
  /** Ingests the demo feeds not yet stored; awaited before the gateway listens so the first query sees them. */
  ingestDemoFeeds(): Promise<void>;
  /** Starts polling (no-op when news.poll is off). */
  start(): void;
  refresh(sourceId: string): Promise<PollOutcome | undefined>;
  /** Adds (or replaces) a source at runtime: stored sources (src/news/source-sync.ts). Polled on its schedule. */
  addSource(config: FeedSourceConfig): void;
  /** Removes a source added at runtime from `sources` and the schedule (its stored articles are left alone). */
  removeSource(sourceId: string): void;
  /** Stops polling and lets running unfurls finish (the parse pool is src/app's to close). */
  stop(): Promise<void>;
}

export interface NewsObserver {
  upstream(source: string, outcome: string): void;
  cache(cache: string, result: string): void;
}

/** The common adapter deps (events: feedParsed, polled) plus what the feed side needs. */
export interface NewsDeps extends AdapterDeps {
  /** The article store (src/app builds it with its search and live hooks). */
  store: ArticleStore;
  /** The process's one parse pool (src/app/net.ts). */
  parser: FeedParserPool;
  /** Filled here with every feed source, configured and demo, by id (src/app creates it so others can read it). */
  sources: Map<string, FeedSource>;
  extraSources?: FeedSourceConfig[];
  /** The unfurl adapter's fetch outcomes and cache lookups (metrics). */
  observer?: NewsObserver;
  /** Set when several gateways share the store: feed polls are coordinated through these leases. */
  cluster?: { lease: Lease; leaseTtlMs: number } | null;
}

export function createNews(config: Config, deps: NewsDeps): News {
  const { store, fetcher, parser, sources } = deps;
  addFeedSources(config, deps);
  const unfurler = config.unfurl.enabled ? createUnfurler(config, deps) : null;
  const polled = [...sources.values()].filter((s) => !s.config.bundledFile);
  const cluster = deps.cluster
    ? {
        lease: deps.cluster.lease,
        busyRetryMs: deps.cluster.leaseTtlMs,
        health: async (id: string) => (await store.health([id]))[0] ?? null,
        // A stored source's row is in the same database as the articles (src/news/source-store.ts).
        stillPolled: async (source: FeedSource) => source.config.origin !== "STORED" || (await storedSourceExists(store.db, source.config.id)),
      }
    : undefined;
  const poller: Poller = createPoller(polled, { maxBackoffSeconds: config.news.maxBackoffSeconds, logger: deps.logger, ...(cluster ? { cluster } : {}) });

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
    addSource(c) {
      const source = createRssSource(c, deps);
      sources.set(c.id, source);
      poller.addSource(source);
    },
    removeSource(sourceId) {
      poller.removeSource(sourceId);
      sources.delete(sourceId);
    },
    async stop() {
      await poller.stop();
      await unfurler?.settle();
    },
  };
}

/** Configured, imported (OPML) and demo feeds, in that order; a repeated id keeps the first. */
function addFeedSources(config: Config, deps: NewsDeps): void {
  const configs: FeedSourceConfig[] = [...config.sources, ...(deps.extraSources ?? []), ...(config.news.demoFeeds ? DEMO_SOURCES : [])];
  for (const c of configs) {
    if (deps.sources.has(c.id)) {
      deps.logger.warn({ source: c.id }, "a source with this id is already configured; the later one is ignored");
      continue;
    }
    deps.sources.set(c.id, createRssSource(c, deps));
  }
}

function createUnfurler(config: Config, deps: NewsDeps): UrlSource {
  return createUrlSource({
    fetcher: deps.fetcher, articles: deps.store, keyv: deps.keyv, logger: deps.logger,
    ttlMs: config.unfurl.ttlSeconds * 1000, staleMs: config.unfurl.staleSeconds * 1000,
    negativeTtlMs: config.unfurl.negativeTtlSeconds * 1000, maxBytes: config.unfurl.maxBytes,
    onFetch: (outcome) => deps.observer?.upstream("unfurl", outcome.toLowerCase()),
    onCache: (result) => deps.observer?.cache("unfurl", result),
  });
}
