import { it } from "vitest";
import { startTestGateway } from "../helpers/gateway.js";
import { validate, parse, specifiedRules } from "graphql";

it("probe", async () => {
  const gw = await startTestGateway({ introspection: false, debug: true });
  const post = async (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const r = await fetch(`${gw.url}/graphql`, { method: "POST", headers, body });
    const t = await r.text();
    return `${r.status} ${t.slice(0, 700)}`;
  };
  const q = (query: string, extra: Record<string, unknown> = {}) => post(JSON.stringify({ query, ...extra }));
  const log = (k: string, v: string) => console.log(`== ${k}: ${v}`);
  log("var wrong type", await post(JSON.stringify({ query: `query($n:Int){ articles(first: $n) { totalCount } }`, variables: { n: "abc" } })));
  log("var missing", await post(JSON.stringify({ query: `query($n:Int!){ articles(first: $n) { totalCount } }`, variables: {} })));
  log("var unknown field", await post(JSON.stringify({ query: `query($f: ArticleFilter){ articles(filter: $f) { totalCount } }`, variables: { f: { nope: 1 } } })));
  log("typename1000", await q("{ " + "__typename ".repeat(1000) + "}"));
  log("typename500", await q("{ " + "__typename ".repeat(500) + "}"));
  log("introspection", await q(`{ __schema { types { name } } }`));
  log("introspection type", await q(`{ __type(name: "Query") { name } }`));
  log("misspelt", await q(`{ forumz { name } }`));
  log("misspelt arg", await q(`{ articles(frist: 1) { totalCount } }`));
  log("misspelt type", await q(`query($f: ArticleFiltr){ articles(filter: $f) { totalCount } }`));
  log("misspelt enum", await q(`{ forums { threads(first: 1) { nodes { id } } } sources { kind } }`));
  log("misspelt inline", await q(`{ node(id: "x") { ... on Threa { id } } }`));
  log("misspelt input field", await q(`{ articles(filter: { txt: "a" }) { totalCount } }`));
  log("misspelt nested", await q(`{ sources { helth { status } } }`));
  log("typename only", await q(`{ __typename }`));
  log("apq with error", await post(JSON.stringify({ query: "{ forums { name } }", extensions: { persistedQuery: { version: 2, sha256Hash: "x" } } })));
  await gw.close();
  const doc = parse("{ " + "__typename ".repeat(1000) + "}");
}, 60000);
