import type { ForumSource } from "../../sources/forum.js";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import type { LiveEvents } from "../live/events.js";
import { createLoaders, type LoaderOptions } from "../loaders/index.js";
import type { Logger } from "../logger.js";
import type { News } from "../news/index.js";
import type { SourceAdmin } from "../model/source-admin.js";
import type { SearchIndex } from "../search/index.js";
import type { SearchService } from "../search/service.js";
import { isAdminRequest } from "../server/auth.js";
import { writeContext, type WriteContextDeps } from "../auth/write-context.js";
import { createBuckets } from "../server/buckets.js";
import { limited } from "../server/rate-limit.js";

/**
 * Who is asking, as a transport knows it: the Authorization header (admin token) and the client address.
 * `subscription`: the context lives as long as one subscription, and its loaders are renewed per event.
 */
export interface RequestOrigin {
  authorization?: string | undefined;
  /** The Idempotency-Key header (HTTP writes). */
  idempotencyKey?: string | undefined;
  clientIp: string;
  subscription?: boolean;
}

/** The one context builder: HTTP (src/app/routes.ts), WebSocket (src/live/server.ts) and feeds (src/syndication). */
export type RequestContext = (origin: RequestOrigin) => Context;

export interface ContextDeps {
  config: Config;
  logger: Logger;
  forums: ReadonlyMap<string, ForumSource>;
  news: News;
  search: SearchService;
  searchIndex: SearchIndex;
  events: LiveEvents;
  loaderOptions: LoaderOptions;
  /** The local forum's writes (resolvers/mutations.ts). */
  writes?: WriteContextDeps;
  /** Sources managed at runtime (resolvers/admin-sources.ts); absent with storedSources.enabled off. */
  sourceAdmin?: SourceAdmin;
}

export function contextFactory(deps: ContextDeps): RequestContext {
  const { config, logger, forums, news, search } = deps;
  // Unfurl fetches per client address (unfurl.perClientPerMinute): Query.unfurl and every cited link count.
  const unfurlBudget = createBuckets(config.unfurl.perClientPerMinute);
  const publish = (keys: string[]) => news.store.publishCited(keys);
  return (origin) => {
    const isAdmin = isAdminRequest(origin.authorization ?? undefined, config.adminToken);
    const allow = () => {
      if (isAdmin || !limited(config.rateLimit, origin.clientIp)) return null;
      const retry = unfurlBudget.take(origin.clientIp);
      return retry === 0 ? null : `this client has started ${config.unfurl.perClientPerMinute} unfurls in the last minute (unfurl.perClientPerMinute); retry in ${retry} s`;
    };
    const answer = { incomplete: false };
    const unfurl = { source: news.unfurler, waitMs: config.unfurl.waitMs, allow, publish, incomplete: () => void (answer.incomplete = true) };
    const newLoaders = () => createLoaders(forums, news.store, deps.loaderOptions, unfurl, deps.searchIndex);
    const ctx: Context = { config, logger, forums, news, search, loaders: newLoaders(), isAdmin, clientIp: origin.clientIp, allowUnfurl: allow, answer };
    if (deps.sourceAdmin) ctx.sourceAdmin = deps.sourceAdmin;
    if (deps.writes && !origin.subscription) ctx.write = writeContext(deps.writes, { ...origin, isAdmin });
    if (origin.subscription) {
      ctx.live = deps.events;
      ctx.renewLoaders = () => (ctx.loaders = newLoaders());
    }
    return ctx;
  };
}
