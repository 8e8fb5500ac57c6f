import type http from "node:http";
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from "graphql";
import type Keyv from "keyv";
import type { ForumSource } from "../../sources/forum.js";
import type { FeedSource } from "../../sources/rss/index.js";
import type { ArticleStore } from "../articles/store.js";
import type { Config } from "../config/index.js";
import { withTimeout } from "../cache/timeout.js";
import type { RequestContext } from "../app/context.js";
import type { Logger } from "../logger.js";
import type { Fetcher } from "../net/types.js";
import { createLiveEvents, Topic, type ArticleAddedEvent, type LiveEvents, type PostAddedEvent } from "./events.js";
import { createLivePubSub } from "./pubsub.js";
import { attachSubscriptions, type SubscriptionServer } from "./server.js";
import { createWebSubPublisher, type WebSubPublisher } from "./websub/publisher.js";
import { createWebSubSubscriber, type WebSubSubscriber } from "./websub/subscriber.js";

/**
 * Live updates (README "Live updates"): subscription events and their pub/sub, the WebSocket endpoint, and
 * WebSub in both directions. src/app creates it (the event bus) before the adapters, whose store hooks feed
 * `events`, then attaches the WebSocket endpoint and the WebSub routes once the schema exists.
 */
export interface Live {
  readonly events: LiveEvents;
  /** Set by `attach`. */
  websub: WebSubSubscriber | null;
  publisher: WebSubPublisher | null;
  subscriptions: SubscriptionServer | null;
  attach(options: {
    httpServer: http.Server;
    path: string;
    schema: GraphQLSchema;
    fetcher: Fetcher;
    /** The feed sources WebSub pushes are ingested into. */
    feeds: ReadonlyMap<string, FeedSource>;
    keyv: Keyv;
    createContext: RequestContext;
    formatError(error: GraphQLError): GraphQLFormattedError;
    safelist: ReadonlySet<string> | null;
  }): void;
  /** Once listening: events start flowing, leases are re-armed. */
  start(): Promise<void>;
  /** Closes every WebSocket (1001) within `graceMs`, stops WebSub timers, flushes hub pings, closes Redis. */
  close(graceMs: number): Promise<void>;
}

export interface LiveOptions {
  config: Config;
  logger: Logger;
  /** Every forum source, read at event time (src/app fills the map with the remote forums after this is built). */
  forums: ReadonlyMap<string, ForumSource>;
  /** Reads the articles an event concerns (a reader over the article store's keyv; it writes nothing). */
  articles: ArticleStore;
}

export function createLive(options: LiveOptions): Live {
  const { config, logger } = options;
  const pubSub = createLivePubSub({
    logger,
    redisUrl: config.cache.store === "redis" ? config.cache.redisUrl : undefined,
    keyPrefix: config.cache.keyPrefix,
    connectTimeoutMs: config.cache.timeoutMs,
  });
  const events = createLiveEvents({ pubSub, forums: options.forums, articles: options.articles, logger });
  let unobserve: (() => void) | null = null;

  const live: Live = {
    events,
    websub: null,
    publisher: null,
    subscriptions: null,
    attach(a) {
      live.subscriptions = attachSubscriptions({
        httpServer: a.httpServer, path: a.path, schema: a.schema, config, logger,
        createContext: a.createContext, formatError: a.formatError, safelist: a.safelist,
      });
      live.websub = createWebSubSubscriber({ config, keyv: a.keyv, fetcher: a.fetcher, sources: a.feeds, logger });
      if (config.websub.hubUrl) {
        const publisher = createWebSubPublisher({ config, fetcher: a.fetcher, logger });
        live.publisher = publisher;
        // Only what this process ingested: each process pings for its own changes.
        unobserve = events.observe((topic, payload) => {
          if (topic === Topic.articleAdded) publisher.sourceChanged((payload as ArticleAddedEvent).sourceId);
          else if (topic.startsWith("postAdded:")) {
            const { sourceId, threadKey } = payload as PostAddedEvent;
            publisher.threadChanged(sourceId, threadKey);
          }
        });
      }
    },
    async start() {
      events.enable();
      await live.websub?.start();
      // With Redis, wait (boundedly) for the channel subscription, so events from other processes are heard
      // from the moment the gateway answers.
      await withTimeout(config.cache.timeoutMs, () => pubSub.ready()).catch(() => {});
    },
    async close(graceMs) {
      unobserve?.();
      await live.subscriptions?.close(graceMs);
      live.websub?.stop();
      await live.websub?.settled();
      await live.publisher?.stop();
      await events.settled();
      await pubSub.close();
    },
  };
  return live;
}
