import { it } from "vitest";
import { startTestGateway } from "../helpers/gateway.js";
import { toGlobalId } from "../../src/ids/index.js";

it("probe", async () => {
  const gw = await startTestGateway({ adminToken: "probe-admin-token-0123456789" });
  const post = async (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const r = await fetch(`${gw.url}/graphql`, { method: "POST", headers, body });
    const t = await r.text();
    return `${r.status} ${t.slice(0, 300)}`;
  };
  const q = (query: string, extra: Record<string, unknown> = {}) => post(JSON.stringify({ query, ...extra }));
  const tid = toGlobalId("Thread", "local", 1);
  let deep = "id"; for (let i = 0; i < 25; i++) deep = `thread { posts(first:1) { nodes { ${deep} } } }`;
  const log = (k: string, v: string) => console.log(`== ${k}: ${v}`);
  log("deep50", await q(`{ post(id: "${toGlobalId("Post","local",1)}") { ${deep} } }`));
  log("deep frag __schema", await q(`{ ...__schema } fragment __schema on Query { post(id: "${toGlobalId("Post","local",1)}") { ${deep} } }`));
  log("typename200", await q("{ " + "__typename ".repeat(200) + "}"));
  log("typename99", await q("{ " + "__typename ".repeat(99) + "}"));
  for (const n of [100, 5000, 100000]) {
  log("deep vars " + n, await post(`{"query":"query($f: ArticleFilter){ articles(filter: $f) { totalCount } }","variables":{"f":${'{"text":'.repeat(n)}"x"${"}".repeat(n)}}}`).catch(e => "ERR " + e));
  log("deep vars arr " + n, await post(`{"query":"query($ids: [ID!]!){ nodes(ids: $ids) { id } }","variables":{"ids":${"[".repeat(n)}"x"${"]".repeat(n)}}}`).catch(e => "ERR " + e));
  log("deep body " + n, await post(`{"query":"{ forums { name } }","extensions":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`).catch(e => "ERR " + e));
  }
  log("typename flood", await q("{ " + Array.from({length: 2000}, (_, i) => `t${i}: __typename`).join(" ") + " }"));
  log("directives", await q("{ forums " + "@include(if: true) ".repeat(1000) + "{ name } }"));
  log("misspelt", await q("{ forumz { name } }"));
  log("url unicode", await post(JSON.stringify({ query: `query($u:String!){ article(url:$u){ title } }`, variables: { u: "http://ex\u0000ample.com/\u202e\ud800" } })));
  log("unfurl ctl", await post(JSON.stringify({ query: `query($u:String!){ unfurl(url:$u){ title } }`, variables: { u: "\u0000\u0001http://a.example/" } })));
  log("after ctl", await post(JSON.stringify({ query: `query($a:String){ articles(first:1, after:$a){ totalCount } }`, variables: { a: "\u0000\ud800☃" } })));
  log("filter text", await post(JSON.stringify({ query: `query($t:String){ articles(first:1, filter:{text:$t}){ totalCount } }`, variables: { t: "%_\u0000'\"\\ \ud800" + "x".repeat(100000) } })));
  log("filter sources", await post(JSON.stringify({ query: `query($t:[String!]){ articles(first:1, filter:{sources:$t}){ totalCount } }`, variables: { t: ["\u0000", "'", "x".repeat(10000)] } })));
  log("apq bad", await post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "deadbeef" } } })));
  log("mutation no auth", await q(`mutation { refreshAllSources { slug } }`));
  log("mutation bad id", await post(JSON.stringify({ query: `mutation($id:ID!){ refreshSource(id:$id){ slug } }`, variables: { id: "\u0000" } }), { "content-type": "application/json", authorization: "Bearer probe-admin-token-0123456789" }));
  log("introspection on", await q(`{ __schema { types { name } } }`));
  log("nodes flood", await q(`{ ${Array.from({length:10},(_, i)=>`n${i}: articles(first: 100) { nodes { citedBy(first: 100) { nodes { id } } } }`).join(" ")} }`));
  await gw.close();
}, 60000);
