import http from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import type { ForumSource } from "../../sources/forum.js";
import type { FeedSourceConfig } from "../model/news.js";
import type { AdapterDeps } from "../../sources/deps.js";
import type { FeedSource } from "../../sources/rss/index.js";
import { buildCrosswireSchema } from "../../resolvers/index.js";
import { ArticleStore } from "../articles/store.js";
import type { SqliteKeyvStore } from "../cache/index.js";
import type { Config } from "../config/index.js";
import { ServiceUnavailableError } from "../model/errors.js";
import { createLive, type Live } from "../live/index.js";
import type { LoaderOptions } from "../loaders/index.js";
import type { Logger } from "../logger.js";
import { createNews, type News } from "../news/index.js";
import { createSearchService, type SearchService } from "../search/service.js";
import type { SearchableForum } from "../search/index.js";
import { createApollo, GRAPHQL_PATH, type GatewayApollo } from "../server/apollo.js";
import { createMetrics, type Metrics } from "../server/metrics.js";
import { bumpOn, createResponseCache, type ResponseCache } from "../server/response-cache.js";
import type { ReadinessProbe } from "../cache/readiness.js";
import { createSyndication } from "../syndication/index.js";
import { createTokenVerifier } from "../auth/jwt.js";
import { createForumWrites } from "../../sources/forum-local/writes.js";
import { costBudget as newCostBudget } from "../server/rate-limit.js";
import { contextFactory } from "./context.js";
import { createForumSources, type ForumSources } from "./forums.js";
import { createOutbound, type Outbound } from "./net.js";
import { attachRoutes } from "./routes.js";
import { openStores, type Stores } from "./stores.js";
import { createStoredSources, type StoredSources } from "./stored-sources.js";

/**
 * The composition root: the one place that builds crosswire, in dependency order, and stops it in reverse.
 *
 *   stores (local forum, keyv cache, search index) → the one fetcher and parse pool (src/app/net.ts)
 *   → the event bus (src/live: pub/sub + events; it reads forums and articles at event time)
 *   → search (told of new articles and posts) → the article store (hooks: search, events)
 *   → adapters (feeds: src/news; forums: the registry in src/app/forums.ts) with their pollers
 *   → schema → Apollo (src/server) → one createContext → transports: HTTP routes, WebSocket + WebSub, feeds.
 *
 * Nothing here reads a variable declared after it: the maps of sources are created first and filled by the
 * adapter step, so the event bus and search, built before the adapters, hold the maps themselves.
 */
export interface Gateway {
  readonly httpServer: http.Server;
  readonly forums: ReadonlyMap<string, ForumSource>;
  readonly news: News;
  /** The embedded keyv store (tests count its statements); throws with cache.store "redis". */
  readonly cacheStore: SqliteKeyvStore;
  /** What /readyz checks: one probe per store (another store adds its probe here). */
  readonly readiness: ReadinessProbe[];
  /** Search index and its background indexer (tests wait on `search.whenIdle()`). */
  readonly search: SearchService;
  /** Subscriptions, their events and WebSub (src/live). */
  readonly live: Live;
  /** The response cache (cache.responses), null when off; bump() drops every entry (other change sources call it). */
  readonly responses: ResponseCache | null;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo>;
  /** Graceful stop: refuse new connections, finish in-flight requests, then close stores. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /** Bench and test hook, not a user option. */
  loaderOptions?: LoaderOptions;
  /** Sources from outside the config file (an OPML import). */
  extraSources?: FeedSourceConfig[];
  /** Test hook: DNS resolution for outbound requests. */
  lookup?: LookupFunction;
}

