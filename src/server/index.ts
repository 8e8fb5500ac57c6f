import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import type { GraphQLFormattedError } from "graphql";
import type { ForumSource } from "../../sources/forum.js";
import { createLocalForumSource, FORUM_STORE, localForumFile, openForumDatabase } from "../../sources/forum-local/index.js";
import { buildCrosswireSchema } from "../../resolvers/index.js";
import { openCache, type SqliteKeyvStore } from "../cache/index.js";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import { ErrorCode, ServiceUnavailableError } from "../model/errors.js";
import { createForumSources } from "../forums/index.js";
import { createLoaders, type LoaderOptions } from "../loaders/index.js";
import { createNews, type News } from "../news/index.js";
import { createSearchService, type SearchService } from "../search/service.js";
import { createSqliteSearchIndex, searchFile } from "../search/sqlite/index.js";
import { createSyndication } from "../syndication/index.js";
import { createLive, type Live } from "../live/index.js";
import { isAdminRequest } from "./auth.js";
import type { FeedSourceConfig } from "../model/news.js";
import type { Logger } from "../logger.js";
import { PayloadTooLargeError, readBody, sendGraphQLError, sendText } from "../http/messages.js";
import { ApolloServerPluginCacheControl } from "@apollo/server/plugin/cacheControl";
import { apqCache } from "./apq.js";
import { applyCors } from "./cors.js";
import { rateLimitPlugin } from "./rate-limit.js";
import { preloadSafelist, readSafelist, safelistPlugin } from "./safelist.js";
import { costPlugin, limitRules, restoreLimitCode } from "./limits.js";
import { createMetrics } from "./metrics.js";
import { checkReadiness, sqliteProbe, type ReadinessProbe } from "../cache/readiness.js";
import { metricsPlugin, privateWhenAuthenticatedPlugin, requestIdPlugin } from "./plugins.js";
import { PLAYGROUND_PATH, playgroundLandingPage, readPlaygroundAsset, renderPlayground } from "./playground.js";

export const GRAPHQL_PATH = "/graphql";

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

