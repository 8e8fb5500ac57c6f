import pg from "pg";

/** The channel the forum store's tables notify on every write (statement triggers; DialectTypes.notifyOnChange). */
export const CHANGES_CHANNEL = "crosswire_changes";

/**
 * The change clock of a PostgreSQL database several gateways write (src/db/read-cache.ts): it moves on every
 * notification on CHANGES_CHANNEL — the triggers of the tables cached reads come from send one when a writing
 * transaction commits, whichever process wrote — and on every write of this process (at once, before the
 * notification comes back). It reads null (nothing kept or served) while its listening connection is not up: at
 * start, and from a lost connection until LISTEN is back, so no notification can be missed unseen.
 *
 * Another gateway's write reaches this one's cache when its notification arrives (at its commit, a round trip
 * later): that is how stale a read can be across gateways. This process's own writes are seen at once.
 */
export class PgChangeClock {
  private client: pg.Client | null = null;
  private listening = false;
  private notified = 0;
  private writes = 0;
  private stopped = false;
  private retryMs = 100;

  constructor(private readonly options: { url: string; timeoutMs: number; onError?: (err: Error) => void }) {
    void this.connect();
  }

  now(): string | null {
    return this.listening ? `${this.notified}:${this.writes}` : null;
  }

  /** This process wrote (or may have): reads from before it are not kept. */
  wrote(): void {
    this.writes++;
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.timeoutMs,
      keepAlive: true,
      application_name: "crosswire-changes",
    });
    let lost = false;
    const lose = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err) this.options.onError?.(err);
      if (this.client === client) this.client = null;
      this.listening = false;
      this.notified++;
      client.end().catch(() => {});
      if (!this.stopped) setTimeout(() => void this.connect(), this.retryMs).unref();
      this.retryMs = Math.min(this.retryMs * 2, 5_000);
    };
    client.on("notification", () => {
      this.notified++;
    });
    client.on("error", (err) => lose(err));
    client.on("end", () => lose());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      lose(err as Error);
      return;
    }
    if (this.stopped || lost) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = 100;
    this.notified++;
    this.listening = true;
  }
}
