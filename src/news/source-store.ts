import { migrate, type PortableMigration } from "../db/migrate.js";
import type { SqlDatabase } from "../db/sql.js";

/**
 * Sources and forums added at runtime (admin API), kept in the forum store's database: `forum.db` by default,
 * PostgreSQL when several gateways share one (`forum.store` "postgres"), so every process reads the same rows.
 *
 * One row per source: its kind ("feed" for a news source, "forum" for a Discourse or forum-feed forum), and its
 * configuration as JSON, validated with the config file's schema before it is written (src/app/stored-sources.ts).
 * `seq` grows with every change (a sequence row bumped in the same transaction): a gateway compares it with the
 * last one it saw and re-reads the rows only when it moved.
 */
export type StoredKind = "feed" | "forum";

export interface StoredSource {
  id: string;
  kind: StoredKind;
  /** The validated configuration (FeedSourceConfig or ForumSourceConfig). */
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface SourceStore {
  /** Every stored source, oldest first. */
  list(): Promise<StoredSource[]>;
  get(id: string): Promise<StoredSource | null>;
  count(): Promise<number>;
  /** Adds a row; false when the id is already stored (nothing written). */
  insert(id: string, kind: StoredKind, config: Record<string, unknown>): Promise<boolean>;
  /** Adds several rows in one transaction; returns the ids written (stored ids are skipped). */
  insertMany(rows: ReadonlyArray<{ id: string; kind: StoredKind; config: Record<string, unknown> }>): Promise<string[]>;
  /** Replaces a row's configuration; false when no such row. */
  update(id: string, config: Record<string, unknown>): Promise<boolean>;
  /** Deletes a row; false when no such row. */
  remove(id: string): Promise<boolean>;
  /** The change counter: moves on every insert, update and remove. */
  seq(): Promise<number>;
}

/** Version 301: the stored_sources table and its change counter (numbered apart from forum-local's 1, 2, 3). */
export const SOURCE_MIGRATIONS: PortableMigration[] = [
  {
    version: 301,
    name: "stored sources (admin API) and their change counter",
    sql: (t) => `
      CREATE TABLE stored_sources (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at ${t.sortedText} NOT NULL,
        updated_at ${t.sortedText} NOT NULL
      );
      CREATE TABLE stored_sources_seq (id ${t.int} PRIMARY KEY, seq ${t.int} NOT NULL);
      INSERT INTO stored_sources_seq (id, seq) VALUES (1, 0);
    `,
  },
];

const SETUP_LOCK = "crosswire:stored-sources:setup";

interface Row {
  id: string;
  kind: string;
  config: string;
  created_at: string;
  updated_at: string;
}

const toStored = (r: Row): StoredSource => ({
  id: r.id, kind: r.kind as StoredKind, config: JSON.parse(r.config) as Record<string, unknown>, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Whether a stored source's row is there (the poller asks before each shared poll of a stored source). */
export async function storedSourceExists(database: SqlDatabase, id: string): Promise<boolean> {
  return (await database.get<{ id: string }>("SELECT id FROM stored_sources WHERE id = ?", [id])) !== undefined;
}

/** Runs migration 301 (under a lock every gateway on the database respects) and returns the store. */
export async function openSourceStore(database: SqlDatabase): Promise<SourceStore> {
  await database.exclusive(SETUP_LOCK, (db) => migrate(db, SOURCE_MIGRATIONS));
  const bump = "UPDATE stored_sources_seq SET seq = seq + 1 WHERE id = 1";
  async function insertMany(rows: ReadonlyArray<{ id: string; kind: StoredKind; config: Record<string, unknown> }>): Promise<string[]> {
    if (rows.length === 0) return [];
    const now = new Date().toISOString();
    return database.transaction(async (tx) => {
      const written: string[] = [];
      for (const row of rows) {
        const n = await tx.run(
          "INSERT INTO stored_sources (id, kind, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          [row.id, row.kind, JSON.stringify(row.config), now, now],
        );
        if (n > 0) written.push(row.id);
      }
      if (written.length > 0) await tx.run(bump);
      return written;
    });
  }
  return {
    insertMany,
    async list() {
      return (await database.all<Row>("SELECT * FROM stored_sources ORDER BY created_at, id")).map(toStored);
    },
    async get(id) {
      const row = await database.get<Row>("SELECT * FROM stored_sources WHERE id = ?", [id]);
      return row ? toStored(row) : null;
    },
    async count() {
      return Number((await database.get<{ n: number }>("SELECT COUNT(*) AS n FROM stored_sources"))?.n ?? 0);
    },
    async insert(id, kind, config) {
      return (await insertMany([{ id, kind, config }])).length === 1;
    },
    async update(id, config) {
      return database.transaction(async (tx) => {
        const n = await tx.run("UPDATE stored_sources SET config = ?, updated_at = ? WHERE id = ?", [JSON.stringify(config), new Date().toISOString(), id]);
        if (n > 0) await tx.run(bump);
        return n > 0;
      });
    },
    async remove(id) {
      return database.transaction(async (tx) => {
        const n = await tx.run("DELETE FROM stored_sources WHERE id = ?", [id]);
        if (n > 0) await tx.run(bump);
        return n > 0;
      });
    },
    async seq() {
      return Number((await database.get<{ seq: number }>("SELECT seq FROM stored_sources_seq WHERE id = 1"))?.seq ?? 0);
    },
  };
}
