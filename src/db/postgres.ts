import pg from "pg";
import { ServiceUnavailableError } from "../model/errors.js";
import { lockKey, numberPlaceholders, type SqlDatabase, type SqlQueries, type SqlValue } from "./sql.js";
import { PgChangeClock } from "./pg-change-clock.js";
import { ReadCache } from "./read-cache.js";

export interface PostgresOptions {
  /** libpq URL, e.g. postgresql://crosswire@127.0.0.1:5432/crosswire */
  url: string;
  /** Connecting, waiting for a pooled connection, and every statement fail after this long (`cache.timeoutMs`). */
  timeoutMs: number;
  /** How long an `exclusive` section may wait for the lock and run (migrations at start); default 60 s. */
  exclusiveTimeoutMs?: number;
  /** Pool size; default 10 (pg's). */
  maxConnections?: number;
  /** Name of the store in SERVICE_UNAVAILABLE errors, e.g. "forum store". */
  storeName: string;
  /** Errors of idle pooled connections (the server went away); the pool drops the connection and goes on. */
  onIdleError?: (err: Error) => void;
  /**
   * Bound of the read cache (`cache.reads.maxEntries`; default 0: none). Above 0 a connection of its own LISTENs for
   * the tables' change notifications (./pg-change-clock.ts).
   */
  readCacheEntries?: number;
}

/** What a pool and the sessions it hands out share. */
interface Shared {
  listeners: Set<Listener>;
  reads: ReadCache;
  clock: PgChangeClock | null;
}

const INT8_OID = 20;
/** COUNT(*), ROW_NUMBER() and BIGINT ids come back as JavaScript numbers, as they do from SQLite (exact below 2^53). */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** Node socket errors and pg's own connection messages: the server is gone or unreachable, not the SQL wrong. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const CONNECTION_MESSAGE = /connection terminated|timeout exceeded when trying to connect|query read timeout|not queryable|connection ended|client was closed/i;

/**
 * True when an error says the database is unreachable, restarting, overloaded or too slow — as opposed to a bug in a
 * statement. SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57 (operator intervention:
 * shutdown, statement_timeout's query_canceled).
 */
export function isUnavailableError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  if (NETWORK_CODES.has(code) || /^(08|53|57)/.test(code)) return true;
  return typeof e?.message === "string" && CONNECTION_MESSAGE.test(e.message);
}

type Listener = (sql: string) => void;

const READ_ONLY = /^\s*SELECT\b/i;

