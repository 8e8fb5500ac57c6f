import type http from "node:http";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  GraphQLError, getOperationAST, parse, specifiedRules, subscribe, validate,
  type DocumentNode, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule,
} from "graphql";
import { CloseCode, makeServer, type SubscribePayload } from "graphql-ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { Config } from "../config/index.js";
import { withTimeout } from "../cache/timeout.js";
import type { RequestContext } from "../app/context.js";
import type { Logger } from "../logger.js";
import { isAdminRequest } from "../server/auth.js";
import { limitRules, listBounds, operationCost } from "../server/limits.js";
import { chooseProtocol, LEGACY_PROTOCOL, legacySocket, type ProtocolSocket } from "./legacy-protocol.js";
import { SlowConsumerError } from "./stream.js";
import { clientIpOf } from "../http/messages.js";
import { createBuckets, type Buckets } from "../server/buckets.js";
import { limited } from "../server/rate-limit.js";

/**
 * GraphQL subscriptions over WebSocket (the graphql-transport-ws protocol, graphql-ws's server core) on the
 * gateway's own HTTP server and port, at the GraphQL path. Only subscription operations: queries and
 * mutations stay on POST /graphql, where the HTTP plugins (rate limit, safelist, cache control) apply.
 * Each subscription passes the same checks as a query (token limit, validation with the limit rules, cost)
 * and gets a graphql-ws `error` message, never a crash, when it fails one.
 *
 * Close codes besides graphql-ws's own (README "Live updates"): 4008 slow consumer, 1001 gateway stopping.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
export const GOING_AWAY_CLOSE_CODE = 1001;
/** Closed because its address received more than rateLimit.subscriptionEventsPerMinute events. */
export const TOO_MANY_EVENTS_CLOSE_CODE = 4029;

export interface SubscriptionServer {
  /** Open WebSocket connections. */
  connections(): number;
  /** Subscriptions started and not yet completed, on every connection. */
  active(): number;
  /** Connections closed as slow consumers since start. */
  slowConsumersClosed(): number;
  /** Closes every connection (1001) and stops accepting new ones; sockets still open after `graceMs` are cut. */
  close(graceMs: number): Promise<void>;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  /** A fresh context for one subscription (its loaders are renewed per event). */
  createContext: RequestContext;
  /** What a client may see of an error (src/server's formatPublicError). */
  formatError(error: GraphQLError): GraphQLFormattedError;
  /** With persistedQueries.safelistOnly: the operation texts that may run. */
  safelist: ReadonlySet<string> | null;
}

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  clientIp: string;
  /** The Authorization connection parameter, once onConnect has accepted it. */
  authorization?: string;
}

/** What the pieces of one subscription server share. */
interface ServerState {
  options: SubscriptionServerOptions;
  limits: Config["subscriptions"];
  log: Logger;
  rules: ValidationRule[];
  perIp: Map<string, number>;
  /** Per-address budgets (rateLimit.*): query cost spent by subscribe messages, events delivered. */
  costs: Buckets;
  events: Buckets;
  /** Streams created while checking a subscription in onSubscribe, handed to graphql-ws's subscribe call. */
  prepared: WeakMap<ExecutionArgs, unknown>;
  /** Subscription ids started per graphql-ws connection context. */
  started: WeakMap<object, Set<string>>;
  closing: boolean;
  active: number;
  slowClosed: number;
  wss: WebSocketServer;
}

