import type { IncomingMessage, ServerResponse } from "node:http";
import { httpStatusFor, type ErrorCode } from "../model/errors.js";

/**
 * The address a request is charged to (rate limits, per-address budgets, connection caps): the first
 * X-Forwarded-For entry when `http.trustProxy` is set, else the socket's peer. One rule for HTTP and WebSocket.
 */
export function clientIpOf(http: { trustProxy: boolean }, req: IncomingMessage): string {
  const header = req.headers["x-forwarded-for"];
  const forwarded = http.trustProxy ? [header ?? ""].flat().join(",").split(",")[0]?.trim() : undefined;
  return forwarded || req.socket.remoteAddress || "unknown";
}

export class PayloadTooLargeError extends Error {
  constructor(readonly limit: number, setting = "http.bodyLimitBytes") {
    super(`request body exceeds ${limit} bytes (${setting})`);
  }
}

/** Reads a request body, refusing (without buffering the rest) once it passes `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readBodyBytes(req, limit)).toString("utf8");
}

/** readBody's bytes, undecoded (a WebSub push is signed over its bytes, in whatever charset it is). */
export async function readBodyBytes(req: IncomingMessage, limit: number, setting?: string): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit, setting);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit, setting);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A GraphQL-shaped error response for failures that happen before GraphQL runs (size, JSON syntax). */
export function sendGraphQLError(res: ServerResponse, code: ErrorCode, message: string): void {
  const status = httpStatusFor(code);
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
