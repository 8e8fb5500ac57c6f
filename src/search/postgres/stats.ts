import { lockKey, type SqlDatabase, type SqlQueries } from "../../db/sql.js";
import { idf } from "../similarity.js";

/**
 * Document frequencies of grouping terms, kept in memory as src/search/sqlite/terms.ts keeps them, but in a database
 * several gateways write: every write runs in `PgTermStats.write` — one transaction holding a transaction-level
 * advisory lock, so writes of the whole cluster are serialized — and a generation number in `search_state` says
 * whether the counts in memory are still the table's (another gateway's write bumps it; this one then reads the
 * counts again before writing).
 */
const WRITE_LOCK = lockKey("crosswire:search-index");
const GENERATION = "generation";

export class PgTermStats {
  private readonly df = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private count = 0;
  private changed = false;
  /** The generation the counts in memory belong to; null: unknown (read them before use). */
  private generation: string | null = null;
  /** Writes in flight in this process: a read does not reload the counts under them. */
  private writing = 0;

  /** `lockWaitMs`: one round of waiting for the write lock; below the database's statement timeout. */
  constructor(private readonly db: SqlDatabase, private readonly lockWaitMs = 500) {}

  get documents(): number {
    return this.count;
  }

  set documents(n: number) {
    this.count = n;
    this.changed = true;
  }

  dfOf = (term: string): number => this.df.get(term) ?? 0;
  idfOf = (term: string): number => idf(this.dfOf(term), Math.max(1, this.documents));

  add(terms: Iterable<string>, sign: 1 | -1): void {
    this.changed = true;
    for (const term of terms) {
      this.df.set(term, Math.max(0, this.dfOf(term) + sign));
      this.dirty.add(term);
    }
  }

  /** Before a read that uses IDF: the counts, read again when another gateway changed them (one statement). */
  async refresh(): Promise<void> {
    if (this.writing > 0) return;
    const current = await readGeneration(this.db);
    if (this.writing === 0 && current !== this.generation) await this.load(this.db, current);
  }

  /**
   * Runs `fn` in one transaction under the cluster-wide write lock, with the counts current; writes the changed
   * counts and bumps the generation before committing. A rollback leaves the counts to be read again.
   */
  async write<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    this.writing += 1;
    try {
      return await this.db.transaction(async (tx) => {
        await lockFor(tx, this.lockWaitMs);
        const current = await readGeneration(tx);
        if (current !== this.generation) await this.load(tx, current);
        const out = await fn(tx);
        if (this.changed) {
          await this.flush(tx);
          const next = String(Number(current ?? 0) + 1);
          await tx.run(
            "INSERT INTO search_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [GENERATION, next],
          );
          this.generation = next;
          this.changed = false;
        }
        return out;
      });
    } catch (err) {
      this.generation = null;
      throw err;
    } finally {
      this.writing -= 1;
    }
  }

  private async load(db: SqlQueries, generation: string | null): Promise<void> {
    const rows = await db.all<{ term: string; df: number }>("SELECT term, df FROM search_term_df");
    const n = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM search_articles");
    this.df.clear();
    this.dirty.clear();
    for (const row of rows) this.df.set(row.term, row.df);
    this.count = n?.n ?? 0;
    this.changed = false;
    this.generation = generation;
  }

  /** Writes changed counts, two statements whatever their number. */
  private async flush(tx: SqlQueries): Promise<void> {
    if (this.dirty.size === 0) return;
    const changed = Object.fromEntries([...this.dirty].map((term) => [term, this.dfOf(term)]));
    await tx.run(
      `INSERT INTO search_term_df (term, df) SELECT key, value::bigint FROM jsonb_each_text(?::jsonb) WHERE value::bigint > 0
       ON CONFLICT (term) DO UPDATE SET df = excluded.df`,
      [JSON.stringify(changed)],
    );
    const gone = Object.keys(changed).filter((term) => changed[term] === 0);
    if (gone.length) await tx.run("DELETE FROM search_term_df WHERE term IN (SELECT jsonb_array_elements_text(?::jsonb))", [JSON.stringify(gone)]);
    for (const term of gone) this.df.delete(term);
    this.dirty.clear();
  }
}

/**
 * Waits for the write lock in PostgreSQL's queue (so gateways take turns: a try-lock loop let the gateway that had just
 * committed take it again and again), in rounds of `waitMs` (`lock_timeout`, below the statement timeout
 * `cache.timeoutMs`), each round in a savepoint so a timed-out round leaves the transaction usable; for up to LOCK_WAIT_MS.
 */
const LOCK_WAIT_MS = 60_000;
async function lockFor(tx: SqlQueries, waitMs: number): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    await tx.exec(`SAVEPOINT search_lock; SET LOCAL lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
    try {
      await tx.get("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK]);
      await tx.exec("RELEASE SAVEPOINT search_lock; SET LOCAL lock_timeout = DEFAULT");
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== "55P03" || Date.now() > deadline) throw err;
      await tx.exec("ROLLBACK TO SAVEPOINT search_lock");
    }
  }
}

async function readGeneration(db: SqlQueries): Promise<string | null> {
  return (await db.get<{ value: string }>("SELECT value FROM search_state WHERE name = ?", [GENERATION]))?.value ?? null;
}
