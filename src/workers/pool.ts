import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * The file of a worker module that sits next to the module asking for it (`base` is that module's
 * `import.meta.url`, `relative` the built name, e.g. "./parse-worker.js"). Built code (dist/…/x.js) gets the
 * built worker; code running from TypeScript sources (the tests, through Vitest) gets the `.ts` source next to
 * it, which the pool loads through tsx. Before this, the tests ran the worker from dist/ and a stale build
 * was tested without anyone noticing.
 */
export function workerFile(base: string, relative: string): string {
  const file = fileURLToPath(new URL(relative, base));
  return base.endsWith(".ts") ? file.replace(/\.js$/, ".ts") : file;
}

/** Loads a .ts worker through tsx's ESM hooks (a devDependency: only the tests run workers from source). */
function tsWorker(file: string, workerData: unknown): Worker {
  // The ESM entry: the CommonJS one (what require.resolve finds) cannot register ESM hooks from a data: URL module.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const boot = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(pathToFileURL(file).href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}

/**
 * A small pool of worker threads running one module. CPU-heavy work (parsing a 50 MB feed blocks for over
 * a second) runs here so that it never stalls the GraphQL requests on the main thread. A task goes to the first
 * idle worker; tasks wait in order when all are busy.
 *
 * A task that runs past `taskTimeoutMs` terminates its worker (the only way to stop synchronous code);
 * the worker is replaced and the task rejected. A worker that dies (an uncaught error, `process.exit`, out of
 * memory) is replaced too, busy or idle, and the task it was running fails with the reason.
 */
export interface WorkerPool<In, Out> {
  run(input: In, transfer?: ArrayBuffer[]): Promise<Out>;
  /** Tasks started since creation (tests use it to prove work was or was not done). */
  readonly tasksRun: number;
  /** Workers in the pool (busy or idle). */
  readonly size: number;
  /** Workers that died or were stopped and were replaced, since creation. */
  readonly replaced: number;
  close(): Promise<void>;
}

interface Task<In, Out> {
  input: In;
  transfer?: ArrayBuffer[];
  resolve(value: Out): void;
  reject(error: Error): void;
}

interface Slot<In, Out> {
  worker: Worker;
  task: Task<In, Out> | null;
  timer?: NodeJS.Timeout;
  /** Terminated or exited: whatever it still says is ignored, and it is replaced once. */
  dead: boolean;
}

type Outcome<Out> = { ok: true; value: Out } | { ok: false; error: string };

// Long on purpose (88 lines): spawn, settle and dispatch share the pool's state (the queue, the slots, the counters);
// each is under 25 lines, and a class would only turn the closures into methods over the same fields.
export function createWorkerPool<In, Out>(
  file: string,
  options: { size: number; taskTimeoutMs: number; /** Handed to every worker (`workerData`), a replacement too. */ workerData?: unknown },
): WorkerPool<In, Out> {
  if (!existsSync(file)) {
    throw new Error(`worker module ${file} does not exist${file.endsWith(".js") ? "; run `npm run build` first" : ""}`);
  }
  const queue: Task<In, Out>[] = [];
  const slots: Slot<In, Out>[] = [];
  let tasksRun = 0;
  let replaced = 0;
  let closed = false;

  // The listeners stay for the worker's life: a worker that dies while idle is replaced as well (an 'error' event
  // with no listener would otherwise take the whole process down).
  const spawn = (): Slot<In, Out> => {
    const slot: Slot<In, Out> = { worker: file.endsWith(".ts") ? tsWorker(file, options.workerData) : new Worker(file, { workerData: options.workerData }), task: null, dead: false };
    slot.worker.unref();
    slot.worker.on("message", (message: Outcome<Out>) => {
      if (!slot.dead) settle(slot, message.ok ? message : new Error(message.error), false);
    });
    slot.worker.on("error", (error: Error) => settle(slot, error, true));
    slot.worker.on("exit", (code: number) => settle(slot, new Error(`worker exited with code ${code}`), true));
    return slot;
  };
  for (let i = 0; i < Math.max(1, options.size); i++) slots.push(spawn());

  function settle(slot: Slot<In, Out>, outcome: { ok: true; value: Out } | Error, replace: boolean): void {
    if (replace) {
      if (slot.dead) return;
      slot.dead = true;
      void slot.worker.terminate();
      if (!closed) {
        slots[slots.indexOf(slot)] = spawn();
        replaced += 1;
      }
    }
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = null;
    if (task) {
      if (outcome instanceof Error) task.reject(outcome);
      else task.resolve(outcome.value);
    }
    dispatch();
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (closed || queue.length === 0) return;
      if (slot.task || slot.dead) continue;
      const task = queue.shift()!;
      slot.task = task;
      tasksRun += 1;
      slot.timer = setTimeout(
        () => settle(slot, new Error(`worker task took longer than ${options.taskTimeoutMs} ms and was stopped`), true),
        options.taskTimeoutMs,
      );
      slot.worker.postMessage(task.input, task.transfer ?? []);
    }
  }

  return {
    run(input, transfer) {
      if (closed) return Promise.reject(new Error("worker pool is closed"));
      return new Promise<Out>((resolve, reject) => {
        queue.push({ input, transfer, resolve, reject });
        dispatch();
      });
    },
    get tasksRun() {
      return tasksRun;
    },
    get size() {
      return slots.length;
    },
    get replaced() {
      return replaced;
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error("worker pool is closed"));
      for (const slot of slots) {
        clearTimeout(slot.timer);
        slot.task?.reject(new Error("worker pool is closed"));
        slot.task = null;
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
