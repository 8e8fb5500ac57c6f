import type { Logger } from "../../logger.js";
import { createWorkerPool, workerFile, type WorkerPool } from "../../workers/pool.js";
import type { TermChanges, TermStats } from "./terms.js";
import type { WriteTask } from "./writes.js";

/** What the writer thread opens: the search.db file and the grouping options. */
export interface WriterInit {
  file: string;
  threshold: number;
  windowMs: number;
  /**
   * Fault injection (tests): a counter shared by every thread of this index; the write that brings it to 0 makes
   * its thread exit as a crash would, on receiving it, before it wrote anything. Replacements see it below 0 and work normally.
   */
  crashCountdown?: SharedArrayBuffer;
}

export type WriterMessage = WriteTask | { op: "close" };
export interface WriterReply {
  result: number | undefined;
  changes: TermChanges;
}

const WRITER_FILE = workerFile(import.meta.url, "./writer-worker.js");
/** A write that runs this long is stopped (its transaction rolls back) and retried once in a new thread. */
const TASK_TIMEOUT_MS = 300_000;

export interface WriterThread {
  run(task: WriteTask): Promise<number | undefined>;
  /** Threads that died and were replaced since start. */
  readonly restarts: number;
  close(): Promise<void>;
}

/**
 * The main thread's side of the search writer thread (./writer-worker.ts): tasks go to the one thread in order,
 * one at a time (the pool's queue; the search service awaits each batch, so at most one article batch and the forum
 * sync's writes wait there). Each reply's term statistics are applied to `stats`, the main thread's copy.
 *
 * A thread that dies (a crash, out of memory, a task past TASK_TIMEOUT_MS) is logged and replaced, and the task it
 * was running is sent once more to the new thread: every write is idempotent (upserts by key, grouping what is still
 * ungrouped, deleting what is still there), and a rolled-back transaction left nothing behind. If the retry fails
 * too, the task rejects, and the search service catches up from its saved position (src/search/service.ts).
 */
export function startWriterThread(init: WriterInit, stats: TermStats, logger?: Logger): WriterThread {
  const pool: WorkerPool<WriterMessage, WriterReply> = createWorkerPool(WRITER_FILE, { size: 1, taskTimeoutMs: TASK_TIMEOUT_MS, workerData: init });
  const send = async (task: WriteTask): Promise<number | undefined> => {
    try {
      const reply = await pool.run(task);
      stats.apply(reply.changes);
      return reply.result;
    } catch (err) {
      stats.reload(); // the thread rolled back, or died after committing: read the counts as they are
      throw err;
    }
  };
  return {
    async run(task) {
      const replacedBefore = pool.replaced;
      try {
        return await send(task);
      } catch (err) {
        if (pool.replaced === replacedBefore) throw err; // an SQL error: retrying gives the same
        logger?.error({ err, op: task.op }, "search writer thread died; restarted it and retrying its task once");
        return send(task);
      }
    },
    get restarts() {
      return pool.replaced;
    },
    async close() {
      await pool.run({ op: "close" }).catch(() => undefined);
      await pool.close();
    },
  };
}
