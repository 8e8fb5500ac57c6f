import type { FeedSource, PollOutcome } from "../../sources/rss/index.js";
import type { Logger } from "../logger.js";

/**
 * Polls each enabled source on its own timer: the interval ±10 % jitter (so sources configured alike do
 * not all fire together), doubled per consecutive failure up to `maxBackoffSeconds`, and never sooner
 * than a server's Retry-After. Polls of one source never overlap.
 */
export interface Poller {
  start(): void;
  /** Polls a source now (unless a poll of it is running, which is then awaited) and reschedules it. */
  pollNow(sourceId: string): Promise<PollOutcome | undefined>;
  stop(): Promise<void>;
}

export function createPoller(sources: readonly FeedSource[], options: { maxBackoffSeconds: number; logger: Logger; random?: () => number }): Poller {
  const random = options.random ?? Math.random;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<PollOutcome>>();
  const failures = new Map<string, number>();
  const byId = new Map(sources.map((s) => [s.config.id, s]));
  let stopped = false;

  function schedule(source: FeedSource, delayMs: number): void {
    if (stopped) return;
    clearTimeout(timers.get(source.config.id));
    const timer = setTimeout(() => void run(source), delayMs);
    timer.unref();
    timers.set(source.config.id, timer);
  }

  function nextDelay(source: FeedSource, outcome: PollOutcome): number {
    const base = source.config.pollIntervalSeconds * 1000;
    const jitter = 0.9 + random() * 0.2;
    if (outcome.kind !== "failed") {
      failures.set(source.config.id, 0);
      return base * jitter;
    }
    const n = (failures.get(source.config.id) ?? 0) + 1;
    failures.set(source.config.id, n);
    const backoff = Math.min(base * 2 ** (n - 1), options.maxBackoffSeconds * 1000) * jitter;
    return Math.max(backoff, outcome.retryAfterMs ?? 0);
  }

  async function run(source: FeedSource): Promise<PollOutcome> {
    const id = source.config.id;
    const inFlight = running.get(id);
    if (inFlight) return inFlight;
    const task = source.poll().catch((err: unknown): PollOutcome => {
      options.logger.error({ err, source: id }, "poll crashed");
      return { kind: "failed", error: "internal error" };
    });
    running.set(id, task);
    try {
      const outcome = await task;
      schedule(source, nextDelay(source, outcome));
      return outcome;
    } finally {
      running.delete(id);
    }
  }

  return {
    start() {
      for (const source of sources) {
        // Spread the first polls over a few seconds so start-up is not one burst of requests.
        if (source.config.enabled) schedule(source, 250 + random() * 4750);
      }
    },
    async pollNow(sourceId) {
      const source = byId.get(sourceId);
      return source ? run(source) : undefined;
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.allSettled(running.values());
    },
  };
}
