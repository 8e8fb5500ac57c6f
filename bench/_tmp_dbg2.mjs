import { generateDataset } from "./data.mjs";
import { startChild } from "./processes.mjs";
import { sourceConfigs } from "./shared.mjs";
import { THREAD_PAGE, threadId } from "./queries.mjs";
import { mkdtempSync, writeFileSync } from "node:fs";
const tmp = mkdtempSync("/tmp/cwb-");
const ds = generateDataset({ seed: 42 });
writeFileSync(tmp + "/ds.json", JSON.stringify(ds));
const p = await startChild("prepare", { dataDir: tmp + "/d", datasetFile: tmp + "/ds.json" });
await p.exit;
const cw = await startChild("crosswire", { dataDir: tmp + "/d", overrides: { sources: sourceConfigs(ds.sources) } });
const fl = await startChild("floor", { datasetFile: tmp + "/ds.json" });
for (const [name, srv] of [["crosswire", cw], ["floor", fl]]) for (const first of [10, 100, 1000]) {
  const times = [];
  for (let i = 0; i < (first === 1000 ? 6 : 20); i++) {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${srv.port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: THREAD_PAGE, variables: { id: threadId(1), first } }) });
    await res.text();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(name, first, "median", times[Math.floor(times.length / 2)].toFixed(1), "min", times[0].toFixed(1));
}
await cw.stop(); await fl.stop();
