import type { ArticleStore } from "../articles/store.js";
import { FeedSourceSchema, ForumSourceSchema, type Config, type ForumSourceConfig } from "../config/index.js";
import type { SqlDatabase } from "../db/sql.js";
import type { Logger } from "../logger.js";
import { CrosswireError, ErrorCode } from "../model/errors.js";
import type { FeedSourceConfig } from "../model/news.js";
import type { AddSourceResult, OpmlImportReport, SourceAdmin } from "../model/source-admin.js";
import type { Fetcher } from "../net/types.js";
import { discoverFeeds } from "../news/discovery.js";
import type { News } from "../news/index.js";
import { openSourceStore, type SourceStore, type StoredSource } from "../news/source-store.js";
import { createSourceSync, type SourceSync } from "../news/source-sync.js";
import type { ForumSources } from "./forums.js";
import { importOpmlText } from "./stored-opml.js";
import { checkForum, fetchFailed, notFound, readOnly, slugId, sourceExists, validFeedSource, validForum } from "./stored-sources-input.js";

/**
 * Sources and forums managed at runtime (issue 21): the admin API's implementation (SourceAdmin) over the stored
 * rows (src/news/source-store.ts) and the running adapters. A change is written first, then applied through the
 * same sync every gateway runs (src/news/source-sync.ts), so this process and the others end up alike.
 * Config-file sources and forums stay as configured and read-only here; a stored row whose id the config file
 * took later is ignored (logged).
 */
