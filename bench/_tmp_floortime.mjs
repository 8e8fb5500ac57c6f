import { graphql } from "graphql";
import { generateDataset } from "./data.mjs";
import { floorSchema } from "./floor.mjs";
import { THREAD_PAGE, threadId } from "./queries.mjs";
const schema = floorSchema(generateDataset({ seed: 42 }));
for (const first of [10, 100, 1000]) {
  let n = 0; const t = performance.now();
  while (performance.now() - t < 2000) { const r = await graphql({ schema, source: THREAD_PAGE, variableValues: { id: threadId(1), first } }); if (r.errors) throw new Error(JSON.stringify(r.errors)); JSON.stringify(r); n++; }
  console.log(first, (2000 / n).toFixed(2), "ms/op");
}
