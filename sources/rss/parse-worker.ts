import { parentPort } from "node:worker_threads";
import { boundHtml, renderHtml } from "../../src/html/index.js";
import type { ParsedFeed } from "../../src/model/news.js";
import { decodeText } from "../../src/net/index.js";
import { parseFeed } from "./parse.js";
import type { FeedParseInput } from "./index.js";

// Runs in a worker thread (src/workers/pool.ts): bytes in, a plain ParsedFeed (or an error sentence) out.
parentPort!.on("message", async (input: FeedParseInput) => {
  try {
    const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
    const format = input.contentType?.includes("json") ? "json" : "xml";
    const text = decodeText(bytes, input.charset, format);
    const feed = await parseFeed(text, input.contentType, input.url ?? null);
    if (input.renderSummaries) renderSummaries(feed);
    parentPort!.postMessage({ ok: true, value: feed });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});

/**
 * Sanitizing a summary and taking its text (sanitize-html, html-to-text) was more than half of the main thread's
 * store step per item (bench/README.md, scenario 4); done here, the main thread takes the result (src/html
 * lendRenders) instead of computing it. Every
 * summary is rendered, changed or not: the store only renders new and changed ones, but that costs this thread, not
 * the one answering requests.
 */
function renderSummaries(feed: ParsedFeed): void {
  for (const item of feed.items) {
    if (item.summaryHtml === null) continue;
    const bounded = boundHtml(item.summaryHtml);
    const { html, text } = renderHtml(bounded);
    item.summaryRendered = bounded === item.summaryHtml ? { html, text } : { html, text, bounded };
  }
}
