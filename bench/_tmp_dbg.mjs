import { generateDataset } from "./data.mjs";
import { startChild } from "./processes.mjs";
import { sourceConfigs } from "./shared.mjs";
import { THREAD_PAGE, threadId } from "./queries.mjs";
import { blast, graphqlRequest } from "./load.mjs";
import { mkdtempSync, writeFileSync } from "node:fs";
const tmp = mkdtempSync("/tmp/cwb-");
const ds = generateDataset({ seed: 42 });
writeFileSync(tmp + "/ds.json", JSON.stringify(ds));
const p = await startChild("prepare", { dataDir: tmp + "/d", datasetFile: tmp + "/ds.json" });
await p.exit;
const cw = await startChild("crosswire", { dataDir: tmp + "/d", overrides: { sources: sourceConfigs(ds.sources) } });
for (const first of [10, 1000, 10]) {
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${cw.port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: THREAD_PAGE, variables: { id: threadId(1), first } }) });
  const text = await res.text();
  console.log(first, res.status, text.length, (performance.now() - t).toFixed(0), "ms", text.slice(0, 200));
}
const r = await blast(graphqlRequest(cw.port, THREAD_PAGE, { id: threadId(1), first: 10 }), { seconds: 2, connections: 8 });
console.log(r.responses, r.statuses, r.errors);
await cw.stop();
