import { parentPort } from "node:worker_threads";
import { decodeText } from "../../src/net/index.js";
import { parseFeed } from "./parse.js";
import type { FeedParseInput } from "./index.js";

// Runs in a worker thread (src/workers/pool.ts): bytes in, a plain ParsedFeed (or an error sentence) out.
parentPort!.on("message", async (input: FeedParseInput) => {
  try {
    const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
    const format = input.contentType?.includes("json") ? "json" : "xml";
    const text = decodeText(bytes, input.charset, format);
    parentPort!.postMessage({ ok: true, value: await parseFeed(text, input.contentType, input.url ?? null) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