export interface StoredSources extends SourceAdmin {
  /** Reads and applies the stored rows (before listening, then on the timer). */
  syncNow(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface StoredSourcesDeps {
  config: Config;
  logger: Logger;
  database: SqlDatabase;
  news: News;
  remoteForums: ForumSources;
  forums: ReadonlyMap<string, unknown>;
  fetcher: Fetcher;
  articles: ArticleStore;
  /** Told after a sync started, changed or stopped a source or forum in this process (the response cache bumps). */
  changed?: () => void;
}

export async function createStoredSources(deps: StoredSourcesDeps): Promise<StoredSources> {
  const store = await openSourceStore(deps.database);
  const configIds = new Set([...deps.config.sources.map((s) => s.id), ...deps.config.forums.map((f) => f.id), "local"]);
  const applied = new Map<string, string>();
  const sync = createSourceSync({
    store, logger: deps.logger, intervalMs: deps.config.storedSources.syncSeconds * 1000,
    apply: (rows) => {
      if (applyRows(rows, { ...deps, configIds, applied })) deps.changed?.();
    },
  });
  const admin = sourceAdmin({ ...deps, store, sync, configIds, applied });
  return { ...admin, syncNow: () => sync.syncNow(), start: () => sync.start(), stop: () => sync.stop() };
}

interface ApplyState {
  news: News;
  remoteForums: ForumSources;
  logger: Logger;
  configIds: ReadonlySet<string>;
  /** Stored id → the JSON of its row as running in this process. */
  applied: Map<string, string>;
}

/** Starts what is new or changed, stops what is gone; true when anything was. */
function applyRows(rows: StoredSource[], state: ApplyState): boolean {
  const current = new Set<string>();
  let changed = false;
  for (const row of rows) {
    if (state.configIds.has(row.id) || (row.kind === "feed" && state.news.sources.get(row.id)?.config.origin !== "STORED" && state.news.sources.has(row.id))) {
      state.logger.warn({ source: row.id }, "a stored source has the id of a configured one; the configured one is kept");
      continue;
    }
    const json = `${row.kind}:${JSON.stringify(row.config)}`;
    if (state.applied.get(row.id) === json) {
      current.add(row.id);
      continue;
    }
    // Checked again on the way in: a row written by an older version must still fit today's schema.
    const parsed = row.kind === "feed" ? FeedSourceSchema.safeParse(row.config) : ForumSourceSchema.safeParse(row.config);
    if (!parsed.success) {
      state.logger.warn({ source: row.id, problem: parsed.error.issues[0]?.message }, "a stored source does not fit the config schema; it is not started");
      continue;
    }
    current.add(row.id);
    if (row.kind === "feed") state.news.addSource({ ...(parsed.data as FeedSourceConfig), origin: "STORED" });
    else state.remoteForums.add(parsed.data as ForumSourceConfig);
    state.applied.set(row.id, json);
    changed = true;
  }
  for (const [id, json] of state.applied) {
    if (current.has(id)) continue;
    if (json.startsWith("feed:")) state.news.removeSource(id);
    else state.remoteForums.remove(id);
    state.applied.delete(id);
    changed = true;
  }
  return changed;
}

interface AdminDeps extends StoredSourcesDeps {
  store: SourceStore;
  sync: SourceSync;
  configIds: ReadonlySet<string>;
  applied: Map<string, string>;
}

// Over 50 lines: one object literal, the SourceAdmin contract; each method is short and reads top to bottom.
function sourceAdmin(deps: AdminDeps): SourceAdmin {
  const { store, sync, news, config } = deps;
  const taken = (id: string) => deps.configIds.has(id) || news.sources.has(id) || deps.forums.has(id) || deps.applied.has(id);
  const urlTaken = (url: string) => [...news.sources.values()].find((s) => s.config.url === url)?.config.id;
  const enabled = () => {
    if (!config.storedSources.enabled) throw new CrosswireError(ErrorCode.FORBIDDEN, "sources managed at runtime are off (storedSources.enabled is false)");
  };
  const room = async (n: number) => {
    const count = await store.count();
    if (count + n > config.storedSources.maxSources) {
      throw new CrosswireError(ErrorCode.BAD_USER_INPUT, `at most ${config.storedSources.maxSources} sources may be stored (storedSources.maxSources); ${count} are`, { argumentName: "input" });
    }
  };
  const storedRow = async (id: string, kind: "feed" | "forum") => {
    if (deps.configIds.has(id)) throw readOnly(id);
    const row = await store.get(id);
    if (!row || row.kind !== kind) throw notFound(id);
    return row;
  };

  return {
    isStored: (id) => deps.applied.has(id),
    async addSource(input): Promise<AddSourceResult> {
      enabled();
      const given = validFeedSource({ id: input.id ?? "placeholder", name: input.name ?? "placeholder", url: input.url, ...(input.categories ? { categories: input.categories } : {}), ...(input.pollIntervalSeconds ? { pollIntervalSeconds: input.pollIntervalSeconds } : {}) });
      if (input.id && taken(input.id)) throw sourceExists(`a source or forum with the id "${input.id}" exists already${deps.configIds.has(input.id) ? " (in the config file)" : ""}`, input.id);
      const existing = urlTaken(given.url);
      if (existing) throw sourceExists(`the source "${existing}" already polls ${given.url}`, existing);
      await room(1);
      const found = await discoverFeeds(deps.fetcher, given.url).catch(fetchFailed);
      if (found.kind === "none") throw new CrosswireError(ErrorCode.FEED_NOT_FOUND, found.reason, { url: given.url });
      if (found.kind === "candidates") return { source: null, candidates: found.candidates };
      const feedUrl = found.feed.url;
      const again = urlTaken(feedUrl);
      if (again) throw sourceExists(`the source "${again}" already polls ${feedUrl}`, again);
      const name = input.name ?? found.feed.title ?? new URL(feedUrl).hostname;
      const id = input.id ?? slugId(name, feedUrl, taken);
      const source = validFeedSource({ ...given, id, name, url: feedUrl, ...(found.feed.format ? { kind: found.feed.format } : {}) });
      if (!(await store.insert(id, "feed", { ...source }))) throw sourceExists(`a source with the id "${id}" was stored meanwhile`, id);
      await sync.syncNow();
      await news.refresh(id);
      return { source: news.sources.get(id)?.config ?? source, candidates: [] };
    },
    async updateSource(id, patch) {
      enabled();
      const row = await storedRow(id, "feed");
      const next = validFeedSource({ ...row.config, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined)) });
      if (next.url !== row.config.url) {
        const other = urlTaken(next.url);
        if (other && other !== id) throw sourceExists(`the source "${other}" already polls ${next.url}`, other);
      }
      if (!(await store.update(id, { ...next }))) throw notFound(id);
      await sync.syncNow();
      return news.sources.get(id)?.config ?? next;
    },
    async removeSource(id, deleteArticles) {
      enabled();
      await storedRow(id, "feed");
      if (!(await store.remove(id))) throw notFound(id);
      await sync.syncNow();
      return { id, articlesDeleted: deleteArticles ? await deps.articles.removeBySource(id) : 0 };
    },
    async addForum(input) {
      enabled();
      if (input.id && taken(input.id)) throw sourceExists(`a source or forum with the id "${input.id}" exists already${deps.configIds.has(input.id) ? " (in the config file)" : ""}`, input.id);
      validForum({ kind: input.kind, id: input.id ?? "placeholder", name: input.name ?? "placeholder", url: input.url });
      await room(1);
      const title = await checkForum(deps.fetcher, input.kind, input.url);
      const name = input.name ?? title ?? new URL(input.url).hostname;
      const forum = validForum({ kind: input.kind, id: input.id ?? slugId(name, input.url, taken), name, url: input.url });
      if (!(await store.insert(forum.id, "forum", { ...forum }))) throw sourceExists(`a forum with the id "${forum.id}" was stored meanwhile`, forum.id);
      await sync.syncNow();
      return { id: forum.id, kind: forum.kind, name: forum.name, url: forum.url };
    },
    async removeForum(id) {
      enabled();
      await storedRow(id, "forum");
      if (!(await store.remove(id))) throw notFound(id);
      await sync.syncNow();
      return { id };
    },
    async importOpml(opml): Promise<OpmlImportReport> {
      enabled();
      const room = config.storedSources.maxSources - (await store.count());
      const report = importOpmlText(opml, {
        ids: [...deps.configIds, ...news.sources.keys(), ...deps.forums.keys(), ...deps.applied.keys()],
        urls: [...news.sources.values()].map((s) => s.config.url),
        room,
      });
      const written = new Set(await store.insertMany(report.added.map((s) => ({ id: s.id, kind: "feed" as const, config: { ...s } }))));
      await sync.syncNow();
      return { ...report, added: report.added.filter((s) => written.has(s.id)).map((s) => news.sources.get(s.id)?.config ?? s) };
    },
  };
}
