import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { extractExamples, markdownFiles } from "../helpers/doc-examples.js";
import { startTestGateway } from "../helpers/gateway.js";

/**
 * graphql-jit (src/server/jit.ts, `execution.jit`) must answer exactly as graphql-js does. One data directory
 * (demo forum and feeds), served first by a gateway executing with graphql-js, then by one compiling every document
 * at once: the documents of README.md and docs/ (what users are shown) and documents aimed at where executors
 * differ (errors and their paths, variables, @skip/@include, fragments on interfaces and unions, aliases, __typename,
 * introspection) must give the same body and status.
 */
const THREAD = toGlobalId("Thread", "local", "1");
const TARGETED: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: "introspection", query: getIntrospectionQuery() },
  { name: "node on an interface, fragments and __typename", query: `query($id: ID!) { node(id: $id) { __typename id ... on Thread { title posts(first: 2) { edges { cursor node { ...P } } } } } }
    fragment P on Post { id position author { __typename name } citations { url article { __typename title } } }`, variables: { id: THREAD } },
  { name: "@skip and @include from variables, aliases", query: `query($s: Boolean!, $i: Boolean!) { a: forums { slug name @skip(if: $s) } b: forums { id @include(if: $i) } }`, variables: { s: true, i: false } },
  { name: "search hits (a union)", query: `{ search(query: "harbour") { totalCount edges { node { __typename ... on Post { id } ... on Article { title } ... on Thread { title } } } } }` },
  { name: "a bad global id: the error, its path and code", query: `{ node(id: "not-an-id") { id } thread(id: "also-bad") { title } }` },
  { name: "a bad cursor", query: `query($t: ID!) { thread(id: $t) { posts(first: 2, after: "bm9wZQ") { totalCount } } }`, variables: { t: THREAD } },
  { name: "a variable of the wrong type", query: `query($n: Int!) { forums { threads(first: $n) { totalCount } } }`, variables: { n: "three" } },
  { name: "a missing variable", query: `query($t: ID!) { thread(id: $t) { title } }`, variables: {} },
  { name: "an admin mutation without a token", query: `mutation { refreshAllSources { id } }` },
  { name: "an unknown operation name", query: `query A { forums { slug } } query B { forums { name } }` },
];

type Answer = { status: number; body: unknown };

async function answers(jit: boolean, dataDir: string, documents: Array<{ query: string; variables?: Record<string, unknown>; operationName?: string }>): Promise<Answer[]> {
  const gw = await startTestGateway({ news: { demoFeeds: true, poll: false }, execution: { jit, jitCompileAfter: 1 } }, { dataDir });
  try {
    const out: Answer[] = [];
    for (const doc of documents) {
      const res = await fetch(`${gw.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
      // Each error carries the request's own id (random): the rest must be equal.
      out.push({ status: res.status, body: JSON.parse(await res.text(), (key, value) => (key === "requestId" ? "<id>" : value)) });
    }
    return out;
  } finally {
    await gw.close();
  }
}

describe("graphql-jit answers exactly as graphql-js", () => {
  const examples = markdownFiles()
    .flatMap((file) => extractExamples(file, readFileSync(fromRoot(file), "utf8")))
    .filter((e) => e.mark?.kind !== "not-run");
  const fromDocs = [
    ...examples
      .filter((e) => e.lang === "graphql" && !/^\s*subscription\b/.test(e.text))
      .map((e) => ({ name: `${e.file}:${e.line}`, query: e.text })),
    // The bodies the shell examples POST with curl (the README's first queries among them).
    ...examples
      .filter((e) => e.lang !== "graphql")
      .flatMap((e) => [...e.text.matchAll(/\/graphql[^\n]*(?:\\\n[^\n]*)?-d '(\{"query"[^']+)'/g)].map((m, i) => ({ name: `${e.file}:${e.line} curl ${i + 1}`, ...(JSON.parse(m[1]!) as { query: string }) }))),
  ];
  const documents = [...fromDocs, ...TARGETED];
  let dataDir: string;
  let interpreted: Answer[];
  let compiled: Answer[];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-jit-"));
    // The first gateway seeds the data directory; both then read the same rows.
    await answers(false, dataDir, []);
    interpreted = await answers(false, dataDir, documents);
    compiled = await answers(true, dataDir, documents);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`compares ${fromDocs.length} documents of the docs and ${TARGETED.length} aimed at the executors' differences`, () => {
    expect(fromDocs.length).toBeGreaterThanOrEqual(10);
    // The targeted error cases do produce errors (the comparison is not between two empty answers).
    const errors = TARGETED.map((_, i) => (interpreted[fromDocs.length + i]!.body as { errors?: unknown[] }).errors?.length ?? 0);
    expect(errors.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
  });

  for (const [i, doc] of documents.entries()) {
    it(`${doc.name}: same status and body`, () => {
      expect(compiled[i]).toEqual(interpreted[i]);
    });
  }
});
