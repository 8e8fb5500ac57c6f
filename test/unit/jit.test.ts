import { buildSchema, parse, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { createJitExecutor, HEAP_PER_CHARACTER, type JitRequest } from "../../src/server/jit.js";

/** The compiled-document cache of src/server/jit.ts: when it compiles, and what bounds what it keeps. */
function setup(options: { maxDocuments?: number; maxBytes?: number; compileAfter?: number } = {}) {
  const schema = buildSchema(`type Query { hello(name: String): String, node: Node } interface Node { id: ID! } type Thing implements Node { id: ID! }`);
  schema.getQueryType()!.getFields().hello!.resolve = (_: unknown, args: { name?: string }) => `hello ${args.name ?? "you"}`;
  schema.getQueryType()!.getFields().node!.resolve = () => ({ __typename: "Thing", id: "1" });
  const jit = createJitExecutor(schema, { maxDocuments: 100, maxBytes: 1 << 30, compileAfter: 2, ...options });
  const run = (source: string, variables?: Record<string, unknown>) => {
    const document = parse(source);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const request: JitRequest = { source, document, operation, request: { variables: variables ?? null }, context: {} };
    return jit.executor(request);
  };
  return { jit, run };
}

describe("the graphql-jit executor's cache", () => {
  it("runs a document with graphql-js until its second run, then compiled, with the same answer", async () => {
    const { jit, run } = setup();
    const first = await run("{ hello node { __typename id } }");
    expect(jit.stats).toMatchObject({ compiled: 0, interpreted: 1 });
    const second = await run("{ hello node { __typename id } }");
    expect(jit.stats).toMatchObject({ compiled: 1, interpreted: 1 });
    expect(second).toEqual(first);
    expect(first).toEqual({ data: { hello: "hello you", node: { __typename: "Thing", id: "1" } } });
  });

  it("keeps compiled documents within the byte bound, least recently used out; one over the bound alone is run, not kept", async () => {
    const a = "{ hello }";
    const b = "{ b: hello }";
    const { jit, run } = setup({ compileAfter: 1, maxBytes: (a.length + b.length - 1) * HEAP_PER_CHARACTER });
    await run(a);
    await run(b); // a goes: both would exceed the bound
    expect(jit.size.bytes).toBe(b.length * HEAP_PER_CHARACTER);
    await run(a); // compiled again
    expect(jit.stats.compiled).toBe(3);
    const huge = `{ ${"x: hello ".repeat(100)}}`;
    expect(await run(huge)).toEqual({ data: { x: "hello you" } });
    expect(jit.size.bytes).toBe(a.length * HEAP_PER_CHARACTER);
  });

  it("follows at most maxDocuments documents", async () => {
    const { jit, run } = setup({ maxDocuments: 3 });
    for (let i = 0; i < 10; i++) await run(`{ a${i}: hello }`);
    expect(jit.size.documents).toBe(3);
  });

  it("answers variable errors in graphql-js's words, compiled or not", async () => {
    const { run } = setup({ compileAfter: 1 });
    const missing = await run("query($n: String!) { hello(name: $n) }", {});
    expect(missing.errors?.map((e) => e.message)).toEqual(['Variable "$n" of required type "String!" was not provided.']);
    const wrong = await run("query($n: String!) { hello(name: $n) }", { n: { not: "a string" } });
    expect(wrong.errors?.map((e) => e.message)).toEqual(['Variable "$n" got invalid value { not: "a string" }; String cannot represent a non string value: { not: "a string" }']);
  });
});
