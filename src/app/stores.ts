import { createLocalForumSource, FORUM_STORE, localForumFile, openForumDatabase, type LocalForumSource } from "../../sources/forum-local/index.js";
import { openCache, type Cache } from "../cache/index.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../logger.js";
import type { SearchIndex } from "../search/index.js";
import { createPostgresSearchIndex } from "../search/postgres/index.js";
import { createSqliteSearchIndex, searchFile } from "../search/sqlite/index.js";
import { sqliteProbe, type ReadinessProbe } from "../cache/readiness.js";

/** The stores everything else reads and writes: the local forum, the keyv cache, the search index. */
export interface Stores {
  local: LocalForumSource;
  cache: Cache;
  /** SQLite FTS5 in `<dataDir>/search.db`, or, with `forum.store` `postgres`, tables in that database shared by the cluster. */
  searchIndex: SearchIndex;
  /** What /readyz checks: one probe per store (another store adds its probe here). */
  readiness: ReadinessProbe[];
  /** Closes the stores opened here (the local forum is closed with the other forum sources). */
  close(): Promise<void>;
}

export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  const local = await createLocalForumSource({
    database: openForumDatabase({
      store: config.forum.store,
      file: localForumFile(config.dataDir),
      ...(config.forum.postgresUrl ? { postgresUrl: config.forum.postgresUrl } : {}),
      timeoutMs: config.cache.timeoutMs,
      readCacheEntries: config.cache.reads.maxEntries,
      onIdleError: (err) => logger.warn({ err }, "forum store: an idle PostgreSQL connection failed; the pool reconnects"),
    }),
    seedDemo: config.forum.seedDemo,
  });
  if (local.seeded) logger.info({ seeded: local.seeded }, "seeded the demo forum into an empty store");
  const cache = await openCache(config, logger);
  const grouping = { threshold: config.search.storyThreshold, windowMs: config.search.storyWindowHours * 3_600_000 };
  const readiness: ReadinessProbe[] = [{ name: FORUM_STORE, check: () => local.ping() }, cache.probe];
  let searchIndex: SearchIndex;
  if (config.forum.store === "postgres") {
    // In the forum store's database: its probe above answers for the index too.
    searchIndex = await createPostgresSearchIndex({ database: local.database, timeoutMs: config.cache.timeoutMs, ...grouping });
  } else {
    const sqlite = createSqliteSearchIndex({ file: searchFile(config.dataDir), ...grouping, logger });
    readiness.push(sqliteProbe("search index", sqlite.database));
    searchIndex = sqlite;
  }
  return { local, cache, searchIndex, readiness, close: () => cache.close() };
}
