import type { ReadCache } from "./read-cache.js";
import type { SqlValue } from "./sqlite.js";

export type { SqlValue };
export type Dialect = "sqlite" | "postgres";

/**
 * Statements on one database, whatever the engine: SQL is written once with `?` placeholders (the PostgreSQL
 * driver numbers them), rows come back as plain objects with JavaScript numbers for integer columns.
 */
export interface SqlQueries {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Resolves with the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * A small async SQL interface with two drivers: better-sqlite3 (./sqlite-async.ts, the embedded default) and
 * pg (./postgres.ts). forum-local is written once against it.
 */
export interface SqlDatabase extends SqlQueries {
  /** Runs `fn` in one transaction on one connection (`tx`); rolls back when it throws. */
  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding a lock named `name` that every process using this database respects (PostgreSQL: a
   * session advisory lock on one connection, which `fn`'s `db` uses; SQLite: `fn` runs on this database, one
   * caller at a time). For migrations and seeding when several gateways start at once.
   */
  exclusive<T>(name: string, fn: (db: SqlDatabase) => Promise<T>): Promise<T>;
  /** A trivial round trip; rejects when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Subscribe to every executed statement (transaction control excepted); returns the unsubscribe function. */
  onStatement(listener: (sql: string) => void): () => void;
  /** Decoded reads kept while the database does not change (./read-cache.ts); one per database, shared by its stores. */
  readonly reads: ReadCache;
}

/**
 * `?` → `$1, $2, …` outside string literals, quoted identifiers and `--` comments (PostgreSQL's placeholders). So
 * portable SQL cannot use PostgreSQL's jsonb `?` operators or dollar-quoted strings containing `?`.
 */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

/** FNV-1a of a lock name: the 32-bit key of a PostgreSQL advisory lock. */
export function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
