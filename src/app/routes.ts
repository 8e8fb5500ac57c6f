import type http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from "@apollo/server";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import { ErrorCode, ServiceUnavailableError } from "../model/errors.js";
import type { Live } from "../live/index.js";
import type { Logger } from "../logger.js";
import { GRAPHQL_PATH } from "../server/apollo.js";
import { applyCors } from "../server/cors.js";
import { clientIpOf, PayloadTooLargeError, readBody, sendGraphQLError, sendText } from "../http/messages.js";
import type { Buckets } from "../server/buckets.js";
import type { Metrics } from "../server/metrics.js";
import { limited } from "../server/rate-limit.js";
import { spliceCachedData } from "../server/response-cache.js";
import { PLAYGROUND_PATH, readPlaygroundAsset, renderPlayground } from "../server/playground.js";
import { checkReadiness, type ReadinessProbe } from "../cache/readiness.js";
import type { Syndication } from "../syndication/index.js";
import type { RequestContext } from "./context.js";

/**
 * The HTTP transport: one `request` listener on the gateway's server that routes POST/GET /graphql to Apollo,
 * WebSub callbacks to src/live, /feeds/* to syndication, and serves the probes, /metrics and the Playground.
 * (The WebSocket transport is src/live/server.ts, on the same server's `upgrade` event.)
 */
export interface RouteDeps {
  config: Config;
  logger: Logger;
  apollo: ApolloServer<Context>;
  createContext: RequestContext;
  live: Live;
  syndication: Syndication;
  /** The per-address cost budget GraphQL requests spend (src/server/rate-limit.ts); /feeds/* pages spend it too. */
  costBudget?: Buckets;
  metrics: Metrics;
  readiness: readonly ReadinessProbe[];
}

export function attachRoutes(httpServer: http.Server, deps: RouteDeps): void {
  httpServer.on("request", (req, res) => {
    route(deps, req, res).catch((err: unknown) => answerFailure(deps.logger, req, res, err));
  });
}

function answerFailure(logger: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (err instanceof PayloadTooLargeError) {
    // The rest of the body is never read, so the connection cannot carry another request: close it.
    // The socket is taken now: by the time the response has finished, the request may have let go of it.
    const socket = req.socket;
    res.setHeader("connection", "close");
    sendGraphQLError(res, ErrorCode.PAYLOAD_TOO_LARGE, err.message);
    res.once("finish", () => socket?.destroySoon());
    return;
  }
  if (err instanceof ServiceUnavailableError && !res.headersSent) {
    // A feed or route that needs a shared store that is down: the client may retry shortly.
    sendText(res, 503, `${err.message}\n`, { "retry-after": "5", "cache-control": "no-store" });
    return;
  }
  logger.error({ err, url: req.url }, "request failed");
  if (!res.headersSent) sendGraphQLError(res, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
  else res.destroy();
}

async function route(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  if (pathname === GRAPHQL_PATH) {
    if (applyCors(req, res, deps.config.http.corsOrigins) === "preflight") return;
    return handleGraphQL(deps, req, res);
  }
  if (deps.live.websub && (await deps.live.websub.handle(req, res))) return;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return sendText(res, 405, "Method not allowed\n", { allow: "GET, HEAD" });
  }
  if (pathname.startsWith("/feeds/") && !chargeFeed(deps, req, res)) return;
  if (await deps.syndication.handle(req, res)) return;
  if (await serveProbe(deps, pathname, req, res)) return;
  if (await servePlayground(pathname, req, res)) return;
  sendText(res, 404, `Not found: ${pathname}\nGraphQL is at ${GRAPHQL_PATH}, the Playground at ${PLAYGROUND_PATH}.\n`);
}

async function handleGraphQL(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  let body: unknown;
  if (req.method === "POST") {
    const text = await readBody(req, deps.config.http.bodyLimitBytes);
    if ((headers.get("content-type") ?? "").includes("json") && text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        sendGraphQLError(res, ErrorCode.BAD_REQUEST, `request body is not valid JSON: ${(err as Error).message}`);
        return;
      }
    } else {
      body = text;
    }
  }
  const request: HTTPGraphQLRequest = { method: req.method ?? "GET", headers, search: url.search, body };
  const clientIp = clientIpOf(deps.config.http, req);
  const cachedJson: { text?: string } = {};
  const context = async () => Object.assign(deps.createContext({ authorization: headers.get("authorization"), idempotencyKey: headers.get("idempotency-key"), clientIp }), { cachedJson });
  const response = await deps.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context });
  const outHeaders: Record<string, string> = {};
  for (const [key, value] of response.headers) outHeaders[key] = value;
  res.writeHead(response.status ?? 200, outHeaders);
  if (response.body.kind === "complete") {
    res.end(cachedJson.text === undefined ? response.body.string : spliceCachedData(response.body.string, cachedJson.text));
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * /feeds/* pages are charged to the same per-address budget as queries (rateLimit.costPerMinute): 1 per request
 * plus rateLimit.feedEntryCost per entry asked for (a 500-entry river page took 0.18 s of CPU). Over budget: 429
 * with Retry-After, nothing rendered. A bad `limit` is charged as the default; the route refuses it with a 400.
 */
function chargeFeed(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const { rateLimit, syndication } = deps.config;
  const ip = clientIpOf(deps.config.http, req);
  if (!deps.costBudget || !limited(rateLimit, ip)) return true;
  const asked = Number(new URL(req.url ?? "/", "http://localhost").searchParams.get("limit"));
  const entries = Number.isInteger(asked) && asked >= 1 && asked <= syndication.maxLimit ? asked : syndication.defaultLimit;
  const cost = 1 + rateLimit.feedEntryCost * entries;
  const retry = deps.costBudget.take(ip, cost);
  if (retry === 0) return true;
  sendText(res, 429, `rate limit: this feed page costs ${cost} (rateLimit.feedEntryCost per entry) and this client has spent its ${rateLimit.costPerMinute} per minute (rateLimit.costPerMinute); retry in ${retry} s\n`, { "retry-after": String(retry), "cache-control": "no-store" });
  return false;
}

/** /readyz, /metrics and /healthz; false for any other path. */
async function serveProbe(deps: RouteDeps, pathname: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  let status = 200;
  let contentType = "application/json; charset=utf-8";
  let body: string;
  if (pathname === "/readyz") {
    const problems = await checkReadiness(deps.readiness, deps.config.cache.timeoutMs);
    body = JSON.stringify(problems.length ? { status: "unavailable", problems } : { status: "ready" });
    if (problems.length) status = 503;
  } else if (pathname === "/metrics") {
    body = await deps.metrics.registry.metrics();
    contentType = deps.metrics.registry.contentType;
  } else if (pathname === "/healthz") {
    body = JSON.stringify({ status: "ok" });
  } else {
    return false;
  }
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

/** The Playground page, its assets, and / redirecting to it; false for any other path. */
async function servePlayground(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (pathname === "/") {
    res.writeHead(302, { location: PLAYGROUND_PATH });
    res.end();
    return true;
  }
  if (pathname === PLAYGROUND_PATH) {
    const html = renderPlayground(GRAPHQL_PATH);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : html);
    return true;
  }
  const asset = await readPlaygroundAsset(pathname);
  if (!asset) return false;
  res.writeHead(200, {
    "content-type": asset.contentType,
    "content-length": asset.body.length,
    "cache-control": "public, max-age=86400",
  });
  res.end(req.method === "HEAD" ? undefined : asset.body);
  return true;
}