export function attachSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { config } = options;
  const state: ServerState = {
    options,
    limits: config.subscriptions,
    log: options.logger.child({ component: "subscriptions" }),
    rules: [...specifiedRules, ...limitRules(config.limits)],
    perIp: new Map(),
    costs: createBuckets(config.rateLimit.costPerMinute),
    events: createBuckets(config.rateLimit.subscriptionEventsPerMinute),
    prepared: new WeakMap(),
    started: new WeakMap(),
    closing: false,
    active: 0,
    slowClosed: 0,
    // graphql-transport-ws, else the legacy subscriptions-transport-ws protocol (GraphQL Playground), translated
    // in front of the same server (legacy-protocol.ts).
    wss: new WebSocketServer({ noServer: true, maxPayload: config.http.bodyLimitBytes, handleProtocols: chooseProtocol }),
  };
  const server = protocolServer(state);
  options.httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(state, server, req, socket, head));
  const { wss } = state;
  return {
    connections: () => wss.clients.size,
    active: () => state.active,
    slowConsumersClosed: () => state.slowClosed,
    async close(graceMs) {
      state.closing = true;
      const sockets = [...wss.clients];
      const gone = sockets.map((s) => new Promise<void>((resolve) => (s.readyState === s.CLOSED ? resolve() : s.once("close", () => resolve()))));
      for (const socket of sockets) socket.close(GOING_AWAY_CLOSE_CODE, "The gateway is stopping");
      await withTimeout(graceMs, () => Promise.all(gone)).catch(() => {}); // whoever has not gone by then is cut
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const refuse = (code: string, message: string, extensions: Record<string, unknown> = {}) =>
  [new GraphQLError(message, { extensions: { code, ...extensions } })];

/** The checks a query gets on POST, for one subscribe message: safelist, token limit, one subscription operation, validation, cost. */
function check(state: ServerState, payload: SubscribePayload, ip: string): { document: DocumentNode } | readonly GraphQLError[] {
  const { options } = state;
  const { config, schema } = options;
  if (typeof payload.query !== "string") return refuse("BAD_REQUEST", "the subscribe message has no query text");
  if (options.safelist && !options.safelist.has(payload.query)) {
    return refuse("PERSISTED_QUERY_NOT_ALLOWED", "only operations from the safelist may run on this gateway (persistedQueries.safelistOnly)");
  }
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: config.limits.maxTokens });
  } catch (err) {
    const message = (err as Error).message;
    const code = /more th[ae]n \d+ tokens/.test(message) ? "TOO_MANY_TOKENS" : "GRAPHQL_PARSE_FAILED";
    return refuse(code, message);
  }
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) return refuse("BAD_REQUEST", "the document must name the operation to run (operationName) or hold exactly one");
  if (operation.operation !== "subscription") {
    return refuse("BAD_REQUEST", `only subscriptions run over WebSocket; send ${operation.operation} operations to POST ${options.path}`);
  }
  const errors = validate(schema, document, state.rules);
  // Apollo's code for the same failure on POST; a limit rule's own code rides in limitCode (restoreLimitCode).
  if (errors.length) return errors.map((e) => (e.extensions.code || e.extensions.limitCode ? e : withCode(e, "GRAPHQL_VALIDATION_FAILED")));
  const cost = operationCost(schema, config.limits, config.pagination.defaultFirst, {
    document, variables: payload.variables, operationName: payload.operationName,
  }, listBounds(config));
  if (cost?.error) return [cost.error];
  // The same per-address cost budget a query spends (rateLimit.costPerMinute), kept by this endpoint.
  if (cost && limited(config.rateLimit, ip)) {
    const retry = state.costs.take(ip, cost.cost);
    if (retry > 0) return refuse("RATE_LIMITED", `rate limit: this subscription costs ${cost.cost} and this client has spent its ${config.rateLimit.costPerMinute} per minute (rateLimit.costPerMinute); retry in ${retry} s`, { retryAfterSeconds: retry });
  }
  return { document };
}

