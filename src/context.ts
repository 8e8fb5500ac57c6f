import type { ForumSource } from "../sources/forum.js";
import type { WriteContext } from "./auth/write-context.js";
import type { Config } from "./config/index.js";
import type { Loaders } from "./loaders/index.js";
import type { LiveEvents } from "./live/events.js";
import type { Logger } from "./logger.js";
import type { News } from "./news/index.js";
import type { SourceAdmin } from "./model/source-admin.js";
import type { SearchService } from "./search/service.js";

/** What every resolver sees: built once per request by src/app/context.ts (HTTP, WebSocket and feeds alike). */
export interface Context {
  config: Config;
  logger: Logger;
  /** Forum sources by id (the id is part of every global ID). */
  forums: ReadonlyMap<string, ForumSource>;
  loaders: Loaders;
  news: News;
  /** The search index and its background indexer (resolvers read through `loaders.search`). */
  search: SearchService;
  /** True when the request carried the configured admin token. */
  isAdmin: boolean;
  /** The client's address (X-Forwarded-For's first entry only with http.trustProxy). */
  clientIp: string;
  /** This client's unfurl budget (unfurl.perClientPerMinute): null when an unfurl fetch may start, else why not. */
  allowUnfurl?: () => string | null;
  /** Subscription events (src/live); subscriptions listen on `live.pubSub`. */
  live?: LiveEvents;
  /** Sources managed at runtime (admin API, resolvers/admin-sources.ts); absent with storedSources.enabled off. */
  sourceAdmin?: SourceAdmin;
  /** Writing to the local forum (resolvers/mutations.ts); absent where nothing may write (feeds). */
  write?: WriteContext;
  /** Subscriptions only: replaces `loaders` with fresh ones, called as each event starts resolving. */
  renewLoaders?: () => void;
  /**
   * HTTP only: a response-cache hit (src/server/response-cache.ts) leaves the cached data's JSON text here, and the
   * transport writes it into the body in place of the placeholder Apollo serialized, instead of Apollo serializing it.
   */
  cachedJson?: { text?: string };
  /**
   * `incomplete` is set when part of the answer is not final (a citation still PENDING, an unfurl refused by this client's
   * budget): such a response is never cached. An object, so Apollo's per-operation copy of the context shares it.
   */
  answer?: { incomplete: boolean };
}
