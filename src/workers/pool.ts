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
function tsWorker(file: string): Worker {
  // The ESM entry: the CommonJS one (what require.resolve finds) cannot register ESM hooks from a data: URL module.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const boot = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(pathToFileURL(file).href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
}

/**
 * A small pool of worker threads running one module. CPU-heavy work (parsing a 50 MB feed blocks for over
 * a second) runs here so that it never stalls the GraphQL requests on the main thread.
 *
 * A task that runs past `taskTimeoutMs` terminates its worker (the only way to stop synchronous code);
 * the worker is replaced and the task rejected.
 */
export interface WorkerPool<In, Out> {
  run(input: In, transfer?: ArrayBuffer[]): Promise<Out>;
  /** Tasks started since creation (tests use it to prove work was or was not done). */
  readonly tasksRun: number;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Task<In, Out> {
  input: In;
  transfer?: ArrayBuffer[];
  resolve(value: Out): void;
  reject(error: Error): void;
}

export function createWorkerPool<In, Out>(file: string, options: { size: number; taskTimeoutMs: number }): WorkerPool<In, Out> {
  if (!existsSync(file)) {
    throw new Error(`worker module ${file} does not exist${file.endsWith(".js") ? "; run `npm run build` first" : ""}`);
  }
  const queue: Task<In, Out>[] = [];
  const slots: Slot[] = [];
  let tasksRun = 0;
  let closed = false;

  const spawn = (): Slot => {
    const slot: Slot = { worker: file.endsWith(".ts") ? tsWorker(file) : new Worker(file), busy: false };
    slot.worker.unref();
    return slot;
  };
  for (let i = 0; i < Math.max(1, options.size); i++) slots.push(spawn());

  function dispatch(): void {
    const free = slots.findIndex((s) => !s.busy);
    if (free < 0 || queue.length === 0 || closed) return;
    const task = queue.shift()!;
    const slot = slots[free]!;
    slot.busy = true;
    tasksRun += 1;
    const finish = (settle: () => void, replace: boolean) => {
      clearTimeout(timer);
      slot.worker.off("message", onMessage);
      slot.worker.off("error", onError);
      slot.worker.off("exit", onExit);
      if (replace) {
        void slot.worker.terminate();
        slots[slots.indexOf(slot)] = spawn();
      } else {
        slot.busy = false;
      }
      settle();
      dispatch();
    };
    const onMessage = (message: { ok: true; value: Out } | { ok: false; error: string }) =>
      finish(() => (message.ok ? task.resolve(message.value) : task.reject(new Error(message.error))), false);
    const onError = (error: Error) => finish(() => task.reject(error), true);
    const onExit = (code: number) => finish(() => task.reject(new Error(`worker exited with code ${code}`)), true);
    const timer = setTimeout(
      () => finish(() => task.reject(new Error(`worker task took longer than ${options.taskTimeoutMs} ms and was stopped`)), true),
      options.taskTimeoutMs,
    );
    slot.worker.on("message", onMessage);
    slot.worker.once("error", onError);
    slot.worker.once("exit", onExit);
    slot.worker.postMessage(task.input, task.transfer ?? []);
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
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error("worker pool is closed"));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