/** graphql-ws's protocol core, with our admission checks (token, per-connection cap) and error formatting. */
function protocolServer(state: ServerState) {
  const { options, limits, log } = state;
  const { config, schema } = options;
  return makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    connectionInitWaitTimeout: 5_000,
    onConnect(ctx) {
      const params = ctx.connectionParams ?? {};
      const given = params.Authorization ?? params.authorization;
      if (given === undefined || given === null || given === "") return true;
      // A token that does not match is refused (4403 Forbidden), as the same token is refused on POST.
      if (typeof given !== "string" || !isAdminRequest(given, config.adminToken)) return false;
      ctx.extra.authorization = given;
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      if (Object.keys(ctx.subscriptions).length > limits.maxPerConnection) {
        return refuse("TOO_MANY_SUBSCRIPTIONS", `at most ${limits.maxPerConnection} subscriptions per connection (subscriptions.maxPerConnection)`, {
          limit: { max: limits.maxPerConnection },
        });
      }
      const checked = check(state, payload, ctx.extra.clientIp);
      if (!("document" in checked)) return checked;
      const args: ExecutionArgs = {
        schema,
        document: checked.document,
        variableValues: payload.variables ?? null,
        operationName: payload.operationName ?? null,
        contextValue: options.createContext({ authorization: ctx.extra.authorization, clientIp: ctx.extra.clientIp, subscription: true }),
      };
      // Subscribing here, not in graphql-ws's own call, so that an error while subscribing (a malformed id:
      // BAD_USER_INPUT) is an `error` message for this subscription rather than a `next` with errors.
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) return result.errors ?? refuse("INTERNAL_SERVER_ERROR", "the subscription produced no stream");
      state.prepared.set(args, result);
      state.active += 1;
      state.started.set(ctx, (state.started.get(ctx) ?? new Set()).add(id));
      log.debug({ id, clientIp: ctx.extra.clientIp }, "subscription started");
      return args;
    },
    subscribe: (args) => (state.prepared.get(args) as never) ?? subscribe(args),
    onComplete(ctx, id) {
      if (state.started.get(ctx)?.delete(id)) state.active -= 1;
    },
    onNext(ctx, _id, _payload, _args, result) {
      // Events per address, over all its connections (rateLimit.subscriptionEventsPerMinute): past the budget the
      // connection is closed (4029) rather than events dropped unseen; the client may reconnect later.
      const ip = ctx.extra.clientIp;
      if (limited(config.rateLimit, ip) && state.events.take(ip) > 0) tooManyEvents(state, ctx.extra.socket);
      if (!result.errors?.length) return;
      return { ...result, errors: result.errors.map((e) => format(state, e)) };
    },
    onError(ctx, _id, _payload, errors) {
      if (errors.some((e) => e.originalError instanceof SlowConsumerError)) slowConsumer(state, ctx.extra.socket, "too many events waiting");
      return errors.map((e) => format(state, e));
    },
  });
}
type ProtocolServer = ReturnType<typeof protocolServer>;

/** Errors without a code are ours (bugs, backends): INTERNAL_SERVER_ERROR, masked unless `debug`, as on POST. */
function format(state: ServerState, error: GraphQLError): GraphQLFormattedError {
  if (error.originalError instanceof SlowConsumerError) return { message: error.message, extensions: { code: "SLOW_CONSUMER" } };
  return state.options.formatError(error.extensions.code || error.extensions.limitCode ? error : withCode(error, "INTERNAL_SERVER_ERROR"));
}

function slowConsumer(state: ServerState, socket: WebSocket, why: string): void {
  if (socket.readyState !== socket.OPEN) return;
  state.log.warn({ bufferedAmount: socket.bufferedAmount }, `closing a slow subscription client: ${why}`);
  state.slowClosed += 1;
  // The close frame queues behind what is already buffered; ws cuts the socket if the client never reads it.
  socket.close(SLOW_CONSUMER_CLOSE_CODE, `Slow consumer: ${why}`);
}

function tooManyEvents(state: ServerState, socket: WebSocket): void {
  if (socket.readyState !== socket.OPEN) return;
  const max = state.options.config.rateLimit.subscriptionEventsPerMinute;
  state.log.warn("closing a subscription client: its address received too many events");
  socket.close(TOO_MANY_EVENTS_CLOSE_CODE, `Too many events: more than ${max} per minute for this address (rateLimit.subscriptionEventsPerMinute)`);
}

