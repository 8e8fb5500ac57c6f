import type { SourceHealthRecord } from "../model/news.js";
import type { FeedSource, PollOutcome } from "../../sources/rss/index.js";
import type { Lease } from "../cluster/types.js";
import type { Logger } from "../logger.js";

/**
 * Polls each enabled source on its own timer: the interval ±10 % jitter (so sources configured alike do
 * not all fire together), doubled per consecutive failure up to `maxBackoffSeconds`, and never sooner
 * than a server's Retry-After. Polls of one source never overlap.
 *
 * Several gateway processes (`cluster` given): before polling, a process takes the source's lease
 * (`poll:<sourceId>`), then reads the shared health record; if another process polled the source less
 * than an interval ago (backoff included) it skips and sleeps until the source is due. So each source is
 * polled once per interval across the cluster, and a process that dies mid-poll loses the lease at expiry.
 */
export interface Poller {
  start(): void;
  /** Polls a source now (unless a poll of it is running, which is then awaited) and reschedules it. */
  pollNow(sourceId: string): Promise<PollOutcome | undefined>;
  /** Adds a source at runtime (stored sources): scheduled at once when polling has started (replaces one of the same id). */
  addSource(source: FeedSource): void;
  /** Stops polling a source (a poll of it that is running finishes, and is not rescheduled). */
  removeSource(sourceId: string): void;
  stop(): Promise<void>;
}

export interface PollerCluster {
  lease: Lease;
  /** The source's shared health record (its lastAttemptAt says when any process last polled it). */
  health(sourceId: string): Promise<SourceHealthRecord | null>;
  /** How long to wait before trying again when another process holds the lease. */
  busyRetryMs: number;
  /**
   * Whether the source is still to be polled (a stored source another process removed is not, though this one's sync
   * has not dropped it yet): asked under the lease before each poll; false stops this process's schedule of it.
   */
  stillPolled?(source: FeedSource): Promise<boolean>;
}

export interface PollerOptions {
  maxBackoffSeconds: number;
  logger: Logger;
  random?: () => number;
  /** Set when several processes share the store (cache.store "redis"); unset: this process is alone. */
  cluster?: PollerCluster;
}

// Over 80 lines (130): the schedule (timers per source), backoff and the cluster lease path share the poller's
// state (timers, running polls, stopped flag); the returned object is the Poller contract.
export function createPoller(sources: readonly FeedSource[], options: PollerOptions): Poller {
  const random = options.random ?? Math.random;
  const cluster = options.cluster;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<PollOutcome | undefined>>();
  const failures = new Map<string, number>();
  const byId = new Map(sources.map((s) => [s.config.id, s]));
  let stopped = false;
  let started = false;

  function schedule(source: FeedSource, delayMs: number): void {
    // A removed (or replaced) source is not rescheduled by a poll that was running when it went.
    if (stopped || byId.get(source.config.id) !== source) return;
    clearTimeout(timers.get(source.config.id));
    const timer = setTimeout(() => void run(source, false), Math.max(0, delayMs));
    timer.unref();
    timers.set(source.config.id, timer);
  }

  function backoffMs(source: FeedSource, consecutiveFailures: number): number {
    const base = source.config.pollIntervalSeconds * 1000;
    if (consecutiveFailures === 0) return base;
    return Math.min(base * 2 ** (consecutiveFailures - 1), options.maxBackoffSeconds * 1000);
  }

  function nextDelay(source: FeedSource, outcome: PollOutcome): number {
    // In a cluster the jitter only lengthens the wait: every process then wakes after the source is due.
    const jitter = cluster ? 1 + random() * 0.1 : 0.9 + random() * 0.2;
    const n = outcome.kind === "failed" ? (failures.get(source.config.id) ?? 0) + 1 : 0;
    failures.set(source.config.id, n);
    const delay = backoffMs(source, n) * jitter;
    return outcome.kind === "failed" ? Math.max(delay, outcome.retryAfterMs ?? 0) : delay;
  }

  async function pollAndSchedule(source: FeedSource): Promise<PollOutcome> {
    const outcome = await source.poll().catch((err: unknown): PollOutcome => {
      options.logger.error({ err, source: source.config.id }, "poll crashed");
      return { kind: "failed", error: "internal error" };
    });
    schedule(source, nextDelay(source, outcome));
    return outcome;
  }

  /** Cluster: poll under the source's lease, unless another process polled it recently (then undefined). */
  async function pollShared(source: FeedSource, c: PollerCluster, force: boolean): Promise<PollOutcome | undefined> {
    const id = source.config.id;
    const handle = await c.lease.acquire(`poll:${id}`);
    if (!handle) {
      schedule(source, c.busyRetryMs * (0.5 + random()));
      return undefined;
    }
    try {
      // Removed through another process: a poll now would bring back the articles its removal deleted.
      if (c.stillPolled && !(await c.stillPolled(source))) return undefined;
      if (!force) {
        const health = await c.health(id);
        const last = health?.lastAttemptAt ? Date.parse(health.lastAttemptAt) : NaN;
        const due = last + backoffMs(source, health?.consecutiveFailures ?? 0);
        if (Number.isFinite(due) && due > Date.now()) {
          schedule(source, due - Date.now() + random() * 0.1 * source.config.pollIntervalSeconds * 1000);
          return undefined;
        }
      }
      return await pollAndSchedule(source);
    } finally {
      await handle.release();
    }
  }

  async function run(source: FeedSource, force: boolean): Promise<PollOutcome | undefined> {
    const id = source.config.id;
    const inFlight = running.get(id);
    if (inFlight) return inFlight;
    const task = cluster
      ? pollShared(source, cluster, force).catch((err: unknown) => {
          // The shared store is unreachable: try again later, without polling blind.
          options.logger.warn({ err, source: id }, "could not coordinate a poll with the other gateways; retrying later");
          schedule(source, cluster.busyRetryMs * (0.5 + random()));
          return undefined;
        })
      : pollAndSchedule(source);
    running.set(id, task);
    try {
      return await task;
    } finally {
      running.delete(id);
    }
  }

  return {
    start() {
      started = true;
      for (const source of byId.values()) {
        // Spread the first polls over a few seconds so start-up is not one burst of requests.
        if (source.config.enabled) schedule(source, 250 + random() * 4750);
      }
    },
    async pollNow(sourceId) {
      const source = byId.get(sourceId);
      if (!source) return undefined;
      if (!cluster) return run(source, true);
      // Another process may be polling it right now: wait for its lease (at most about one lease TTL).
      const deadline = Date.now() + cluster.busyRetryMs * 2;
      for (;;) {
        const outcome = await run(source, true);
        if (outcome) return outcome;
        if (Date.now() >= deadline) return { kind: "failed", error: "another gateway process is polling this source; try again shortly" };
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    addSource(source) {
      const id = source.config.id;
      clearTimeout(timers.get(id));
      timers.delete(id);
      byId.set(id, source);
      failures.delete(id);
      if (started && source.config.enabled) schedule(source, 250 + random() * 4750);
    },
    removeSource(sourceId) {
      clearTimeout(timers.get(sourceId));
      timers.delete(sourceId);
      byId.delete(sourceId);
      failures.delete(sourceId);
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.allSettled(running.values());
    },
  };
}
