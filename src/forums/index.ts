import type Keyv from "keyv";
import { createDiscourseSource } from "../../sources/forum-discourse/index.js";
import { createFeedForumSource, type FeedForumSource } from "../../sources/forum-feed/index.js";
import type { HealthRecord } from "../model/health.js";
import type { ForumSource, ForumSourceKind } from "../../sources/forum.js";
import type { FeedParserPool } from "../../sources/rss/index.js";
import { leaseExclusive, localExclusive, type Exclusive } from "../cluster/lock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../logger.js";
import type { Fetcher } from "../net/types.js";
import { createPoller } from "../news/poller.js";
import type { Lease } from "../cluster/types.js";
import type { PostsAddedHook } from "./post-index.js";

/**
 * Every forum the gateway serves: the built-in local store (id "local", always first) and the remote
 * forums of `config.forums`. Remote sources share the news side's fetcher (one per-host budget and backoff
 * for all outbound traffic) and parse worker pool, and keep what they learn in the gateway's keyv.
 */
export interface ForumSources {
  /** By source id (the id in every global ID of its objects), in config order, local first. */
  readonly sources: ReadonlyMap<string, ForumSource>;
  /** Starts polling the forum feeds (with news.poll on). */
  start(): void;
  stop(): Promise<void>;
}

export interface ForumSourceDeps {
  local: ForumSource;
  fetcher: Fetcher;
  parser: FeedParserPool;
  keyv: Keyv;
  logger: Logger;
  /** Told the posts a remote forum learned of that are new to the gateway (README "Live updates"). */
  onPostsAdded?: PostsAddedHook;
  /** Redis (cache.cluster): forum feeds are polled under leases, post-index writes under a lock per source. */
  cluster?: { lease: Lease; leaseTtlMs: number } | null;
}

/** The lock a source's post index writes under: this process only, or the cluster's Redis lock `forum-index:<id>`. */
export function postIndexLock(cluster: ForumSourceDeps["cluster"], sourceId: string): Exclusive {
  return cluster ? leaseExclusive(cluster.lease, `forum-index:${sourceId}`, cluster.leaseTtlMs * 2) : localExclusive();
}

export function createForumSources(config: Config, deps: ForumSourceDeps): ForumSources {
  const sources = new Map<string, ForumSource>([[deps.local.id, deps.local]]);
  const feeds: FeedForumSource[] = [];
  for (const forum of config.forums) {
    const indexLock = postIndexLock(deps.cluster, forum.id);
    if (forum.kind === "discourse") {
      sources.set(forum.id, createDiscourseSource(forum, { ...deps, indexLock }));
    } else {
      const source = createFeedForumSource(forum, { ...deps, indexLock });
      feeds.push(source);
      sources.set(forum.id, source);
    }
  }
  // Several gateways on one Redis: each feed is polled under its lease, skipped when its shared health says
  // another gateway polled it within the interval (as news feeds are, src/news/index.ts).
  const byId = new Map(feeds.map((f) => [f.id, f]));
  const cluster = deps.cluster
    ? {
        lease: deps.cluster.lease,
        busyRetryMs: deps.cluster.leaseTtlMs,
        health: async (id: string) => {
          const shared = await byId.get(id)?.sharedHealth();
          return shared ? { ...shared, etag: null, lastModified: null, format: null } : null;
        },
      }
    : undefined;
  const poller = createPoller(feeds.map((f) => f.feed), { maxBackoffSeconds: config.news.maxBackoffSeconds, logger: deps.logger, ...(cluster ? { cluster } : {}) });
  return {
    sources,
    start() {
      if (config.news.poll) poller.start();
    },
    stop: () => poller.stop(),
  };
}

/** What Forum.source says about a backend. */
export interface ForumSourceInfo {
  id: string;
  kind: ForumSourceKind;
  name: string;
  url: string | null;
}

const LOCAL_NAME = "Local forum";

export function describeForumSource(source: ForumSource): ForumSourceInfo {
  return { id: source.id, kind: source.kind, name: source.name ?? LOCAL_NAME, url: source.url ?? null };
}

/** A source without a health method (the embedded store) answers or throws on each call: it is reported OK. */
export async function forumSourceHealth(source: ForumSource): Promise<HealthRecord> {
  if (source.health) return source.health();
  return { status: "OK", lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, itemCount: 0 };
}
