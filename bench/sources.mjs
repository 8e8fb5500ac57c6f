// Stored sources (issue 21): what addSource and importOpml cost, against a baseline in the same run.
//
//   npm run build && node bench/sources.mjs [--rounds 20] [--outlines 1000]
//
// One gateway in this process (SQLite stores, polling off) and one loopback feed server. addSource of a feed URL
// (discovery fetch, schema check, row insert, sync, first poll) is timed against refreshSource of a configured
// source with the same feed (fetch and poll only): the ratio is what storing and discovering add. importOpml of
// N outlines is reported per outline. Medians of `--rounds` runs; the load average is printed beside them.
//
// Measured 2026-12-03 on the shared 2-core machine (two runs, load average 6.6–8.9): addSource 43.7 / 43.2 ms
// median against refreshSource 26.4 / 30.0 ms (ratio 1.66 / 1.44: one discovery fetch more, the row, the sync);
// importOpml of 1,000 outlines 274 / 315 ms (0.27 / 0.31 ms per outline, nothing fetched).
import "reflect-metadata";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { createGateway } from "../dist/src/app/index.js";
import { loadConfig } from "../dist/src/config/index.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 20);
const OUTLINES = arg("outlines", 1000);
const ADMIN = "admin-token-for-the-sources-bench";

const items = Array.from({ length: 20 }, (_, i) => `<item><title>Story ${i}</title><link>https://bench.example/s/${i}</link><guid>s-${i}</guid></item>`).join("");
const body = (n) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Bench ${n}</title><link>https://bench.example/</link>${items.replaceAll("bench.example/s", `bench.example/${n}`)}</channel></rss>`;
const upstream = http.createServer((req, res) => {
  const text = body(req.url.replace(/\W/g, ""));
  res.writeHead(200, { "content-type": "application/rss+xml", "content-length": Buffer.byteLength(text) }).end(text);
});
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${upstream.address().port}`;

const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-bench-sources-"));
const config = loadConfig({}, {
  port: 0, host: "127.0.0.1", dataDir, logLevel: "silent", adminToken: ADMIN, unfurl: { enabled: false },
  forum: { seedDemo: false }, news: { demoFeeds: false, poll: false }, net: { allowAddresses: ["127.0.0.1"] },
  sources: [{ id: "baseline", name: "Baseline", url: `${base}/baseline.xml` }], storedSources: { maxSources: 100_000 },
});
const gateway = await createGateway({ config, logger: pino({ level: "silent" }) });
const { port } = await gateway.listen();
const gql = async (query, variables) => {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ query, variables }),
  });
  const json = await res.json();
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
};
const timed = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const BASELINE_ID = Buffer.from("Source:baseline:baseline").toString("base64url");
const refresh = [];
const add = [];
for (let i = 0; i < ROUNDS; i++) {
  // Interleaved, so drift in the machine's load falls on both alike.
  refresh.push(await timed(() => gql(`mutation ($id: ID!) { refreshSource(id: $id) { slug } }`, { id: BASELINE_ID })));
  add.push(await timed(() => gql(`mutation ($url: String!) { addSource(input: { url: $url }) { source { slug } } }`, { url: `${base}/feed${i}.xml` })));
}
const outlines = Array.from({ length: OUTLINES }, (_, i) => `<outline type="rss" text="Imported ${i}" xmlUrl="https://imported${i}.example/rss"/>`).join("");
const importMs = await timed(() => gql(`mutation ($opml: String!) { importOpml(opml: $opml) { added { slug } } }`, { opml: `<opml version="2.0"><body><outline text="Folder">${outlines}</outline></body></opml>` }));

console.log(JSON.stringify({
  rounds: ROUNDS,
  refreshSourceMedianMs: +median(refresh).toFixed(1),
  addSourceMedianMs: +median(add).toFixed(1),
  addOverRefresh: +(median(add) / median(refresh)).toFixed(2),
  importOpml: { outlines: OUTLINES, totalMs: +importMs.toFixed(0), perOutlineMs: +(importMs / OUTLINES).toFixed(2) },
  loadavg: loadavg().map((l) => +l.toFixed(2)),
}, null, 2));
await gateway.stop();
upstream.close();
rmSync(dataDir, { recursive: true, force: true });