function reject(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

function sameOrigin(config: Config, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser
  try {
    if (new URL(origin).host === req.headers.host) return true;
  } catch {
    return false;
  }
  return config.http.corsOrigins.includes(origin);
}

/** An HTTP upgrade on the gateway's server: refused with a status, or handed to ws, counted per address. */
function upgrade(state: ServerState, server: ProtocolServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const { options, limits, perIp } = state;
  socket.on("error", () => socket.destroy());
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  if (pathname !== options.path || !limits.enabled) return reject(socket, 404, `No WebSocket endpoint at ${pathname}; subscriptions are at ${options.path}\n`);
  if (state.closing) return reject(socket, 503, "The gateway is stopping\n");
  if (!sameOrigin(options.config, req)) return reject(socket, 403, "Origin not allowed (http.corsOrigins)\n");
  const ip = clientIpOf(options.config.http, req);
  if ((perIp.get(ip) ?? 0) >= limits.maxConnectionsPerIp) {
    return reject(socket, 429, `Too many WebSocket connections from this address (subscriptions.maxConnectionsPerIp = ${limits.maxConnectionsPerIp})\n`);
  }
  perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
  // Released when the raw socket closes, whatever happens: `ws` never calls back for a handshake it refuses
  // (no or bad Sec-WebSocket-Key, wrong version), and counting only opened sockets let such requests lock an
  // address out until restart.
  let released = false;
  socket.once("close", () => {
    if (released) return;
    released = true;
    const n = (perIp.get(ip) ?? 1) - 1;
    if (n <= 0) perIp.delete(ip);
    else perIp.set(ip, n);
  });
  state.wss.handleUpgrade(req, socket, head, (ws) => opened(state, server, ws, req, ip));
}

function opened(state: ServerState, server: ProtocolServer, socket: WebSocket, request: IncomingMessage, ip: string): void {
  const { limits, log } = state;
  socket.once("error", (err) => {
    log.debug({ err: err.message }, "WebSocket error");
    socket.terminate();
  });
  // Keep-alive: a ping each interval; a client that has not answered the previous one is gone.
  let alive = true;
  socket.on("pong", () => (alive = true));
  const keepAlive = limits.keepAliveSeconds > 0
    ? setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, limits.keepAliveSeconds * 1000)
    : undefined;
  keepAlive?.unref();
  const transport: ProtocolSocket = {
    protocol: socket.protocol,
    // Resolves without waiting for the bytes to leave: a client that stops reading shows as a growing
    // bufferedAmount, which is bounded here, instead of as a stalled sender with events piling up behind it.
    send: async (data) => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(data);
      if (socket.bufferedAmount > limits.maxBufferedBytes) {
        slowConsumer(state, socket, `${socket.bufferedAmount} bytes unsent (subscriptions.maxBufferedBytes = ${limits.maxBufferedBytes})`);
      }
    },
    close: (code, reason) => socket.close(code, reason),
    onMessage: (cb) =>
      socket.on("message", (data) => {
        cb(String(data)).catch((err: unknown) => {
          log.error({ err }, "subscription message handling failed");
          socket.close(CloseCode.InternalServerError, "Internal server error");
        });
      }),
  };
  const legacy = socket.protocol === LEGACY_PROTOCOL ? legacySocket(transport, limits.keepAliveSeconds * 1000) : null;
  const closed = server.opened(legacy ?? transport, { socket, request, clientIp: ip });
  socket.once("close", (code, reason) => {
    clearInterval(keepAlive);
    legacy?.dispose();
    void closed(code, String(reason));
  });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null, source: error.source ?? null, positions: error.positions ?? null, path: error.path ?? null,
    originalError: error.originalError ?? null, extensions: { ...error.extensions, code },
  });
}

const STATUS_TEXT: Record<number, string> = { 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable" };
