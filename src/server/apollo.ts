import type http from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import type { GraphQLFormattedError, GraphQLSchema } from "graphql";
import type Keyv from "keyv";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import { ErrorCode } from "../model/errors.js";
import type { Logger } from "../logger.js";
import { apqCache } from "./apq.js";
import { createJitExecutor, jitGateway } from "./jit.js";
import { costPlugin, limitRules, listBounds, restoreLimitCode } from "./limits.js";
import type { Metrics } from "./metrics.js";
import type { ResponseCache } from "./response-cache.js";
import { cachePolicyPlugin } from "./cache-policy.js";
import { metricsPlugin, operationNames, requestIdPlugin } from "./plugins.js";
import { playgroundLandingPage } from "./playground.js";
import type { Buckets } from "./buckets.js";
import { costBudget as newCostBudget, rateLimitPlugin } from "./rate-limit.js";
import { preloadSafelist, readSafelist, safelistPlugin } from "./safelist.js";

export const GRAPHQL_PATH = "/graphql";

export interface ApolloOptions {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** The server the drain plugin closes on stop. */
  httpServer: http.Server;
  /** Where automatic persisted queries (and the preloaded safelist) are kept. */
  keyv: Keyv;
  metrics: Metrics;
  /** The per-address cost budget, shared with /feeds/* (src/syndication); one of its own when not given. */
  costBudget?: Buckets;
  /** Whole responses reused (cache.responses): its plugin runs after the limits, so a hit still counts against them. */
  responseCache?: ResponseCache | null;
}

export interface GatewayApollo {
  apollo: ApolloServer<Context>;
  /** With persistedQueries.safelistOnly: the operation texts that may run (the WebSocket endpoint checks them too). */
  safelist: ReadonlySet<string> | null;
  /** What a client may see of an error, for transports outside Apollo (the WebSocket endpoint). */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

/** Apollo Server with crosswire's limits and plugins, started. Transports (src/app/routes.ts, src/live) call it. */
export async function createApollo({ config, logger, schema, httpServer, keyv, metrics, ...rest }: ApolloOptions): Promise<GatewayApollo> {
  const costBudget = rest.costBudget ?? newCostBudget(config.rateLimit);
  const introspection = config.introspection ?? process.env.NODE_ENV !== "production";
  const persisted = apqCache(keyv, config.persistedQueries);
  const safelist = config.persistedQueries.safelistFile ? readSafelist(config.persistedQueries.safelistFile) : null;
  if (safelist) await preloadSafelist(persisted, safelist);
  const safelistOnly = safelist && config.persistedQueries.safelistOnly ? safelist : null;
  const formatError = (formatted: GraphQLFormattedError, error: unknown) => formatPublicError(formatted, error, { debug: config.debug, introspection });
  // graphql-jit through Apollo's gateway interface (src/server/jit.ts); graphql-js when `execution.jit` is off.
  const jit = config.execution.jit ? createJitExecutor(schema, {
        maxDocuments: config.execution.jitMaxDocuments,
        maxBytes: config.execution.jitMemoryBytes,
        compileAfter: config.execution.jitCompileAfter,
      }) : null;
  const apollo = new ApolloServer<Context>({
    ...(jit ? { gateway: jitGateway(schema, jit.executor) } : { schema }),
    introspection,
    csrfPrevention: true,
    // src/cli.ts owns SIGINT/SIGTERM: Apollo's own handler would re-raise the signal after its stop().
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: config.debug,
    validationRules: limitRules(config.limits),
    parseOptions: { maxTokens: config.limits.maxTokens },
    persistedQueries: { cache: persisted, ttl: config.persistedQueries.ttlSeconds },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.http.shutdownTimeoutMs }),
      // Policy per document, not per field (src/server/cache-policy.ts): Apollo's plugin would wrap every resolver.
      ApolloServerPluginCacheControlDisabled(),
      cachePolicyPlugin(schema),
      playgroundLandingPage(GRAPHQL_PATH),
      costPlugin(schema, config.limits, config.pagination.defaultFirst, listBounds(config)),
      rateLimitPlugin(config.rateLimit, costBudget),
      ...(safelistOnly ? [safelistPlugin(safelistOnly)] : []),
      requestIdPlugin(logger),
      metricsPlugin(metrics, safelist ? new Set(operationNames(safelist.values())) : null),
      ...(rest.responseCache ? [rest.responseCache.plugin] : []),
    ],
    formatError,
    logger,
  });
  await apollo.start();
  return { apollo, safelist: safelistOnly ? new Set(safelistOnly.values()) : null, formatError };
}

/**
 * What a client may see of an error. Errors thrown by our code without a code of their own are bugs or
 * backend failures: the client gets a generic message (the real one and the stack only with `debug`);
 * requestIdPlugin logs the real one once, with the request id. With introspection off, "Did you mean …?"
 * suggestions are cut, since they would reveal the schema field by field.
 */
export function formatPublicError(formatted: GraphQLFormattedError, error: unknown, options: { debug: boolean; introspection: boolean }) {
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
