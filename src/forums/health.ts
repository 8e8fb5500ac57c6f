import type Keyv from "keyv";
import { afterFailure, afterSuccess, whenText } from "../model/health-transitions.js";
import { pendingHealth, type HealthRecord } from "../model/health.js";

/** A process re-reads the shared record when its copy is older than this (gateways sharing a Redis agree within it). */
const REREAD_MS = 1000;
/** A success that changes only timestamps is written at most this often (a busy forum would write on every request). */
const QUIET_WRITE_MS = 30_000;

/**
 * The health of one remote forum source (Forum.source.health), kept in keyv beside its posts, so every gateway
 * sharing the store reports the same. Every upstream answer is an observation: a success resets the failures,
 * a failure counts one more and says why. A failure is counted on the shared record as just read (two
 * gateways' failures add up); a success that changes only timestamps is written at most every 30 s, unless
 * `record` asks (a feed poll: the poller of another gateway reads its lastAttemptAt).
 */
export class ForumHealth {
  private shared: { record: HealthRecord; readAtMs: number } | null = null;
  /** A success not written yet (quiet): newer than the shared record until another gateway writes. */
  private unwritten: HealthRecord | null = null;
  private lastWriteMs = 0;

  constructor(
    private readonly keyv: Keyv,
    private readonly sourceId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get key(): string {
    return `forum:${this.sourceId}:health`;
  }

  /** `fresh`: read the shared record now (the cluster poller asks when this forum was last polled by anyone). */
  async get(itemCount = 0, fresh = false): Promise<HealthRecord> {
    return { ...(await this.read(fresh)), itemCount };
  }

  /** The shared record (read again after REREAD_MS, or now with `fresh`), or this process's newer unwritten success. */
  private async read(fresh: boolean): Promise<HealthRecord> {
    if (fresh || !this.shared || Date.now() - this.shared.readAtMs >= REREAD_MS) {
      this.shared = { record: (await this.keyv.get<HealthRecord>(this.key)) ?? pendingHealth(), readAtMs: Date.now() };
    }
    const stored = this.shared.record;
    const local = this.unwritten;
    if (local && (stored.lastAttemptAt ?? "") <= (local.lastAttemptAt ?? "")) return local;
    this.unwritten = null;
    return stored;
  }

  /** `record`: write the attempt even when only timestamps moved. */
  async success(options: { record?: boolean } = {}): Promise<void> {
    const before = await this.read(false);
    const at = this.now();
    const next = afterSuccess(before, at);
    if (!options.record && before.status === "OK" && at.getTime() - this.lastWriteMs < QUIET_WRITE_MS) {
      this.unwritten = next;
      return;
    }
    await this.write(next, at);
  }

  /** `reason` is a sentence for a forum admin; the time is added here. */
  async failure(reason: string): Promise<void> {
    const before = await this.read(true);
    const at = this.now();
    await this.write(afterFailure(before, at, `${reason} ${whenText(at)}`), at);
  }

  private async write(record: HealthRecord, at: Date): Promise<void> {
    this.lastWriteMs = at.getTime();
    this.unwritten = null;
    this.shared = { record, readAtMs: Date.now() };
    await this.keyv.set(this.key, record);
  }
}