export { GRAPHQL_PATH };

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const stores = await openStores(config, logger);
  const outbound = createOutbound(config, options.lookup);
  const forums = new Map<string, ForumSource>([[stores.local.id, stores.local]]);
  const feeds = new Map<string, FeedSource>();
  // A reader over the article rows and health (it writes nothing, so it needs none of the writer's hooks).
  const articleReader = new ArticleStore(stores.cache.keyv, stores.local.database);
  const live = createLive({ config, logger, forums, articles: articleReader });
  const metrics = createMetrics(() => feedHealthGauges(feeds, articleReader), () => stores.local.database.reads.stats);
  // Response cache (issue 22): every event that changes what a response shows (new posts, articles, health) bumps it.
  const responses = config.cache.responses.enabled
    ? createResponseCache({ keyv: stores.cache.keyv, shared: stores.cache.shared, ...config.cache.responses, logger, observe: (result) => metrics.cache.inc({ cache: "responses", result }) })
    : null;
  if (responses) bumpOn(live.events, responses);
  // The local forum, then each remote forum's post index as src/app/forums.ts adds it.
  const searchable: SearchableForum[] = [stores.local];
  const search = createSearchService({
    index: stores.searchIndex,
    logger,
    forums: searchable,
    sourceName: (slug) => feeds.get(slug)?.config.name,
    postSyncSeconds: config.search.postSyncSeconds,
    // Remote forums announce their new posts themselves (sources/deps.ts events.postsAdded).
    onPostsAdded: (sourceId, posts) => {
      if (sourceId === stores.local.id) live.events.postsAdded(sourceId, posts);
    },
  });
  const articles = new ArticleStore(stores.cache.keyv, stores.local.database, (records) => (responses?.bump(), search.articlesChanged(records)), stores.cache.exclusive, {
    onArticlesAdded: (sourceId, records) => live.events.articlesAdded(sourceId, records),
    onHealthChanged: (sourceId, health) => live.events.healthChanged(sourceId, health),
    onArticlesDeleted: (keys) => (responses?.bump(), search.articlesDeleted(keys)),
  });
  // The article tables (and the one-time copy of a keyv-era store) before anything reads them.
  await articles.open();
  // The reader too (its check of the same migrations), so a gateway's first request does not pay it.
  await articleReader.open();
  const { news, remoteForums } = buildAdapters(options, { stores, outbound, live, metrics, articles, forums, feeds, searchable });
  // Sources and forums added at runtime (issue 21): read before listening, then re-read every storedSources.syncSeconds.
  const storedSources = config.storedSources.enabled
    ? await createStoredSources({ config, logger, database: stores.local.database, news, remoteForums, forums, fetcher: outbound.fetcher, articles, changed: () => responses?.bump() })
    : null;
  // A store that does not answer now must not stop the start: the timer reads the rows once it does.
  await storedSources?.syncNow().catch((err: unknown) => logger.warn({ err }, "stored sources not read at start; the next sync reads them"));
  await ingestAtStart(config, logger, stores, news, search);

  const httpServer = http.createServer();
  const schema = await buildCrosswireSchema();
  // One per-address cost budget for queries and /feeds/* pages (rateLimit.*).
  const costBudget = newCostBudget(config.rateLimit);
  const { apollo, safelist, formatError } = await createApollo({ config, logger, schema, httpServer, keyv: stores.cache.keyv, metrics, costBudget, responseCache: responses });
  const loaderOptions: LoaderOptions = { ...options.loaderOptions, onBatch: (loader, size) => metrics.batchSize.observe({ loader }, size) };
  const writes = {
    sourceId: stores.local.id,
    writes: createForumWrites(stores.local.database, config.auth),
    verifier: await createTokenVerifier(config.auth),
    // Published on the write, not on the sync timer: the sync indexes the post and announces it (claimed once
    // across gateways, src/live), so it is searchable and live within the request.
    written: async () => {
      await search.syncForums();
      responses?.bump(); // edits and deletes are no postsAdded event
    },
  };
  const createContext = contextFactory({ config, logger, forums, news, search, searchIndex: stores.searchIndex, events: live.events, loaderOptions, writes, ...(storedSources ? { sourceAdmin: storedSources } : {}) });
  const syndication = createSyndication({ config, logger, schema, newContext: () => createContext({ clientIp: "syndication" }) });
  live.attach({
    httpServer, path: GRAPHQL_PATH, schema, fetcher: outbound.fetcher, feeds, keyv: stores.cache.keyv, safelist, createContext,
    formatError: (error) => formatError(error.toJSON(), error),
  });
  attachRoutes(httpServer, { config, logger, apollo, createContext, live, syndication, metrics, costBudget, readiness: stores.readiness });

  // The articles' search catch-up reads the store's write order past the index's saved position, in the background
  // once listening (a first start on a large store, or after search.db was lost, reads every article: nothing waits).
  const catchUp = () => {
    search.catchUp(news.store).catch((err: unknown) => {
      if (stores.cache.shared && err instanceof ServiceUnavailableError) logger.warn({ err: err.message }, "search catch-up skipped at start: the shared store did not answer");
      else logger.error({ err }, "search catch-up failed; the articles it missed are found at the next start");
    });
  };
  return handle({ config, httpServer, stores, outbound, forums, news, remoteForums, search, live, apollo, metrics, catchUp, storedSources, responses });
}

interface Parts {
  config: Config;
  httpServer: http.Server;
  stores: Stores;
  outbound: Outbound;
  forums: ReadonlyMap<string, ForumSource>;
  news: News;
  remoteForums: ForumSources;
  search: SearchService;
  live: Live;
  apollo: GatewayApollo["apollo"];
  metrics: Metrics;
  /** Starts the articles' search catch-up (once listening). */
  catchUp(): void;
  storedSources: StoredSources | null;
  responses: ResponseCache | null;
}