/**
 * The pg driver of SqlDatabase: a Pool that reconnects by itself (a connection that failed is dropped, the next
 * statement opens a new one), with every wait bounded by `timeoutMs` (connect: connectionTimeoutMillis; statement:
 * query_timeout on the client and statement_timeout on the server). Failures that mean "the store is unavailable"
 * reject with ServiceUnavailableError (code SERVICE_UNAVAILABLE); any other error is rethrown as pg raised it.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres" as const;
  /** Kept while no write was notified (./pg-change-clock.ts); keeps nothing without `readCacheEntries`. */
  readonly reads: ReadCache;
  private readonly listeners: Set<Listener>;
  private readonly timeoutMs: number;

  /** The pool-level database (`client` absent), or one connection inside `exclusive`/`transaction`. */
  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresOptions,
    private readonly shared: Shared,
    private readonly client?: pg.PoolClient,
    timeoutMs?: number,
  ) {
    this.listeners = shared.listeners;
    this.reads = shared.reads;
    this.timeoutMs = timeoutMs ?? options.timeoutMs;
  }

  static open(options: PostgresOptions): PostgresDatabase {
    const pool = new pg.Pool({
      connectionString: options.url,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      statement_timeout: options.timeoutMs,
      max: options.maxConnections ?? 10,
      keepAlive: true,
      application_name: "crosswire",
      types: TYPES,
    });
    // An idle connection whose server went away emits 'error' on the pool; without a listener that would end the
    // process. The pool has already dropped that connection.
    pool.on("error", (err) => options.onIdleError?.(err));
    const entries = options.readCacheEntries ?? 0;
    const clock = entries > 0 ? new PgChangeClock({ url: options.url, timeoutMs: options.timeoutMs, ...(options.onIdleError ? { onError: options.onIdleError } : {}) }) : null;
    const reads = new ReadCache(() => clock?.now() ?? null, entries);
    return new PostgresDatabase(pool, options, { listeners: new Set(), reads, clock });
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql, [], false);
  }

  async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    if (this.client) return this.inTransaction(this, fn);
    return this.withClient(this.timeoutMs, false, (session) => this.inTransaction(session, fn));
  }

  async exclusive<T>(name: string, fn: (db: SqlDatabase) => Promise<T>): Promise<T> {
    if (this.client) throw new Error("exclusive sections do not nest");
    const timeoutMs = this.options.exclusiveTimeoutMs ?? 60_000;
    return this.withClient(timeoutMs, true, async (session) => {
      // Waiting for another process's migrations may take longer than one store call.
      await session.exec(`SET statement_timeout = ${timeoutMs}`);
      await session.get("SELECT pg_advisory_lock(?)", [lockKey(name)]);
      try {
        return await fn(session);
      } finally {
        await session.get("SELECT pg_advisory_unlock(?)", [lockKey(name)]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1", [], false);
  }

  async close(): Promise<void> {
    if (this.client) return;
    await this.shared.clock?.close();
    if (!this.pool.ended) await this.pool.end();
  }

  onStatement(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async inTransaction<T>(session: PostgresDatabase, fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    await session.control("BEGIN");
    try {
      const result = await fn(session);
      await session.control("COMMIT");
      return result;
    } catch (err) {
      await session.control("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      this.shared.clock?.wrote();
    }
  }

  /**
   * One pooled connection for a session. It is destroyed afterwards when `destroy` (session settings changed) or
   * when the session failed (a broken connection or a half-done transaction is never handed out again).
   */
  private async withClient<T>(timeoutMs: number, destroy: boolean, fn: (session: PostgresDatabase) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    // A checked-out connection that breaks between statements emits 'error' on the client: keep it from
    // ending the process; the next statement on it fails and the connection is destroyed below.
    const ignore = () => {};
    client.on("error", ignore);
    let failed: unknown;
    try {
      return await fn(new PostgresDatabase(this.pool, this.options, this.shared, client, timeoutMs));
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(destroy || failed !== undefined ? true : undefined);
    }
  }

  /** BEGIN/COMMIT/ROLLBACK: not counted as statements (as with SQLite's transactions). */
  private async control(sql: string): Promise<void> {
    try {
      await this.client!.query({ text: sql, query_timeout: this.timeoutMs } as pg.QueryConfig);
    } catch (err) {
      throw this.translate(err);
    }
  }

  private async query(sql: string, params: readonly SqlValue[], numbered = true): Promise<pg.QueryResult> {
    for (const listener of this.listeners) listener(sql);
    // query_timeout per statement (pg reads it from the query config; @types/pg does not list it).
    const config = {
      text: numbered ? numberPlaceholders(sql) : sql,
      ...(params.length ? { values: params as unknown[] } : {}),
      query_timeout: this.timeoutMs,
    } as pg.QueryConfig;
    try {
      return await (this.client ? this.client.query(config) : this.pool.query(config));
    } catch (err) {
      throw this.translate(err);
    } finally {
      // Anything but a plain SELECT may have written: this process's reads from before it are not kept.
      if (!READ_ONLY.test(sql)) this.shared.clock?.wrote();
    }
  }

  private translate(err: unknown): unknown {
    if (!isUnavailableError(err)) return err;
    return new ServiceUnavailableError(this.options.storeName, `PostgreSQL: ${(err as Error).message}`);
  }
}
