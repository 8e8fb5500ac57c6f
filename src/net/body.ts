import type { IncomingMessage } from "node:http";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { bodyError, tooLargeError } from "./errors.js";

export interface BodyOptions {
  url: URL;
  /** Cap on decoded bytes. */
  maxBytes: number;
  signal: AbortSignal;
}

/**
 * Reads and decompresses a response body, counting decoded bytes: the moment the count passes `maxBytes` the
 * response and every decompressor are destroyed, so a gzip bomb costs at most one chunk over the cap.
 */
export function readBody(res: IncomingMessage, options: BodyOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { url, maxBytes, signal } = options;
    let stages: Transform[];
    try {
      stages = decoders(res.headers["content-encoding"], url);
    } catch (error) {
      res.destroy();
      return reject(error);
    }
    const streams: Readable[] = [res, ...stages];
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (error: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (error === null && body) return resolve(body);
      for (const stream of streams) stream.destroy();
      reject(error);
    };
    const onAbort = () => finish(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });

    // Content-Length counts encoded bytes, so it is a decoded size only without Content-Encoding.
    const declared = Number(res.headers["content-length"]);
    if (stages.length === 0 && declared > maxBytes) return finish(tooLargeError(url, maxBytes));
    const output = stages.reduce<Readable>((input, stage) => input.pipe(stage), res);
    output.on("data", (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) return finish(tooLargeError(url, maxBytes));
      chunks.push(chunk);
    });
    output.on("end", () => finish(null, Buffer.concat(chunks, total)));
    for (const stream of streams) stream.on("error", (error) => finish(bodyError(error, url)));
  });
}

/**
 * Content codings decoded in a chain at most. No server we know of compresses twice; each stage is a zlib
 * stream (~10 KB of state, 64 KB windows), and a header listing "gzip" 10,000 times would build 10,000 of
 * them before the first byte: a chain longer than this is refused like an unknown coding.
 */
export const MAX_CODINGS = 2;

/** Decompressors for a Content-Encoding list, in the order they must run (the last one applied runs first). */
function decoders(header: string | string[] | undefined, url: URL): Transform[] {
  const codings = [header ?? ""].flat().join(",")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length > MAX_CODINGS) {
    throw bodyError(new Error(`Content-Encoding lists ${codings.length} codings; at most ${MAX_CODINGS} are decoded`), url);
  }
  return codings.reverse().map((coding) => decoder(coding, url));
}

// Like browsers and curl, accept a compressed stream that stops short of its trailer: some servers cut it.
const LENIENT = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

function decoder(coding: string, url: URL): Transform {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(LENIENT);
    case "deflate":
      return zlib.createInflate(LENIENT);
    case "br":
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      throw bodyError(new Error(`unsupported Content-Encoding "${coding}" (we ask for gzip, deflate or br)`), url);
  }
}