/** The gateway's lifecycle: start in dependency order once listening, stop in reverse. */
function handle(parts: Parts): Gateway {
  const { config, httpServer, stores, outbound, forums, news, remoteForums, search, live, apollo, metrics, catchUp, storedSources, responses } = parts;
  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    forums,
    news,
    get cacheStore() {
      if (!stores.cache.sqlite) throw new Error('cacheStore is the SQLite store; cache.store is "redis"');
      return stores.cache.sqlite;
    },
    readiness: stores.readiness,
    search,
    live,
    responses,
    async listen() {
      await live.start();
      const address = await listenOn(httpServer, config);
      news.start();
      remoteForums.start();
      storedSources?.start();
      // Shared store: other processes ingest feeds this one never polls; the index catches up from the store.
      search.start(stores.cache.shared ? news.store : undefined);
      // On the next turn: none of its reading runs before listen()'s caller does.
      setImmediate(catchUp);
      return address;
    },
    stop() {
      stopping ??= (async () => {
        // WebSockets first (1001 "going away"): the drain below waits for HTTP requests, not upgraded sockets.
        await live.close(Math.min(config.http.shutdownTimeoutMs, 2_000));
        // apollo.stop() runs the drain plugin: close the listener, let in-flight requests finish
        // (up to http.shutdownTimeoutMs), then cut what is left. Stores close only after that.
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
        await storedSources?.stop();
        await remoteForums.stop();
        await news.stop();
        await outbound.parser.close();
        metrics.registry.clear();
        await search.stop();
        for (const source of forums.values()) await source.close();
        await stores.close();
      })();
      return stopping;
    },
  };
}

interface AdapterInputs {
  stores: Stores;
  outbound: Outbound;
  live: Live;
  metrics: Metrics;
  articles: ArticleStore;
  forums: Map<string, ForumSource>;
  feeds: Map<string, FeedSource>;
  searchable: SearchableForum[];
}

/** The adapters, from one deps object (sources/deps.ts): feeds (src/news) and the remote forums' registry (./forums.ts). */
function buildAdapters(options: GatewayOptions, inputs: AdapterInputs) {
  const { config, logger } = options;
  const { stores, outbound, live, metrics } = inputs;
  const adapterDeps: AdapterDeps = {
    fetcher: outbound.fetcher,
    keyv: stores.cache.keyv,
    logger,
    events: {
      postsAdded: (sourceId, posts) => live.events.postsAdded(sourceId, posts),
      feedParsed: (sourceId, feed) => live.websub?.feedParsed(sourceId, feed),
      polled: (source, outcome) => metrics.upstream.inc({ source, outcome }),
    },
  };
  const news = createNews(config, {
    ...adapterDeps, store: inputs.articles, parser: outbound.parser, sources: inputs.feeds,
    extraSources: options.extraSources ?? [], cluster: stores.cache.cluster,
    observer: {
      upstream: (source, outcome) => metrics.upstream.inc({ source, outcome }),
      cache: (name, result) => metrics.cache.inc({ cache: name, result }),
    },
  });
  const remoteForums = createForumSources(config, {
    ...adapterDeps, parser: outbound.parser, forums: inputs.forums, cluster: stores.cache.cluster, database: stores.local.database, searchable: inputs.searchable,
  });
  return { news, remoteForums };
}

function listenOn(httpServer: http.Server, config: Config): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen({ port: config.port, host: config.host }, () => {
      httpServer.off("error", reject);
      resolve(httpServer.address() as AddressInfo);
    });
  });
}

/** The per-source gauges of /metrics, read from the shared health records at scrape time. */
async function feedHealthGauges(feeds: ReadonlyMap<string, FeedSource>, articles: ArticleStore) {
  const ids = [...feeds.keys()];
  // A shared store that is down must not fail the whole scrape: the source gauges are then just absent.
  const health = await articles.health(ids).catch(() => null);
  if (!health) return [];
  return ids.map((source, i) => ({ source, status: health[i]?.status ?? "PENDING", consecutiveFailures: health[i]?.consecutiveFailures ?? 0 }));
}

/** Demo feeds and the forum posts' search sync, before listening, so no request shares the stores with these reads. */
async function ingestAtStart(config: Config, logger: Logger, stores: Stores, news: News, search: SearchService): Promise<void> {
  // A shared store that drops while this process starts must not stop it: /readyz reports it, and the
  // search index catches up from the shared store on its timer (demo feeds are ingested at the next start).
  const tolerant = (what: string) => (err: unknown) => {
    if (!(stores.cache.shared && err instanceof ServiceUnavailableError)) throw err;
    logger.warn({ err: err.message }, `${what} skipped at start: the shared store did not answer`);
  };
  await news.ingestDemoFeeds().catch(tolerant("ingesting the demo feeds"));
  // Posts the index lacks (first start, a deleted search.db); articles catch up once listening (catchUp above).
  await search.syncForums();
}
