import type Keyv from "keyv";
import type { Exclusive } from "../src/cluster/lock.js";
import type { PostsAddedHook } from "../src/forums/post-index.js";
import type { Logger } from "../src/logger.js";
import type { ParsedFeed } from "../src/model/news.js";
import type { Fetcher } from "../src/net/types.js";
import type { PollOutcome } from "./poll.js";

/**
 * What every adapter that reaches upstream receives: one deps object, the same tools for all (GraphQL Mesh's
 * handler options). No adapter builds its own HTTP client, cache or clock; src/app builds these once.
 * Adapters that need one more tool say so by intersection (rss: the article store and the parse pool).
 * forum-local takes none of this: it is a store (a database handle), not an upstream.
 */
export interface AdapterDeps {
  /** The gateway's one guarded fetcher (src/net): per-host budget, backoff, breaker, private-address guard. */
  fetcher: Fetcher;
  /** The gateway's keyv: what an adapter learns (posts, health) and caches (src/cache/cached-fetch.ts). */
  keyv: Keyv;
  logger: Logger;
  /** The clock (tests move it); default: the system clock. */
  now?: () => Date;
  /** What the adapter tells the rest of the gateway (live events, WebSub discovery, metrics). */
  events?: AdapterEvents;
  /** The lock this source's shared writes go under (src/forums postIndexLock); default: this process only. */
  lock?: Exclusive;
}

export interface AdapterEvents {
  /** Posts new to the gateway (forum adapters; README "Live updates"). */
  postsAdded?: PostsAddedHook;
  /** Every feed a source parsed from a poll, before its items are stored (WebSub hub discovery). */
  feedParsed?: (sourceId: string, feed: ParsedFeed) => void;
  /** Every poll's outcome (metrics). */
  polled?: (sourceId: string, outcome: PollOutcome["kind"]) => void;
}
