import { ServiceUnavailableError } from "../model/errors.js";
import type { Lease } from "./types.js";

/** Runs `fn` alone: no other writer holding the same lock runs at the same time. */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

/** One process: calls queue behind each other (store calls are async, so read-modify-writes could interleave). */
export function localExclusive(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Several processes: the local queue first (a process does not spin against itself), then a Redis lease
 * named `name`, retried every few milliseconds for up to `waitMs` (a holder that died frees it after the
 * lease TTL). Gives up with ServiceUnavailableError, so the write fails rather than racing.
 */
export function leaseExclusive(lease: Lease, name: string, waitMs: number): Exclusive {
  const local = localExclusive();
  return <T>(fn: () => Promise<T>) =>
    local(async () => {
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        const handle = await lease.acquire(name);
        if (handle) {
          try {
            return await fn();
          } finally {
            await handle.release();
          }
        }
        if (Date.now() >= deadline) throw new ServiceUnavailableError("article write lock", `still held by another process after ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** Math.min(attempt, 4), 80) + Math.random() * 10));
      }
    });
}
