import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from "graphql-ws";

/**
 * The legacy `subscriptions-transport-ws` protocol (subprotocol `graphql-ws`), which GraphQL Playground and
 * older Apollo Clients speak, served as a translation in front of the same graphql-ws server that speaks
 * `graphql-transport-ws`: one server core, so a legacy client passes exactly the same auth, limits, safelist
 * and cost checks, and gets the same errors, as a current one.
 *
 * Message types (subscriptions-transport-ws 0.9, PROTOCOL.md):
 *   client → server  connection_init {payload} · start {id, payload} · stop {id} · connection_terminate
 *   server → client  connection_ack · connection_error {payload} · ka · data {id, payload} · error {id, payload} · complete {id}
 * and their graphql-transport-ws counterparts: start ↔ subscribe, stop ↔ complete, data ↔ next.
 */
export const LEGACY_PROTOCOL = "graphql-ws";

/** Subscriptions a legacy client may start before its connection is acknowledged (the Playground starts one). */
const MAX_EARLY_STARTS = 20;

/**
 * Chooses the subprotocol of an upgrade: `graphql-transport-ws` when the client offers it (whatever else it
 * offers), else the legacy `graphql-ws`; false refuses the handshake.
 */
export function chooseProtocol(offered: Set<string>): string | false {
  const current = handleProtocols(offered);
  if (current) return current;
  return offered.has(LEGACY_PROTOCOL) ? LEGACY_PROTOCOL : false;
}

/** The socket shape graphql-ws's `server.opened` takes (the part of it we use). */
export interface ProtocolSocket {
  readonly protocol: string;
  send(data: string): Promise<void> | void;
  close(code?: number, reason?: string): Promise<void> | void;
  onMessage(cb: (data: string) => Promise<void>): void;
}

/**
 * Wraps a legacy-protocol socket so that graphql-ws's server sees a graphql-transport-ws client: incoming
 * legacy messages are rewritten before the server reads them, outgoing messages before the client gets them.
 * `keepAliveMs` > 0 sends the legacy `ka` message after the acknowledgement and then at that interval (the
 * legacy client watches for it; graphql-transport-ws has ping/pong instead).
 */
// Long on purpose (~82 lines): the two message translations (legacy → current in, current → legacy out) share
// the socket's state (acknowledged, held starts, keep-alive timer); most of the length is the message table.
export function legacySocket(socket: ProtocolSocket, keepAliveMs: number): ProtocolSocket & { dispose(): void } {
  let acknowledged = false;
  let keepAlive: NodeJS.Timeout | undefined;
  // The legacy client sends `start` right after `connection_init`, without waiting for the acknowledgement;
  // graphql-ws closes a connection that subscribes before it is acknowledged (4401). Starts that arrive early
  // wait here (bounded by the server's own limit of subscriptions per connection, checked when they are passed on).
  let early: string[] = [];
  let deliver: ((data: string) => Promise<void>) | undefined;
  const send = (message: Record<string, unknown>) => socket.send(JSON.stringify(message));

  return {
    protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
    async send(data) {
      const message = JSON.parse(data) as { type: string; id?: string; payload?: unknown };
      switch (message.type) {
        case "connection_ack":
          acknowledged = true;
          await send({ type: "connection_ack" });
          if (keepAliveMs > 0) {
            await send({ type: "ka" });
            keepAlive = setInterval(() => void send({ type: "ka" }), keepAliveMs);
            keepAlive.unref();
          }
          // After this send returns: graphql-ws marks the connection acknowledged once its ack is sent.
          setImmediate(() => {
            const waiting = early;
            early = [];
            for (const message of waiting) {
              deliver?.(message).catch(() => void socket.close(CloseCode.InternalServerError, "Internal server error"));
            }
          });
          return;
        case "next":
          return send({ type: "data", id: message.id, payload: message.payload });
        case "error":
        case "complete":
          return send(message);
        default:
          return; // ping/pong: the legacy protocol has `ka` instead
      }
    },
    async close(code, reason) {
      // The legacy client learns of a refused connection from a message, not from the close code.
      if (!acknowledged && code === CloseCode.Forbidden) await send({ type: "connection_error", payload: { message: reason ?? "Forbidden" } });
      clearInterval(keepAlive);
      return socket.close(code, reason);
    },
    onMessage(cb) {
      deliver = cb;
      socket.onMessage(async (data) => {
        let message: { type?: unknown; id?: unknown; payload?: unknown };
        try {
          message = JSON.parse(data) as typeof message;
        } catch {
          return cb(data); // the server core answers an unreadable message (4400 Bad Request)
        }
        switch (message.type) {
          case "connection_init":
            // The legacy client sends `payload: null` when it has no connection params; graphql-ws wants an object.
            return cb(JSON.stringify({ type: "connection_init", ...(isObject(message.payload) ? { payload: message.payload } : {}) }));
          case "start": {
            const subscribe = JSON.stringify({ type: "subscribe", id: message.id, payload: message.payload });
            if (acknowledged) return cb(subscribe);
            if (early.length >= MAX_EARLY_STARTS) return void socket.close(CloseCode.BadRequest, "Too many subscriptions before the connection was acknowledged");
            early.push(subscribe);
            return;
          }
          case "stop":
            return cb(JSON.stringify({ type: "complete", id: message.id }));
          case "connection_terminate":
            clearInterval(keepAlive);
            return void socket.close(1000, "Normal Closure");
          default:
            return cb(data);
        }
      });
    },
    dispose() {
      clearInterval(keepAlive);
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