export async function createGateway({ config, logger, loaderOptions, extraSources = [], lookup }: GatewayOptions): Promise<Gateway> {
  const local = await createLocalForumSource({
    database: openForumDatabase({
      store: config.forum.store,
      file: localForumFile(config.dataDir),
      ...(config.forum.postgresUrl ? { postgresUrl: config.forum.postgresUrl } : {}),
      timeoutMs: config.cache.timeoutMs,
      onIdleError: (err) => logger.warn({ err }, "forum store: an idle PostgreSQL connection failed; the pool reconnects"),
    }),
    seedDemo: config.forum.seedDemo,
  });
  if (local.seeded) logger.info({ seeded: local.seeded }, "seeded the demo forum into an empty store");
  const cache = await openCache(config, logger);
  const live = createLive({ config, logger, forums: () => forums, news: () => news });
  const metrics = createMetrics(async () => {
    const ids = [...news.sources.keys()];
    // A shared store that is down must not fail the whole scrape: the source gauges are then just absent.
    const health = await news.store.health(ids).catch(() => null);
    if (!health) return [];
    return ids.map((source, i) => ({ source, status: health[i]?.status ?? "PENDING", consecutiveFailures: health[i]?.consecutiveFailures ?? 0 }));
  });
  const searchIndex = createSqliteSearchIndex({
    file: searchFile(config.dataDir),
    threshold: config.search.storyThreshold,
    windowMs: config.search.storyWindowHours * 3_600_000,
  });
  const search = createSearchService({
    index: searchIndex,
    logger,
    forums: [local],
    sourceName: (slug) => news.sources.get(slug)?.config.name,
    postSyncSeconds: config.search.postSyncSeconds,
    onPostsAdded: (sourceId, posts) => live.events.postsAdded(sourceId, posts),
  });
  const news = createNews(config, cache.keyv, logger, {
    extraSources,
    exclusive: cache.exclusive,
    cluster: cache.cluster,
    onArticlesChanged: (records) => search.articlesChanged(records),
    storeHooks: {
      onArticlesAdded: (sourceId, records) => live.events.articlesAdded(sourceId, records),
      onHealthChanged: (sourceId, health) => live.events.healthChanged(sourceId, health),
    },
    onFeedParsed: (sourceId, feed) => live.websub?.feedParsed(sourceId, feed),
    ...(lookup ? { lookup } : {}),
    observer: {
      upstream: (source, outcome) => metrics.upstream.inc({ source, outcome }),
      cache: (name, result) => metrics.cache.inc({ cache: name, result }),
    },
  });
  const forumSources = createForumSources(config, { local, fetcher: news.fetcher, parser: news.parser, keyv: cache.keyv, logger, cluster: cache.cluster,
    onPostsAdded: (sourceId, posts) => live.events.postsAdded(sourceId, posts) });
  const forums = forumSources.sources;
  // A shared store that drops while this process starts must not stop it: /readyz reports it, and the
  // search index catches up from the shared store on its timer (demo feeds are ingested at the next start).
  const tolerant = (what: string) => (err: unknown) => {
    if (!(cache.shared && err instanceof ServiceUnavailableError)) throw err;
    logger.warn({ err: err.message }, `${what} skipped at start: the shared store did not answer`);
  };
  await news.ingestDemoFeeds().catch(tolerant("ingesting the demo feeds"));
  // Before listening, so no request shares the stores with these reads: posts and articles the index lacks
  // (first start, a deleted search.db). Articles are then indexed and grouped in the background.
  await search.syncForums();
  await search.catchUp(news.store).catch(tolerant("search catch-up"));

  const httpServer = http.createServer();
  const schema = await buildCrosswireSchema();
  const introspection = config.introspection ?? process.env.NODE_ENV !== "production";
  const persisted = apqCache(cache.keyv);
  const safelist = config.persistedQueries.safelistFile ? readSafelist(config.persistedQueries.safelistFile) : null;
  if (safelist) await preloadSafelist(persisted, safelist);
  const apollo = new ApolloServer<Context>({
    schema,
    introspection,
    csrfPrevention: true,
    // src/cli.ts owns SIGINT/SIGTERM: Apollo's own handler would re-raise the signal after its stop().
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: config.debug,
    validationRules: limitRules(config.limits),
    parseOptions: { maxTokens: config.limits.maxTokens },
    persistedQueries: { cache: persisted, ttl: 7 * 24 * 3600 },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.http.shutdownTimeoutMs }),
      ApolloServerPluginCacheControl({ defaultMaxAge: 0 }),
      playgroundLandingPage(GRAPHQL_PATH),
      costPlugin(schema, config.limits, config.pagination.defaultFirst, { newsSources: config.sources.length, forumSources: config.forums.length + 1 }),
      rateLimitPlugin(config.rateLimit),
      ...(safelist && config.persistedQueries.safelistOnly ? [safelistPlugin(safelist)] : []),
      privateWhenAuthenticatedPlugin(),
      requestIdPlugin(logger),
      metricsPlugin(metrics),
    ],
    formatError: (formatted, error) => formatPublicError(formatted, error, { debug: config.debug, introspection }),
    logger,
  });
  await apollo.start();

  const unfurlDeps = { source: news.unfurler, waitMs: config.unfurl.waitMs };
  loaderOptions = { ...loaderOptions, onBatch: (loader, size) => metrics.batchSize.observe({ loader }, size) };
  const syndication = createSyndication({
    config,
    logger,
    schema,
    newContext: () => ({
      config, logger, forums, news, search, loaders: createLoaders(forums, news.store, loaderOptions, unfurlDeps, searchIndex), isAdmin: false, clientIp: "syndication",
    }),
  });

  live.attach({
    httpServer, path: GRAPHQL_PATH, schema, news, keyv: cache.keyv,
    safelist: safelist && config.persistedQueries.safelistOnly ? new Set(safelist.values()) : null,
    formatError: (error) => formatPublicError(error.toJSON(), error, { debug: config.debug, introspection }),
    contextFor(isAdmin, clientIp) {
      const newLoaders = () => createLoaders(forums, news.store, loaderOptions, unfurlDeps, searchIndex);
      const ctx: Context = { config, logger, forums, news, search, live: live.events, loaders: newLoaders(), isAdmin, clientIp };
      ctx.renewLoaders = () => (ctx.loaders = newLoaders());
      return ctx;
    },
  });

  const contextFor = async (headers: HeaderMap, clientIp: string): Promise<Context> => ({
    clientIp,
    config,
    logger,
    forums,
    news,
    search,
    loaders: createLoaders(forums, news.store, loaderOptions, unfurlDeps, searchIndex),
    isAdmin: isAdminRequest(headers.get("authorization"), config.adminToken),
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    let body: unknown;
    if (req.method === "POST") {
      const text = await readBody(req, config.http.bodyLimitBytes);
      if ((headers.get("content-type") ?? "").includes("json") && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch (err) {
          sendGraphQLError(res, ErrorCode.BAD_REQUEST, `request body is not valid JSON: ${(err as Error).message}`);
          return;
        }
      } else {
        body = text;
      }
    }
    const request: HTTPGraphQLRequest = { method: req.method ?? "GET", headers, search: url.search, body };
    const forwarded = config.http.trustProxy ? headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
    const clientIp = forwarded || req.socket.remoteAddress || "unknown";
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: () => contextFor(headers, clientIp) });
    const outHeaders: Record<string, string> = {};
    for (const [key, value] of response.headers) outHeaders[key] = value;
    res.writeHead(response.status ?? 200, outHeaders);
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  httpServer.on("request", (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof PayloadTooLargeError) {
        // The rest of the body is never read, so the connection cannot carry another request: close it.
        // The socket is taken now: by the time the response has finished, the request may have let go of it.
        const socket = req.socket;
        res.setHeader("connection", "close");
        sendGraphQLError(res, ErrorCode.PAYLOAD_TOO_LARGE, err.message);
        res.once("finish", () => socket?.destroySoon());
        return;
      }
      if (err instanceof ServiceUnavailableError && !res.headersSent) {
        // A feed or route that needs a shared store that is down: the client may retry shortly.
        sendText(res, 503, `${err.message}\n`, { "retry-after": "5", "cache-control": "no-store" });
        return;
      }
      logger.error({ err, url: req.url }, "request failed");
      if (!res.headersSent) sendGraphQLError(res, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname === GRAPHQL_PATH) {
      if (applyCors(req, res, config.http.corsOrigins) === "preflight") return;
      return handleGraphQL(req, res);
    }
    if (live.websub && (await live.websub.handle(req, res))) return;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(res, 405, "Method not allowed\n", { allow: "GET, HEAD" });
    }
    if (await syndication.handle(req, res)) return;
    if (pathname === "/readyz") {
      const problems = await checkReadiness(readiness, config.cache.timeoutMs);
      const body = JSON.stringify(problems.length ? { status: "unavailable", problems } : { status: "ready" });
      res.writeHead(problems.length ? 503 : 200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (pathname === "/metrics") {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (pathname === "/healthz") {
      const body = JSON.stringify({ status: "ok" });
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (pathname === PLAYGROUND_PATH || pathname === "/") {
      if (pathname === "/") {
        res.writeHead(302, { location: PLAYGROUND_PATH });
        res.end();
        return;
      }
      const html = renderPlayground(GRAPHQL_PATH);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
      res.end(req.method === "HEAD" ? undefined : html);
      return;
    }
    const asset = await readPlaygroundAsset(pathname);
    if (asset) {
      res.writeHead(200, {
        "content-type": asset.contentType,
        "content-length": asset.body.length,
        "cache-control": "public, max-age=86400",
      });
      res.end(req.method === "HEAD" ? undefined : asset.body);
      return;
    }
    sendText(res, 404, `Not found: ${pathname}\nGraphQL is at ${GRAPHQL_PATH}, the Playground at ${PLAYGROUND_PATH}.\n`);
  }

  const readiness: ReadinessProbe[] = [
    { name: FORUM_STORE, check: () => local.ping() },
    cache.probe,
    sqliteProbe("search index", searchIndex.database),
  ];

  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    forums,
    news,
    get cacheStore() {
      if (!cache.sqlite) throw new Error('cacheStore is the SQLite store; cache.store is "redis"');
      return cache.sqlite;
    },
    readiness,
    search,
    live,
    async listen() {
      await live.start();
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen({ port: config.port, host: config.host }, () => {
          httpServer.off("error", reject);
          news.start();
          forumSources.start();
          // Shared store: other processes ingest feeds this one never polls; the index catches up from the store.
          search.start(cache.shared ? news.store : undefined);
          resolve(httpServer.address() as AddressInfo);
        });
      });
    },
    stop() {
      stopping ??= (async () => {
        // WebSockets first (1001 "going away"): the drain below waits for HTTP requests, not upgraded sockets.
        await live.close(Math.min(config.http.shutdownTimeoutMs, 2_000));
        // apollo.stop() runs the drain plugin: close the listener, let in-flight requests finish
        // (up to http.shutdownTimeoutMs), then cut what is left. Stores close only after that.
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
        await forumSources.stop();
        await news.stop();
        metrics.registry.clear();
        await search.stop();
        for (const source of forums.values()) await source.close();
        await cache.close();
      })();
      return stopping;
    },
  };
}

/**
 * What a client may see of an error. Errors thrown by our code without a code of their own are bugs or
 * backend failures: the client gets a generic message (the real one and the stack only with `debug`);
 * requestIdPlugin logs the real one once, with the request id. With introspection off, "Did you mean …?"
 * suggestions are cut, since they would reveal the schema field by field.
 */
function formatPublicError(formatted: GraphQLFormattedError, error: unknown, options: { debug: boolean; introspection: boolean }) {
  let out = restoreLimitCode(formatted);
  // Apollo's own request errors (a persisted-query hash that does not match, an unknown APQ version) carry a
  // 4xx status but no code: they are the client's to fix, so they keep their message.
  const status = (error as { extensions?: { http?: { status?: number } } })?.extensions?.http?.status;
  if (out.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && status !== undefined && status >= 400 && status < 500) {
    out = { ...out, extensions: { ...out.extensions, code: "BAD_REQUEST" } };
  }
  if (!options.introspection && / Did you mean .*\?$/.test(out.message)) out = { ...out, message: out.message.replace(/ Did you mean .*\?$/, "") };
  if (out.extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR || options.debug) return out;
  return { ...out, message: "Internal server error" };
}
