import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction, Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { connectTimeoutError, requestError } from "./errors.js";

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export interface HopOptions {
  agents: Agents;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Replaces DNS resolution (tests). The agent still checks the address it returns, at connect time. */
  lookup?: LookupFunction | undefined;
  /** Aborted by the fetch's total timeout; its reason is the error to reject with. */
  signal: AbortSignal;
  /** A POST body (with its content type already in `headers`); GET without. */
  body?: string | undefined;
}

/**
 * One GET (or POST, with `body`), up to the response headers. Rejects with a FetchError; on any failure or abort the request and its
 * socket are destroyed, not left for the server to close.
 */
export function openResponse(url: URL, options: HopOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal.aborted) return reject(signal.reason);
    const agent = url.protocol === "https:" ? options.agents.https : options.agents.http;
    const transport = url.protocol === "https:" ? https : http;
    let connectTimer: NodeJS.Timeout | undefined;
    const fail = (error: unknown) => {
      settle();
      reject(error);
      req.destroy();
    };
    const settle = () => {
      clearTimeout(connectTimer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => fail(signal.reason);

    const req = transport.request(url, {
      method: options.body === undefined ? "GET" : "POST",
      agent,
      headers: options.headers,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    signal.addEventListener("abort", onAbort, { once: true });
    // Stays attached after settling: a destroyed request may still emit an error nobody else listens for.
    req.on("error", (error) => fail(requestError(error, url)));
    req.on("socket", (socket: Socket) => {
      if (!socket.connecting) return; // a reused keep-alive socket
      const limit = options.connectTimeoutMs;
      connectTimer = setTimeout(() => fail(connectTimeoutError(url, limit)), limit);
      socket.once(socket instanceof TLSSocket ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    });
    req.on("response", (res) => {
      settle();
      resolve(res);
    });
    req.end(options.body);
  });
}
