/**
 * Fixture upstreams for the bench (the ideas of test/helpers/fixture-server.ts and fake-dns.ts, copied:
 * bench code does not import from test/). A real HTTP server on loopback with routes, a configurable latency
 * before the headers, conditional GET on an ETag, and hit counters.
 */
import http from "node:http";
import { isIP } from "node:net";

/**
 * @param {{ host?: string, latencyMs?: number }} options
 */
export async function startUpstream({ host = "127.0.0.1", latencyMs = 0 } = {}) {
  const routes = new Map();
  const hits = new Map();
  const sockets = new Set();
  let total = 0;
  let notModified = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://upstream.invalid").pathname;
    total += 1;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => (inFlight -= 1));
    const route = routes.get(path);
    const send = () => {
      if (res.destroyed) return;
      if (!route) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      if (route.etag && req.headers["if-none-match"] === route.etag) {
        notModified += 1;
        res.writeHead(304, { etag: route.etag }).end();
        return;
      }
      const headers = { "content-type": route.contentType, "content-length": String(route.body.length) };
      if (route.etag) headers.etag = route.etag;
      res.writeHead(200, headers).end(route.body);
    };
    const delay = route?.latencyMs ?? latencyMs;
    if (delay > 0) setTimeout(send, delay);
    else send();
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address();
  return {
    host,
    port,
    url: (path, name = host) => `http://${name}:${port}${path}`,
    /** `body` as a string or Buffer; `etag` turns on 304 answers to a matching If-None-Match. */
    route(path, { body, contentType = "text/html; charset=utf-8", etag = null, latencyMs: routeLatency } = {}) {
      routes.set(path, { body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType, etag, latencyMs: routeLatency });
    },
    hits: (path) => hits.get(path) ?? 0,
    get total() {
      return total;
    },
    get notModified() {
      return notModified;
    },
    /** Most requests in flight at once since the last reset (what the gateway's concurrency caps allowed). */
    get maxInFlight() {
      return maxInFlight;
    },
    reset() {
      hits.clear();
      total = 0;
      notModified = 0;
      maxInFlight = inFlight;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** A DNS resolver with a fixed table (name → address); unknown names fail like NXDOMAIN. */
export function fakeDns(table) {
  return (hostname, options, callback) => {
    const cb = typeof options === "function" ? options : callback;
    const all = typeof options === "object" && options !== null && options.all === true;
    const address = isIP(hostname) ? hostname : table[hostname];
    if (!address) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
      process.nextTick(() => cb(error));
      return;
    }
    const family = isIP(address);
    process.nextTick(() => (all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  };
}
