import path from "node:path";
import pg from "pg";
import { PostgresDatabase } from "../../src/db/postgres.js";
import type { SqlDatabase } from "../../src/db/sql.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";

/** The machine's PostgreSQL (127.0.0.1:5432, trust, database `test`) unless CROSSWIRE_TEST_PG names another. */
export const PG_ADMIN = process.env.CROSSWIRE_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/test";

/** A SQL database of a test's own, and how to drop it. */
export interface ScratchSql {
  db: SqlDatabase;
  /** The database's URL (PostgreSQL only): a second handle, as another process would open. */
  url?: string;
  drop(): Promise<void>;
}

/** A new SQLite file `forum.db` in `dir`. */
export async function scratchSqlite(dir: string): Promise<ScratchSql> {
  const db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
  return { db, drop: () => db.close() };
}

/** A new database on PG_ADMIN's server, named `<prefix>_<pid>_<time>_<random>`; drop() closes and drops it. */
export async function scratchPostgres(prefix: string): Promise<ScratchSql> {
  const name = `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  const db = PostgresDatabase.open({ url, timeoutMs: 5000, storeName: "article store" });
  return {
    db,
    url,
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
