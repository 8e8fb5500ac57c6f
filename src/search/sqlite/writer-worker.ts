import { parentPort, workerData } from "node:worker_threads";
import { openSearchDatabase } from "./migrations.js";
import { TermStats } from "./terms.js";
import { createIndexWrites, runWriteTask } from "./writes.js";
import type { WriterInit, WriterMessage, WriterReply } from "./writer-thread.js";

/**
 * The search writer thread: every write to search.db runs here, over this thread's own connection (WAL: the main
 * thread's connection keeps reading while a batch is written). Tasks come one at a time from ./writer-thread.ts;
 * each reply carries the term statistics it changed, which the main thread's copy applies.
 */
const init = workerData as WriterInit;
const db = openSearchDatabase(init.file);
const stats = new TermStats(db);
stats.takeChanges();
const countdown = init.crashCountdown ? new Int32Array(init.crashCountdown) : null;
const writes = createIndexWrites(db, stats, { threshold: init.threshold, windowMs: init.windowMs });

parentPort!.on("message", (message: WriterMessage) => {
  if (countdown && message.op !== "close" && Atomics.sub(countdown, 0, 1) === 1) process.exit(1);
  try {
    if (message.op === "close") {
      db.close();
      parentPort!.postMessage({ ok: true, value: { result: undefined, changes: { documents: 0, df: [] } } } satisfies { ok: true; value: WriterReply });
      return;
    }
    const result = runWriteTask(writes, message);
    parentPort!.postMessage({ ok: true, value: { result, changes: stats.takeChanges() } } satisfies { ok: true; value: WriterReply });
  } catch (err) {
    stats.takeChanges(); // the main thread reloads its copy after any failed write
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
