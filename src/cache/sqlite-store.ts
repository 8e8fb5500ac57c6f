import { EventEmitter } from "node:events";
import type { KeyvStoreAdapter, StoredData } from "keyv";
import { placeholders, SqliteDatabase, type Migration } from "../db/sqlite.js";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "keyv entries",
    sql: `CREATE TABLE keyv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
          CREATE INDEX keyv_expires_at ON keyv (expires_at) WHERE expires_at IS NOT NULL;`,
  },
];

/**
 * keyv store on the same better-sqlite3 binding as the forum store. `@keyv/sqlite` would work too, but it
 * brings the `sqlite3` package: a second native SQLite build (about two more minutes of compiling on every
 * fresh install here) for a table with three columns. Keyv serializes values itself; this stores its strings.
 */
export class SqliteKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown>;
  namespace?: string;
  /** Exposed so tests and metrics can count statements (store round trips). */
  readonly database: SqliteDatabase;

  constructor(file: string) {
    super();
    this.opts = { file, dialect: "sqlite" };
    this.database = new SqliteDatabase(file, MIGRATIONS);
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.database.get<{ value: string; expires_at: number | null }>(
      "SELECT value, expires_at FROM keyv WHERE key = ?",
      [key],
    );
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= Date.now()) {
      this.database.run("DELETE FROM keyv WHERE key = ? AND expires_at <= ?", [key, Date.now()]);
      return undefined;
    }
    return row.value as StoredData<Value>;
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const expiresAt = typeof ttl === "number" && ttl > 0 ? Date.now() + ttl : null;
    this.database.run(
      "INSERT INTO keyv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
      [key, typeof value === "string" ? value : JSON.stringify(value), expiresAt],
    );
    return true;
  }

  /** One statement for the whole batch (keyv would otherwise call get() once per key). */
  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    if (keys.length === 0) return [];
    const now = Date.now();
    const unique = [...new Set(keys)];
    const rows = this.database.all<{ key: string; value: string; expires_at: number | null }>(
      `SELECT key, value, expires_at FROM keyv WHERE key IN (${placeholders(unique.length)})`,
      unique,
    );
    const byKey = new Map(rows.filter((r) => r.expires_at === null || r.expires_at > now).map((r) => [r.key, r.value]));
    return keys.map((k) => byKey.get(k) as StoredData<Value | undefined>);
  }

  /** All entries in one transaction. */
  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    this.database.transaction(() => {
      for (const { key, value, ttl } of values) void this.set(key, value, ttl);
    });
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    return this.database.run(`DELETE FROM keyv WHERE key IN (${placeholders(keys.length)})`, keys).changes > 0;
  }

  async delete(key: string): Promise<boolean> {
    return this.database.run("DELETE FROM keyv WHERE key = ?", [key]).changes > 0;
  }

  async clear(): Promise<void> {
    // keyv prefixes keys with "<namespace>:"; clear only this namespace when one is set.
    if (this.namespace) this.database.run("DELETE FROM keyv WHERE key LIKE ? ESCAPE '\\'", [`${escapeLike(this.namespace)}:%`]);
    else this.database.run("DELETE FROM keyv");
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Drops expired rows; called on start so an idle cache file does not grow forever. */
  purgeExpired(now = Date.now()): number {
    return this.database.run("DELETE FROM keyv WHERE expires_at IS NOT NULL AND expires_at <= ?", [now]).changes;
  }

  async disconnect(): Promise<void> {
    this.database.close();
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
