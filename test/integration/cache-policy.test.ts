import { ApolloServer, HeaderMap } from "@apollo/server";
import { ApolloServerPluginCacheControl } from "@apollo/server/plugin/cacheControl";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { buildSchema, parse, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachePolicyPlugin, documentPolicy } from "../../src/server/cache-policy.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

// A schema with every kind of hint crosswire's schema uses, and resolvers that answer every field (so Apollo's
// per-field plugin sees every field the document selects, and both must agree).
const sdl = `
  enum CacheControlScope { PUBLIC PRIVATE }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  interface Node @cacheControl(maxAge: 600) { id: ID! }
  type Thread implements Node @cacheControl(maxAge: 30) { id: ID! title: String posts: PostConnection! author: Author }
  type Post implements Node @cacheControl(maxAge: 60) { id: ID! body: String citations: [Article!]! }
  type Article implements Node @cacheControl(maxAge: 3600) { id: ID! title: String source: Source hot: String @cacheControl(maxAge: 5) }
  type Source @cacheControl(maxAge: 300) { name: String health: Health }
  type Health @cacheControl(maxAge: 0) { status: String }
  type Author @cacheControl(maxAge: 100, scope: PRIVATE) { name: String }
  type PostConnection @cacheControl(inheritMaxAge: true) { nodes: [Post!]! total: Int }
  type Unhinted { name: String }
  type Query {
    thread: Thread
    article: Article
    node(id: ID!): Node
    unhinted: Unhinted
    version: String
    river: [Node!]! @cacheControl(maxAge: 20)
  }
  type Mutation { touch: Thread }
`;

const article = { __typename: "Article", id: "a", title: "t", hot: "h", source: { name: "s", health: { status: "OK" } } };
const post = { __typename: "Post", id: "p", body: "b", citations: [article] };
const thread = { __typename: "Thread", id: "t", title: "x", posts: { nodes: [post], total: 1 }, author: { name: "n" } };
const rootValue = { thread, article, node: () => thread, unhinted: { name: "u" }, version: "1", river: [thread, article] };

function server(schema: GraphQLSchema, ours: boolean): ApolloServer<any> {
  return new ApolloServer<any>({
    schema,
    plugins: ours ? [ApolloServerPluginCacheControlDisabled(), cachePolicyPlugin(schema)] : [ApolloServerPluginCacheControl({ defaultMaxAge: 0 })],
  });
}

async function header(apollo: ApolloServer<any>, query: string, authorization?: string) {
  const headers = new HeaderMap();
  if (authorization) headers.set("authorization", authorization);
  const res = await apollo.executeOperation({ query, http: { method: "POST", headers, search: "", body: {} } }, { contextValue: {} as never });
  return res.http.headers.get("cache-control");
}

describe("cache policy once per document: the header Apollo's per-field plugin would have written", () => {
  const schema = buildSchema(sdl);
  let apollo: ApolloServer<any>;
  let ours: ApolloServer<any>;
  beforeAll(async () => {
    apollo = server(schema, false);
    ours = server(schema, true);
    // executeOperation has no rootValue option: the resolvers are the schema's own default ones over rootValue.
    for (const [name, value] of Object.entries(rootValue)) schema.getQueryType()!.getFields()[name]!.resolve = typeof value === "function" ? (value as () => unknown) : () => value;
    schema.getMutationType()!.getFields().touch!.resolve = () => thread;
    await apollo.start();
    await ours.start();
  });
  afterAll(async () => Promise.all([apollo?.stop(), ours?.stop()]));

  const cases: Array<[string, string, string | undefined]> = [
    ["a type's maxAge, the smallest wins", "{ thread { title posts { nodes { body } } } }", "max-age=30, public"],
    ["inheritMaxAge on a connection takes the parent's", "{ article { title } }", "max-age=3600, public"],
    ["a field's own hint beats its type's", "{ article { hot } }", "max-age=5, public"],
    ["maxAge 0 deep inside makes it uncacheable", "{ article { source { health { status } } } }", "no-store"],
    ["PRIVATE scope of one type wins", "{ thread { author { name } } }", "max-age=30, private"],
    ["a root scalar without a hint gets the default 0", "{ version article { title } }", "no-store"],
    ["a composite type without a hint gets the default 0", "{ unhinted { name } }", "no-store"],
    ["a root field's own hint and a list of an interface", "{ river { id ... on Article { title } } }", "max-age=20, public"],
    ["an interface's own hint, not the concrete type's", "{ node(id: \"t\") { id ... on Thread { title } } }", "max-age=600, public"],
    ["named fragments", "query Q { thread { ...T } } fragment T on Thread { posts { nodes { citations { title } } } }", "max-age=30, public"],
    ["a literal @skip drops the field", "{ article { title source @skip(if: true) { health { status } } } }", "max-age=3600, public"],
    ["a mutation's policy follows the same rules", "mutation { touch { title } }", "max-age=30, public"],
    ["an error makes it uncacheable", "{ thread { nope } }", "no-store"],
    ["introspection alone is uncacheable", "{ __typename }", "no-store"],
  ];
  it.each(cases)("%s: both write the same header", async (_name, query, expected) => {
    expect(await header(apollo, query)).toBe(expected);
    expect(await header(ours, query)).toBe(expected);
  });

  it("a request with credentials is private (the maxAge kept)", async () => {
    expect(await header(ours, "{ article { title } }", "Bearer someone")).toBe("max-age=3600, private");
  });

  it("a field that resolves to nothing still counts: the document's policy is never longer than Apollo's", async () => {
    // Apollo resolves no Node field when `node` is a Thread, so it never sees Article's hot field (5 s).
    const query = `{ node(id: "t") { ... on Article { hot } ... on Thread { title } } }`;
    expect(await header(apollo, query)).toBe("max-age=600, public");
    expect(await header(ours, query)).toBe("max-age=5, public");
  });

  it("computes a document's policy once per document and operation", () => {
    const document = parse("query A { thread { title } } query B { article { title } }");
    const [a, b] = document.definitions as OperationDefinitionNode[];
    expect(documentPolicy(schema, document, a!)).toEqual({ maxAge: 30, scope: undefined });
    expect(documentPolicy(schema, document, b!)).toEqual({ maxAge: 3600, scope: undefined });
  });
});

describe("cache policy on a gateway", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.close());

  it("a thread page carries the smallest maxAge of what it selects (Thread and Post 30 s, Forum 300 s)", async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ forums { threads(first: 1) { nodes { title posts(first: 5) { nodes { body } } } } } }" }),
    });
    const body = (await res.json()) as any;
    expect([res.status, body.errors]).toEqual([200, undefined]);
    expect(body.data.forums[0].threads.nodes[0].posts.nodes.length).toBeGreaterThan(0);
    expect(res.headers.get("cache-control")).toBe("max-age=30, public");
  });
});
