import type { Logger } from "../logger.js";
import type { SourceStore, StoredSource } from "./source-store.js";

/**
 * Keeps one gateway's running sources in step with the stored ones: every `intervalMs` it reads the change
 * counter, and when it moved, the rows, and hands them to `apply` (which starts what is new or changed and stops
 * what is gone). So a source added through any gateway of a cluster is polled by all of them within one interval,
 * without a restart; poll leases (src/news/poller.ts) keep it polled once per interval across the cluster.
 * Mutations call `syncNow()` so the process that took the change applies it before it answers.
 */
export interface SourceSync {
  start(): void;
  /** Reads and applies now (calls are queued: one sync at a time). */
  syncNow(): Promise<void>;
  stop(): Promise<void>;
}

export interface SourceSyncOptions {
  store: SourceStore;
  /** Starts, replaces and stops sources so that the running set is exactly `rows` (besides the config file's). */
  apply(rows: StoredSource[]): void;
  intervalMs: number;
  logger: Logger;
}

export function createSourceSync(options: SourceSyncOptions): SourceSync {
  let seen = -1;
  let queue: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function once(): Promise<void> {
    const seq = await options.store.seq();
    if (seq === seen) return;
    options.apply(await options.store.list());
    seen = seq;
  }

  function syncNow(): Promise<void> {
    const run = queue.then(once);
    queue = run.catch(() => {});
    return run;
  }

  function tick(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      syncNow()
        .catch((err: unknown) => options.logger.warn({ err }, "could not read the stored sources; trying again at the next sync"))
        .finally(tick);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (!timer && !stopped) tick();
    },
    syncNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await queue;
    },
  };
}
