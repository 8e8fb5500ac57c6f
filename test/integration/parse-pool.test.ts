import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultParseWorkers } from "../../src/app/net.js";
import { lendRenders, renderHtml } from "../../src/html/index.js";
import { parseFeed } from "../../sources/poll.js";
import { PARSE_WORKER_FILE } from "../../sources/rss/index.js";
import { fromRoot } from "../../src/paths.js";
import { createWorkerPool, type WorkerPool } from "../../src/workers/pool.js";
import type { ParsedFeed } from "../../src/model/news.js";
import type { ProbeTask } from "../fixtures/workers/probe-worker.js";

const PROBE = fromRoot("test/fixtures/workers/probe-worker.ts");
type Probe = WorkerPool<ProbeTask, { threadId: number; together?: boolean }>;

describe("the parse worker pool (src/workers/pool.ts)", () => {
  let pool: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("runs tasks on several workers at once", async () => {
    const probe: Probe = createWorkerPool(PROBE, { size: 3, taskTimeoutMs: 20_000 });
    pool = probe;
    const arrived = new SharedArrayBuffer(4);
    // Each task waits until all three are running: they only get there if the pool ran them on three workers.
    const answers = await Promise.all([1, 2, 3].map(() => probe.run({ op: "together", arrived, expected: 3 })));
    expect(answers.every((a) => a.together)).toBe(true);
    expect(new Set(answers.map((a) => a.threadId)).size).toBe(3);
    expect(probe.size).toBe(3);
    expect(probe.tasksRun).toBe(3);
  });

  it("replaces a worker that dies during a task, and fails that task with the reason", async () => {
    const probe: Probe = createWorkerPool(PROBE, { size: 2, taskTimeoutMs: 20_000 });
    pool = probe;
    const before = new Set((await Promise.all([probe.run({ op: "id" }), probe.run({ op: "id" })])).map((a) => a.threadId));
    await expect(probe.run({ op: "exit", code: 3 })).rejects.toThrow("worker exited with code 3");
    expect(probe.replaced).toBe(1);
    expect(probe.size).toBe(2);
    // The pool still runs two tasks at once, one of them on the new worker.
    const arrived = new SharedArrayBuffer(4);
    const after = await Promise.all([1, 2].map(() => probe.run({ op: "together", arrived, expected: 2 })));
    expect(after.every((a) => a.together)).toBe(true);
    expect(after.filter((a) => !before.has(a.threadId))).toHaveLength(1);
  });

  it("replaces a worker that dies while idle, without taking the process down", async () => {
    const probe: Probe = createWorkerPool(PROBE, { size: 1, taskTimeoutMs: 20_000 });
    pool = probe;
    const first = await probe.run({ op: "throwWhenIdle" });
    await vi.waitFor(() => expect(probe.replaced).toBe(1), { timeout: 10_000 });
    const next = await probe.run({ op: "id" });
    expect(next.threadId).not.toBe(first.threadId);
  });

  it("defaults to one worker per spare core, at most 4, at least 1", () => {
    expect([1, 2, 3, 5, 64].map((cores) => defaultParseWorkers(cores))).toEqual([1, 1, 2, 4, 4]);
  });
});

describe("summaries rendered in the parse worker", () => {
  const rss = (summary: string) =>
    Buffer.from(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>One</title><link>https://example.com/1</link>` +
      `<description>${summary.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</description></item></channel></rss>`);

  it("come back with the item, equal to what the main thread would render", async () => {
    const parser = createWorkerPool<Parameters<typeof parseFeed>[1] & { bytes: Uint8Array }, ParsedFeed>(PARSE_WORKER_FILE, { size: 1, taskTimeoutMs: 20_000 });
    try {
      const summary = `<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:y()">there</a> &amp; <b>bold</b></p>`;
      const body = { bytes: rss(summary), contentType: "application/rss+xml", charset: "utf-8" };
      const [item] = (await parseFeed(parser as never, body, { renderSummaries: true })).items;
      expect(item!.summaryHtml).toBe(summary);
      expect(item!.summaryRendered).toEqual({ ...renderHtml(summary) });
      // Only when asked (forum feeds render post bodies on read, not here).
      const [plain] = (await parseFeed(parser as never, body)).items;
      expect(plain!.summaryRendered).toBeUndefined();
    } finally {
      await parser.close();
    }
  });

  it("are lent to renderHtml while the store step runs, and only then", async () => {
    const lent = { html: "<p>lent</p>", text: "lent" };
    const inside = await lendRenders([["<p>raw</p>", lent]], async () => renderHtml("<p>raw</p>"));
    expect(inside).toBe(lent);
    expect(renderHtml("<p>raw</p>")).toEqual({ html: "<p>raw</p>", text: "raw" });
  });
});
