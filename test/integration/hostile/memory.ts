import v8 from "node:v8";
import vm from "node:vm";

/**
 * A real garbage collection inside a vitest worker. vitest runs test files in child processes (or threads)
 * it starts itself, so `node --expose-gc` on the command line does not reach them, and this suite must not
 * depend on a flag in vitest.config.ts. Node lets a running process turn the flag on: after
 * `v8.setFlagsFromString("--expose-gc")`, a fresh V8 context has a `gc` global, which collects the whole
 * main isolate (the same heap as the test and the in-process gateways). If even that is refused, the
 * fallback is to churn allocations and wait, so that V8's own heuristics run several collections.
 */
export function findGc(): { gc: () => void; how: string } {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return { gc: existing, how: "global.gc (node --expose-gc)" };
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    if (typeof gc === "function") return { gc: gc as () => void, how: "v8.setFlagsFromString('--expose-gc') + vm.runInNewContext('gc')" };
  } catch {
    // fall through
  }
  return {
    gc: () => {
      let keep = 0;
      for (let i = 0; i < 20; i++) keep += Buffer.alloc(4 * 1024 * 1024).length + new Array(200_000).fill(i).length;
      if (keep < 0) console.log(keep);
    },
    how: "no gc available: allocation churn and settle delays",
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * RSS after the process has settled. A forced GC only reaches the main isolate; the gateway's feed-parse
 * worker thread has a heap of its own, which V8's memory reducer shrinks only after several seconds of idle
 * time (a 20,000-level XML feed leaves ~18 MB there until then). So: collect, stay idle for `idleMs` (the
 * memory reducer runs about 8 s after the last allocation burst), collect again a few times, then read RSS.
 */
export async function settledRss(gc: () => void, idleMs = 9_000): Promise<number> {
  gc();
  await sleep(idleMs);
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(100);
  }
  return process.memoryUsage().rss;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
