/**
 * A TCP proxy that adds latency and counts round trips (scenario 10): what a store one network hop away costs.
 * Every chunk is held `delayMs` before it is passed on, in each direction, so a request/answer exchange costs
 * 2 × delayMs more than over loopback. It sees every request: a round trip is counted each time a client starts
 * talking again after the server spoke (or for the first time) on a connection, so pipelined statements or Redis
 * commands sent together count once, as the latency they cost does.
 */
import net from "node:net";

export async function startLatencyProxy({ host, port, delayMs = 1 }) {
  let roundTrips = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let clientSpokeLast = false;
    // Timers of one delay fire in the order they were set, so chunks keep their order.
    const forward = (from, to, fromClient) => {
      from.on("data", (chunk) => {
        if (fromClient && !clientSpokeLast) roundTrips += 1;
        clientSpokeLast = fromClient;
        setTimeout(() => to.writable && to.write(chunk), delayMs);
      });
      from.on("end", () => setTimeout(() => to.end(), delayMs));
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    get roundTrips() {
      return roundTrips;
    },
    reset() {
      roundTrips = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
