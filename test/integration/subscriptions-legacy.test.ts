import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { rssFeed, until, wsUrl } from "../helpers/ws-client.js";

/**
 * The legacy subscriptions-transport-ws protocol (subprotocol `graphql-ws`, what GraphQL Playground speaks),
 * spoken by a raw `ws` client message by message as its PROTOCOL.md gives them, on the same /graphql path.
 */

const ADMIN = "legacy-protocol-admin-token-0123456789";

interface LegacyClient {
  socket: WebSocket;
  messages: Array<{ type: string; id?: string; payload?: any }>;
  next(type: string, timeoutMs?: number): Promise<{ type: string; id?: string; payload?: any }>;
  send(message: Record<string, unknown>): void;
  closed: Promise<{ code: number; reason: string }>;
}

async function legacyClient(gw: TestGateway, protocols: string[] = ["graphql-ws"]): Promise<LegacyClient> {
  const socket = new WebSocket(wsUrl(gw.url), protocols);
  const messages: LegacyClient["messages"] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return {
    socket, messages, closed,
    send: (message) => socket.send(JSON.stringify(message)),
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = messages.findIndex((m) => m.type === type);
        if (at >= 0) return messages.splice(at, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`no "${type}" message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe("subscriptions over the legacy subscriptions-transport-ws protocol", () => {
  let fixture: FixtureServer;
  let gw: TestGateway;
  let feed = rssFeed([{ guid: "a-0", title: "Background", link: "https://wire.example/background" }]);

  beforeAll(async () => {
    fixture = await startFixtureServer();
    fixture.route("/wire.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(feed));
    gw = await startTestGateway({
      adminToken: ADMIN,
      news: { demoFeeds: false, poll: false },
      net: { allowPrivateNetworks: true },
      limits: { maxCost: 5000 },
      sources: [{ id: "wire", name: "Wire", url: fixture.url("/wire.xml") }],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it("negotiates graphql-transport-ws when offered, else the legacy graphql-ws", async () => {
    const both = await legacyClient(gw, ["graphql-ws", "graphql-transport-ws"]);
    expect(both.socket.protocol).toBe("graphql-transport-ws");
    both.socket.close();
    const legacy = await legacyClient(gw);
    expect(legacy.socket.protocol).toBe("graphql-ws");
    legacy.socket.close();
  });

  it("acknowledges, keeps alive, delivers an article as `data`, and completes on `stop`", async () => {
    const client = await legacyClient(gw);
    client.send({ type: "connection_init", payload: {} });
    await client.next("connection_ack");
    await client.next("ka");
    client.send({ id: "1", type: "start", payload: { query: "subscription { articleAdded { title sources { slug } } }", variables: {} } });
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the subscription to start");
    feed = rssFeed([{ guid: "a-1", title: "Harbour reopens", link: "https://wire.example/harbour-reopens" }]);
    await gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { id } }`, { id: toGlobalId("Source", "wire", "wire") }, { authorization: `Bearer ${ADMIN}` });
    const data = await client.next("data");
    expect(data).toEqual({ type: "data", id: "1", payload: { data: { articleAdded: { title: "Harbour reopens", sources: [{ slug: "wire" }] } } } });
    client.send({ id: "1", type: "stop" });
    await until(() => gw.gateway.live.subscriptions!.active() === 0, "the subscription to stop");
    client.send({ type: "connection_terminate" });
    expect((await client.closed).code).toBe(1000);
  });

  it("accepts a start sent right after connection_init, before the acknowledgement, as the Playground sends it", async () => {
    const client = await legacyClient(gw);
    client.send({ type: "connection_init", payload: {} });
    client.send({ id: "2", type: "start", payload: { query: "subscription { sourceHealthChanged { slug } }" } });
    await client.next("connection_ack");
    await until(() => gw.gateway.live.subscriptions!.active() === 1, "the early subscription to start");
    client.send({ id: "2", type: "stop" });
    await until(() => gw.gateway.live.subscriptions!.active() === 0, "the subscription to stop");
    client.socket.close();
    expect(client.messages.filter((m) => m.type === "error")).toEqual([]);
  });

  it("applies the same limits: an over-cost subscription gets an `error` with QUERY_TOO_COMPLEX", async () => {
    const client = await legacyClient(gw);
    client.send({ type: "connection_init" });
    await client.next("connection_ack");
    client.send({ id: "7", type: "start", payload: { query: "subscription { postAdded(threadId: \"VGhyZWFkOmxvY2FsOjE\") { author { posts(first: 100) { nodes { thread { posts(first: 100) { nodes { id } } } } } } } }" } });
    const error = await client.next("error");
    expect(error.id).toBe("7");
    expect(error.payload[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
    client.socket.close();
  });

  it("refuses a wrong admin token with connection_error, as graphql-transport-ws refuses it with 4403", async () => {
    const client = await legacyClient(gw);
    client.send({ type: "connection_init", payload: { Authorization: "Bearer wrong-token" } });
    const refused = await client.next("connection_error");
    expect(refused.payload.message).toMatch(/Forbidden/);
    expect((await client.closed).code).toBe(4403);
  });

  it("agrees to no subprotocol when offered neither, so the client's WebSocket never opens", async () => {
    const socket = new WebSocket(wsUrl(gw.url), ["graphql-something"]);
    const failure = await new Promise<string>((resolve) => {
      socket.once("open", () => resolve("opened"));
      socket.once("error", (err) => resolve(err.message));
    });
    expect(failure).toMatch(/no subprotocol/i);
    socket.terminate();
  });
});
