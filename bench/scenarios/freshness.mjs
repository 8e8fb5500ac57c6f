/**
 * Scenario 8: freshness. From the moment a feed publishes an item, how long until crosswire has it queryable
 * and until a GraphQL subscriber (graphql-ws client, articleAdded) receives it:
 *   - WebSub push: the feed declares a hub (a fixture hub on 127.0.0.2); crosswire subscribes, the hub verifies
 *     intent, and on each publish the hub pushes the signed feed to crosswire's callback at once;
 *   - poll: the same publish picked up by a poll (the admin `refreshSource`, i.e. a poll that starts right at
 *     publish: the best case; a scheduled poll adds on average half the interval, reported as derived figures);
 *   - floor: the transport alone, measured in the same rounds: the same body POSTed to a plain node:http server
 *     that forwards it to a plain `ws` client (no parsing, no storing, no GraphQL).
 * The three are interleaved round by round; ratios are medians over the floor's median.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import { createClient } from "graphql-ws";
import WebSocket, { WebSocketServer } from "ws";
import { percentile } from "../load.mjs";
import { startChild } from "../processes.mjs";
import { ADMIN_TOKEN } from "../shared.mjs";

const SOURCE_ID = "live";
const sourceGlobalId = Buffer.from(`Source:${SOURCE_ID}:${SOURCE_ID}`).toString("base64url");

function listen(server, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
}

const readBody = (req) => new Promise((resolve) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => resolve(Buffer.concat(chunks)));
});

function rss(items, hub, self) {
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Live blog</title><link>https://live.example/</link>
<atom:link rel="hub" href="${hub}"/><atom:link rel="self" href="${self}"/>
${items.map((i) => `<item><guid>${i.guid}</guid><title>${esc(i.title)}</title><link>https://live.example/update/${i.guid}</link><description>${esc(i.text)}</description><pubDate>${i.date}</pubDate></item>`).join("\n")}
</channel></rss>`;
}

const stats = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), min: sorted[0], max: sorted[sorted.length - 1] };
};

export async function freshness(env) {
  const rounds = env.quick ? 15 : 40;
  // The feed: its latest 20 items, as a live blog's feed shows them.
  const items = [];
  const feedServer = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/rss+xml" });
    res.end(feedBody());
  });
  const feedPort = await listen(feedServer, "127.0.0.1");
  const feedUrl = `http://127.0.0.1:${feedPort}/live.xml`;

  // The hub: accepts subscriptions, verifies intent against the callback, pushes on publish.
  let subscription = null;
  const hubServer = http.createServer(async (req, res) => {
    const form = new URLSearchParams((await readBody(req)).toString());
    res.writeHead(202).end();
    if (form.get("hub.mode") !== "subscribe") return;
    const callback = new URL(form.get("hub.callback"));
    const challenge = `c${Math.random()}`;
    for (const [k, v] of [["hub.mode", "subscribe"], ["hub.topic", form.get("hub.topic")], ["hub.challenge", challenge], ["hub.lease_seconds", "86400"]]) callback.searchParams.set(k, v);
    const answer = await fetch(callback);
    if (answer.status === 200 && (await answer.text()) === challenge) subscription = { callback: form.get("hub.callback"), secret: form.get("hub.secret") };
  });
  const hubPort = await listen(hubServer, "127.0.0.2");
  const hubUrl = `http://127.0.0.2:${hubPort}/hub`;
  const feedBody = () => rss(items.slice(-20).reverse(), hubUrl, feedUrl);

  // The floor: POST in, the same bytes out to a WebSocket client; nothing else.
  const floorServer = http.createServer();
  const floorWss = new WebSocketServer({ server: floorServer });
  floorServer.on("request", async (req, res) => {
    const body = await readBody(req);
    for (const client of floorWss.clients) client.send(body);
    res.writeHead(202).end();
  });
  const floorPort = await listen(floorServer, "127.0.0.1");

  const port = await new Promise((resolve) => {
    const s = http.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const gateway = await startChild("crosswire", {
    dataDir: env.tempDir("freshness"),
    overrides: {
      port,
      syndication: { publicUrl: `http://127.0.0.1:${port}` },
      websub: { enabled: true, allowHttpHubs: true },
      net: { allowPrivateNetworks: true },
      sources: [{ id: SOURCE_ID, name: "Live blog", url: feedUrl }],
    },
  });
  const graphql = async (query, variables) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  };
  const refresh = () => graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: sourceGlobalId });
  let client;
  let floorClient;
  try {
    let n = 0;
    const publish = () => {
      n += 1;
      items.push({ guid: `u${n}`, title: `Update ${n}`, text: `What happened at minute ${n}. `.repeat(20), date: new Date(Date.UTC(2026, 10, 25, 8, n)).toUTCString() });
      return `Update ${n}`;
    };
    publish();
    await refresh(); // first poll: stores the first item, discovers the hub, subscribes
    const deadline = Date.now() + 10_000;
    while (!subscription && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!subscription) throw new Error("the hub never verified crosswire's subscription");

    const received = new Map();
    const waiters = new Map();
    const arrived = (title) => new Promise((resolve) => (received.has(title) ? resolve(received.get(title)) : waiters.set(title, resolve)));
    const onEvent = (title) => {
      const at = performance.now();
      received.set(title, at);
      waiters.get(title)?.(at);
    };
    client = createClient({ url: `ws://127.0.0.1:${gateway.port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    client.subscribe(
      { query: `subscription($s: [ID!]) { articleAdded(sourceIds: $s) { title } }`, variables: { s: [sourceGlobalId] } },
      { next: (r) => r.data && onEvent(r.data.articleAdded.title), error: (e) => env.log(`  subscription error: ${JSON.stringify(e)}`), complete: () => {} },
    );
    floorClient = new WebSocket(`ws://127.0.0.1:${floorPort}/`);
    await new Promise((r) => floorClient.once("open", r));
    floorClient.on("message", (data) => {
      const title = /<item><guid>[^<]*<\/guid><title>([^<]*)</.exec(String(data))?.[1];
      if (title) onEvent(`floor:${title}`);
    });
    // Let the subscription reach the gateway, then one unmeasured warm-up of each path.
    await new Promise((r) => setTimeout(r, 300));

    const paths = {
      async websub() {
        const title = publish();
        const t0 = performance.now();
        const body = Buffer.from(feedBody());
        const res = await fetch(subscription.callback, {
          method: "POST",
          headers: { "content-type": "application/rss+xml", "x-hub-signature": `sha256=${createHmac("sha256", subscription.secret).update(body).digest("hex")}` },
          body,
        });
        await res.text();
        const stored = performance.now();
        if (res.status !== 202) throw new Error(`push answered ${res.status}`);
        return { title, t0, stored };
      },
      async poll() {
        const title = publish();
        const t0 = performance.now();
        const r = await refresh();
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        return { title, t0, stored: performance.now() };
      },
      async floor() {
        const title = publish();
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${floorPort}/`, { method: "POST", body: feedBody() });
        await res.text();
        return { title: `floor:${title}`, t0, stored: performance.now() };
      },
    };
    const measured = { websub: { stored: [], queryable: [], subscriber: [] }, poll: { stored: [], queryable: [], subscriber: [] }, floor: { subscriber: [] } };
    const order = ["websub", "poll", "floor"];
    for (let round = -1; round < rounds; round++) {
      for (let k = 0; k < order.length; k++) {
        const name = order[(round + 3 + k) % order.length];
        const { title, t0, stored } = await paths[name]();
        const got = await Promise.race([arrived(title), new Promise((r) => setTimeout(() => r(null), 10_000))]);
        if (got === null) throw new Error(`${name}: "${title}" never reached the subscriber`);
        if (name !== "floor") {
          const check = await graphql(`{ articles(filter: { sources: ["${SOURCE_ID}"] }, first: 1) { edges { node { title } } } }`);
          const queryable = performance.now();
          if (check.data?.articles?.edges?.[0]?.node?.title !== title) throw new Error(`${name}: "${title}" not queryable after it was stored`);
          if (round >= 0) {
            measured[name].stored.push(stored - t0);
            measured[name].queryable.push(queryable - t0);
          }
        }
        if (round >= 0) measured[name].subscriber.push(got - t0);
      }
    }
    const out = {
      rounds,
      itemsPerFeed: 20,
      websub: { stored: stats(measured.websub.stored), queryable: stats(measured.websub.queryable), subscriber: stats(measured.websub.subscriber) },
      poll: { stored: stats(measured.poll.stored), queryable: stats(measured.poll.queryable), subscriber: stats(measured.poll.subscriber) },
      floor: { subscriber: stats(measured.floor.subscriber) },
    };
    out.ratios = {
      websubOverFloor: out.websub.subscriber.p50 / out.floor.subscriber.p50,
      pollOverFloor: out.poll.subscriber.p50 / out.floor.subscriber.p50,
      pollOverWebsub: out.poll.subscriber.p50 / out.websub.subscriber.p50,
    };
    // A scheduled poll sees a publish on average half an interval later (uniform publish time): derived, not measured.
    out.derivedPollAverageMs = Object.fromEntries([60, 900].map((s) => [s, (s * 1000) / 2 + out.poll.subscriber.p50]));
    return out;
  } finally {
    await client?.dispose();
    floorClient?.close();
    await gateway.stop();
    for (const server of [feedServer, hubServer, floorServer]) {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    }
  }
}

export function freshnessRows(f, add) {
  const ms = (n) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
  const dist = (s) => `p50 ${ms(s.p50)} / p90 ${ms(s.p90)} ms`;
  const name = "8 freshness";
  add(name, `WebSub push → stored (push answered) / queryable`, `${dist(f.websub.stored)} / ${dist(f.websub.queryable)}`, "", "info");
  add(name, `WebSub push → subscriber (articleAdded), ${f.rounds} rounds`, dist(f.websub.subscriber), "", "info");
  add(name, `poll at publish → stored / queryable`, `${dist(f.poll.stored)} / ${dist(f.poll.queryable)}`, "", "info");
  add(name, `poll at publish → subscriber`, dist(f.poll.subscriber), "", "info");
  add(name, `floor: same body POSTed → plain ws client`, dist(f.floor.subscriber), "", "info");
  add(name, `subscriber p50: WebSub / floor, poll / floor, poll / WebSub`, `${f.ratios.websubOverFloor.toFixed(1)}× / ${f.ratios.pollOverFloor.toFixed(1)}× / ${f.ratios.pollOverWebsub.toFixed(2)}×`, "", "info");
  add(name, `scheduled poll, average (derived: interval / 2 + p50) at 60 s / 900 s`, `${(f.derivedPollAverageMs[60] / 1000).toFixed(1)} s / ${(f.derivedPollAverageMs[900] / 1000).toFixed(1)} s`, "", "info");
  add(name, `WebSub push → subscriber within 1 s (p90)`, `${ms(f.websub.subscriber.p90)} ms`, "≤ 1000 ms", f.websub.subscriber.p90 <= 1000 ? "ok" : "MISS");
}
