import type Keyv from "keyv";
import type { ForumHealthRecord } from "../../sources/forum.js";

/**
 * The health of one remote forum source (Forum.source.health), kept in keyv beside its posts. Every upstream
 * answer is an observation: a success resets the failures, a failure counts one more and says why. Writes are
 * skipped when nothing an admin would see changed, so a busy forum does not write on every request.
 */
export class ForumHealth {
  private current: ForumHealthRecord | null = null;
  private lastWriteMs = 0;

  constructor(
    private readonly keyv: Keyv,
    private readonly sourceId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get key(): string {
    return `forum:${this.sourceId}:health`;
  }

  async get(itemCount = 0): Promise<ForumHealthRecord> {
    this.current ??= (await this.keyv.get<ForumHealthRecord>(this.key)) ?? pending();
    return { ...this.current, itemCount };
  }

  async success(): Promise<void> {
    const before = await this.get();
    const at = this.now();
    this.current = { ...before, status: "OK", lastAttemptAt: at.toISOString(), lastSuccessAt: at.toISOString(), lastError: null, consecutiveFailures: 0 };
    // Only the timestamps moved: write them at most every 30 s.
    if (before.status === "OK" && at.getTime() - this.lastWriteMs < 30_000) return;
    await this.write(at);
  }

  /** `reason` is a sentence for a forum admin; the time is added here. */
  async failure(reason: string): Promise<void> {
    const before = await this.get();
    const at = this.now();
    const failures = before.consecutiveFailures + 1;
    this.current = {
      ...before,
      status: before.lastSuccessAt && failures < 3 ? "DEGRADED" : "FAILING",
      lastAttemptAt: at.toISOString(),
      lastError: `${reason} (at ${at.toISOString().slice(0, 16).replace("T", " ")} UTC)`,
      consecutiveFailures: failures,
    };
    await this.write(at);
  }

  private async write(at: Date): Promise<void> {
    this.lastWriteMs = at.getTime();
    await this.keyv.set(this.key, this.current);
  }
}

function pending(): ForumHealthRecord {
  return { status: "PENDING", lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, itemCount: 0 };
}
