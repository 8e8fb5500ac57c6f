import { PostgresDatabase } from "../../src/db/postgres.js";
import type { SqlDatabase } from "../../src/db/sql.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";

export interface ForumDatabaseOptions {
  store: "sqlite" | "postgres";
  /** The SQLite file (store "sqlite"). */
  file: string;
  /** The PostgreSQL URL (store "postgres"). */
  postgresUrl?: string;
  /** PostgreSQL connect and statement timeout (`cache.timeoutMs`). */
  timeoutMs: number;
  /** Told about errors of idle PostgreSQL connections (logged; the pool reconnects). */
  onIdleError?: (err: Error) => void;
  /** Bound of the database's read cache (`cache.reads.maxEntries`; src/db/read-cache.ts); default 0: none. */
  readCacheEntries?: number;
}

/** Opens forum-local's database as configured (`forum.store`): the SQLite file, or a PostgreSQL pool. */
export function openForumDatabase(options: ForumDatabaseOptions): SqlDatabase {
  if (options.store === "sqlite") return new SqliteSqlDatabase(options.file, { readCacheEntries: options.readCacheEntries ?? 0 });
  if (!options.postgresUrl) throw new Error('forum.store "postgres" needs forum.postgresUrl');
  return PostgresDatabase.open({
    url: options.postgresUrl,
    timeoutMs: options.timeoutMs,
    storeName: FORUM_STORE,
    readCacheEntries: options.readCacheEntries ?? 0,
    ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
  });
}

/** How the forum store is named in SERVICE_UNAVAILABLE errors and readiness problems. */
export const FORUM_STORE = "forum store";
