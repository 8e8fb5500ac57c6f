import { readFile } from "node:fs/promises";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** A canned answer. `delayMs` waits before the headers are sent (a slow server, not a slow body). */
export interface FixtureResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
}

/** A canned answer, or a function that writes the response itself (slow drips, endless bodies, bombs, loops). */
export type FixtureHandler = FixtureResponse | ((req: IncomingMessage, res: ServerResponse) => void | Promise<void>);

export interface FixtureServer {
  /** `http://<host>:<port><path>` */
  url(path: string): string;
  /** `"<host>:<port>"`, e.g. `"127.0.0.1:43121"` */
  host: string;
  /** Answers requests whose pathname is exactly `path` (the query is ignored); replaces an earlier route. */
  route(path: string, handler: FixtureHandler): void;
  /** Serves `file` with status 200; the file is read from disk on each request. */
  serveFile(path: string, file: string, headers?: Record<string, string>): void;
  /** Requests received for a pathname, routed or not. */
  hits(path: string): number;
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  /** Stops listening and destroys every open socket, including ones a hostile handler keeps busy. */
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (or `options.host`) and a free port. Unknown paths answer 404. */
export async function startFixtureServer(options: { host?: string } = {}): Promise<FixtureServer> {
  const listenHost = options.host ?? "127.0.0.1";
  const routes = new Map<string, FixtureHandler>();
  const requests: FixtureServer["requests"] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://fixture.invalid").pathname;
    requests.push({ method: req.method ?? "GET", path, headers: req.headers });
    const handler = routes.get(path) ?? { status: 404, headers: { "content-type": "text/plain" }, body: "not found" };
    void handle(handler, req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, listenHost, () => resolve());
  });

  const { port } = server.address() as { port: number };
  const host = `${listenHost.includes(":") ? `[${listenHost}]` : listenHost}:${port}`;
  return {
    host,
    requests,
    url: (path) => `http://${host}${path}`,
    route: (path, handler) => void routes.set(path, handler),
    serveFile(path, file, headers = {}) {
      routes.set(path, async (_req, res) => {
        const body = await readFile(file);
        res.writeHead(200, { "content-length": String(body.length), ...headers });
        res.end(body);
      });
    },
    hits: (path) => requests.filter((r) => r.path === path).length,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

async function handle(handler: FixtureHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (typeof handler === "function") await handler(req, res);
    else await answer(handler, res);
  } catch (error) {
    // A broken handler must show up as a 500 (or a cut connection), not as an unhandled rejection.
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    else res.destroy();
  }
}

async function answer(response: FixtureResponse, res: ServerResponse): Promise<void> {
  if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
  if (res.destroyed) return; // the client gave up while we were waiting
  const headers = { ...response.headers };
  const hasLength = Object.keys(headers).some((name) => name.toLowerCase() === "content-length");
  if (response.body !== undefined && !hasLength) headers["content-length"] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status ?? 200, headers);
  res.end(response.body);
}
