import { ReadCache } from "./read-cache.js";
import type { SqlDatabase, SqlQueries } from "./sql.js";
import { SqliteDatabase, type SqlValue } from "./sqlite.js";

/**
 * The better-sqlite3 driver of SqlDatabase: the synchronous SqliteDatabase behind promises. Every statement
 * still runs synchronously when called (so statement counts and semantics are SqliteDatabase's); only
 * transactions differ: they are BEGIN IMMEDIATE … COMMIT around an async function, one at a time.
 */
export class SqliteSqlDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  readonly sqlite: SqliteDatabase;
  /** Transactions (and `exclusive` sections) queue here: one connection holds one transaction at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  readonly reads: ReadCache;

  /** `readCacheEntries`: bound of `reads` (the gateway passes `cache.reads.maxEntries`; default 0: keeps nothing). */
  constructor(file: string, options: { readCacheEntries?: number } = {}) {
    // Schema changes are the caller's (src/db/migrate.ts), so the same runner serves both drivers.
    this.sqlite = new SqliteDatabase(file, []);
    this.reads = new ReadCache(() => this.sqlite.changeClock(), options.readCacheEntries ?? 0);
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.sqlite.all<T>(sql, params);
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.sqlite.get<T>(sql, params);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.sqlite.run(sql, params).changes;
  }

  async exec(sql: string): Promise<void> {
    this.sqlite.db.exec(sql);
  }

  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      this.sqlite.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this);
        this.sqlite.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.sqlite.db.inTransaction) this.sqlite.db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  /** One SQLite file belongs to one process: the lock only has to keep this process's callers apart. */
  async exclusive<T>(_name: string, fn: (db: SqlDatabase) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async ping(): Promise<void> {
    this.sqlite.get("SELECT 1");
  }

  /** Closes synchronously (the promise is already settled when it returns). */
  close(): Promise<void> {
    this.sqlite.close();
    return Promise.resolve();
  }

  onStatement(listener: (sql: string) => void): () => void {
    return this.sqlite.onStatement(listener);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => {});
    return result;
  }
}
