import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type SqlValue = string | number | bigint | Buffer | null;

/** One schema change. `version`s are applied in order, once, each inside its own transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * A better-sqlite3 database with versioned migrations and a statement counter.
 *
 * Every query goes through `all`/`get`/`run`, so tests (and later metrics) can count round trips to the
 * store: that count is how batching is proven, since a synchronous SQLite call has no latency to measure.
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new Set<(sql: string) => void>();
  private clock: Database.Statement | undefined;

  constructor(readonly file: string, migrations: readonly Migration[]) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.migrate(migrations);
  }

  /** Subscribe to every executed statement; returns the unsubscribe function. */
  onStatement(listener: (sql: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  run(sql: string, params: readonly SqlValue[] = []): Database.RunResult {
    return this.prepare(sql).run(...params);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A value that changes whenever this database's data may have: `data_version` (other connections' commits, other
   * processes' too) and this connection's `total_changes()`. Null inside a transaction (its reads may be rolled back).
   * Not a statement of the store's: statement listeners do not hear it (src/db/read-cache.ts).
   */
  changeClock(): string | null {
    if (!this.db.open || this.db.inTransaction) return null;
    this.clock ??= this.db.prepare("SELECT total_changes() AS t, data_version AS d FROM pragma_data_version").raw(true);
    const [changes, version] = this.clock.get() as [number, number];
    return `${version}:${changes}`;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private prepare(sql: string): Database.Statement {
    for (const listener of this.listeners) listener(sql);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private migrate(migrations: readonly Migration[]): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    const applied = new Set(
      (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
    );
    const sorted = [...migrations].sort((a, b) => a.version - b.version);
    for (const migration of sorted) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .run(migration.version, migration.name, new Date().toISOString());
      })();
    }
  }
}

/** `?, ?, ?` for an IN list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
