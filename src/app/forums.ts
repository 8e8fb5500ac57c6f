import { createDiscourseSource } from "../../sources/forum-discourse/index.js";
import { createFeedForumSource, type FeedForumSource } from "../../sources/forum-feed/index.js";
import type { AdapterDeps } from "../../sources/deps.js";
import type { ForumSource } from "../../sources/forum.js";
import type { FeedParserPool } from "../../sources/rss/index.js";
import type { Config } from "../config/index.js";
import { postIndexLock } from "../forums/index.js";
import type { Lease } from "../cluster/types.js";
import { createPoller } from "../news/poller.js";
import type { SqlDatabase } from "../db/sql.js";
import { remotePostSearch } from "../forums/post-search.js";
import type { SearchableForum } from "../search/index.js";

/**
 * The remote forums of `config.forums`, built from the adapter registry below, added to `forums` (which holds
 * the local store, id "local", first). Remote sources share the gateway's one fetcher (one per-host budget and
 * backoff for all outbound traffic) and parse pool, and keep what they learn in the gateway's keyv.
 */
export interface ForumSources {
  /** Starts polling the forum feeds (with news.poll on). */
  start(): void;
  /** Adds (or replaces) a remote forum at runtime (stored forums, src/app/stored-sources.ts). */
  add(forum: RemoteForumConfig): void;
  /** Removes a remote forum added at runtime (stops polling its feed). */
  remove(id: string): void;
  stop(): Promise<void>;
}

export interface ForumWiringDeps extends AdapterDeps {
  /** Filled here, in config order, after the local store already in it. */
  forums: Map<string, ForumSource>;
  parser: FeedParserPool;
  /** Redis (cache.cluster): forum feeds are polled under leases, post-index writes under a lock per source. */
  cluster?: { lease: Lease; leaseTtlMs: number } | null;
  /** The SQL database of the post index (the local forum's). */
  database: SqlDatabase;
  /** The search service's forums: each remote forum's posts are added here (and taken out when it is removed). */
  searchable?: SearchableForum[];
}

type RemoteForumConfig = Config["forums"][number];

type FeedForumDeps = Parameters<typeof createFeedForumSource>[1];
/** A built forum adapter; `polled` when the gateway polls it (its feed joins the forum poller). */
interface BuiltForum {
  source: ForumSource;
  polled?: FeedForumSource;
}

/** The forum adapters, keyed by the config's `kind`: a new adapter is one entry here and one in the config schema. */
const FORUM_ADAPTERS: { [K in RemoteForumConfig["kind"]]: (forum: Extract<RemoteForumConfig, { kind: K }>, deps: FeedForumDeps) => BuiltForum } = {
  discourse: (forum, deps) => ({ source: createDiscourseSource(forum, deps) }),
  feed: (forum, deps) => {
    const source = createFeedForumSource(forum, deps);
    return { source, polled: source };
  },
};

function buildForum(forum: RemoteForumConfig, deps: FeedForumDeps): BuiltForum {
  const build = FORUM_ADAPTERS[forum.kind] as (forum: RemoteForumConfig, deps: FeedForumDeps) => BuiltForum;
  return build(forum, deps);
}

export function createForumSources(config: Config, deps: ForumWiringDeps): ForumSources {
  const feeds = new Map<string, FeedForumSource>();
  const build = (forum: RemoteForumConfig) => {
    const { forums: _forums, cluster: _cluster, searchable: _searchable, ...shared } = deps;
    const { source, polled } = buildForum(forum, { ...shared, lock: postIndexLock(deps.cluster, forum.id) });
    if (polled) feeds.set(forum.id, polled);
    deps.forums.set(forum.id, source);
    unsearch(forum.id);
    deps.searchable?.push(remotePostSearch(deps.database, forum.id, forum.name));
    return polled;
  };
  const unsearch = (id: string) => {
    const at = deps.searchable?.findIndex((s) => s.id === id) ?? -1;
    if (at >= 0) deps.searchable!.splice(at, 1);
  };
  for (const forum of config.forums) build(forum);
  const poller = createPoller([...feeds.values()].map((f) => f.feed), { maxBackoffSeconds: config.news.maxBackoffSeconds, logger: deps.logger, ...leasedPolls(feeds, deps.cluster) });
  return {
    start() {
      if (config.news.poll) poller.start();
    },
    add(forum) {
      poller.removeSource(forum.id);
      feeds.delete(forum.id);
      const polled = build(forum);
      if (polled) poller.addSource(polled.feed);
    },
    remove(id) {
      poller.removeSource(id);
      feeds.delete(id);
      unsearch(id);
      const source = deps.forums.get(id);
      deps.forums.delete(id);
      void source?.close().catch(() => {});
    },
    stop: () => poller.stop(),
  };
}

/**
 * Several gateways on one Redis: each feed is polled under its lease, skipped when its shared health says
 * another gateway polled it within the interval (as news feeds are, src/news/index.ts).
 */
function leasedPolls(byId: ReadonlyMap<string, FeedForumSource>, cluster: ForumWiringDeps["cluster"]) {
  if (!cluster) return {};
  return {
    cluster: {
      lease: cluster.lease,
      busyRetryMs: cluster.leaseTtlMs,
      health: async (id: string) => {
        const shared = await byId.get(id)?.sharedHealth();
        return shared ? { ...shared, etag: null, lastModified: null, format: null } : null;
      },
    },
  };
}
