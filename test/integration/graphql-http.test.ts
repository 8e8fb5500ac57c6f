import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  // Batching is counted here in statements: the read cache (cache.reads) would answer repeated reads without any.
  gw = await startTestGateway({ pagination: { maxFirst: 25, defaultFirst: 10 }, cache: { reads: { maxEntries: 0 } } });
});
afterAll(async () => {
  await gw?.close();
});

const pid = (n: number) => toGlobalId("Post", "local", n);

describe("GraphQL over HTTP on the demo forum", () => {
  it("answers the README query with demo data and no errors", async () => {
    const { status, body } = await gw.graphql(
      "{ forums { name threads(first: 2) { edges { node { title posts(first: 3) { edges { node { author { name } bodyText } } } } } } } }",
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.forums.map((f: any) => f.name)).toEqual(["World Politics", "Weather & Climate", "Economy & Labour"]);
    const firstThread = body.data.forums[0].threads.edges[0].node;
    expect(firstThread.posts.edges).toHaveLength(3);
    expect(firstThread.posts.edges[0].node.author.name).toMatch(/\w/);
    expect(firstThread.posts.edges[0].node.bodyText.length).toBeGreaterThan(20);
  });

  it("serves GET /graphql for queries, and refuses a GET without a preflight header (CSRF)", async () => {
    const query = encodeURIComponent("{ forums { slug } }");
    const res = await fetch(`${gw.url}/graphql?query=${query}`, {
      headers: { accept: "application/graphql-response+json, application/json", "apollo-require-preflight": "true" },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.forums[0].slug).toBe("world-politics");
    // A GET with only simple headers is what a cross-site <img> or <form> sends: Apollo's CSRF guard refuses it.
    const csrf = await fetch(`${gw.url}/graphql?query=${query}`, { headers: { accept: "application/json" } });
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toContain("CSRF");
  });

  it("batches a whole board page: posts(first: 3) on every thread costs one page statement", async () => {
    const store = gw.gateway.forums.get("local") as LocalForumSource;
    const statements: string[] = [];
    const off = store.database.onStatement((sql) => statements.push(sql));
    const { body } = await gw.graphql(
      "{ forums { threads(first: 5) { edges { node { author { name } posts(first: 3) { totalCount edges { node { author { username } thread { title } } } } } } } } }",
    );
    off();
    expect(body.errors).toBeUndefined();
    const threads = body.data.forums.flatMap((f: any) => f.threads.edges);
    expect(threads.length).toBe(6);
    expect(statements.filter((s) => s.includes("FROM posts t"))).toHaveLength(1);
    expect(statements.filter((s) => s.includes("FROM threads t"))).toHaveLength(1);
    // One statement per level of the query, not per object: forums, thread pages, thread authors, post pages,
    // post authors (only the ids not already loaded). Post.thread comes primed from the thread pages.
    expect(statements.length).toBe(5);
  });

  it("sanitizes post bodies: no event handlers, no javascript: URLs, links marked ugc", async () => {
    const { body } = await gw.graphql(`{ a: post(id: "${pid(16)}") { body bodyText } b: post(id: "${pid(70)}") { body } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.a.body).not.toMatch(/onerror|alert|<script/i);
    expect(body.data.a.body).toContain('rel="nofollow ugc noopener noreferrer"');
    expect(body.data.a.bodyText).not.toContain("<");
    expect(body.data.b.body).not.toMatch(/javascript:/i);
    expect(body.data.b.body).toContain("you can read it here");
  });

  it("refetches objects by global ID with node and nodes, in order, null for unknown ones", async () => {
    const thread = toGlobalId("Thread", "local", 1);
    const { body } = await gw.graphql(
      `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Thread { title } ... on Post { position } } }`,
      { ids: [thread, pid(2), toGlobalId("Post", "local", 999999), toGlobalId("Author", "elsewhere", 1)] },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.nodes[0]).toMatchObject({ __typename: "Thread", id: thread });
    expect(body.data.nodes[1]).toMatchObject({ __typename: "Post", id: pid(2) });
    expect(body.data.nodes[2]).toBeNull();
    expect(body.data.nodes[3]).toBeNull();
  });

  it("a malformed global ID is BAD_USER_INPUT naming the argument; an unknown well-formed one is null", async () => {
    const bad = await gw.graphql(`{ thread(id: "not an id!") { title } }`);
    expect(bad.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(bad.body.errors[0].message).toMatch(/^Argument "id"/);
    const wrongType = await gw.graphql(`{ thread(id: "${pid(1)}") { title } }`);
    expect(wrongType.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(wrongType.body.errors[0].message).toContain("expected the ID of a Thread, got the ID of a Post");
    const unknown = await gw.graphql(`{ thread(id: "${toGlobalId("Thread", "local", 424242)}") { title } }`);
    expect(unknown.body.errors).toBeUndefined();
    expect(unknown.body.data.thread).toBeNull();
  });

  it("first over the configured cap is BAD_USER_INPUT and the other fields still resolve", async () => {
    const { body } = await gw.graphql(`{ forums { name } thread(id: "${toGlobalId("Thread", "local", 1)}") { posts(first: 26) { totalCount } } }`);
    expect(body.data.forums).toHaveLength(3);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0].message).toContain('Argument "first": must be at most 25');
    const negative = await gw.graphql(`{ thread(id: "${toGlobalId("Thread", "local", 1)}") { posts(first: -1) { totalCount } } }`);
    expect(negative.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("pages forwards and backwards through a thread with consistent cursors", async () => {
    const id = toGlobalId("Thread", "local", 1);
    const all = await gw.graphql(`{ thread(id: "${id}") { posts(first: 25) { totalCount edges { node { position } } } } }`);
    const total = all.body.data.thread.posts.totalCount;
    expect(total).toBeGreaterThanOrEqual(25);

    const seen: number[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const res: any = await gw.graphql(
        `query ($id: ID!, $after: String) { thread(id: $id) { posts(first: 10, after: $after) { edges { node { position } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`,
        { id, after },
      );
      expect(res.body.errors).toBeUndefined();
      const conn = res.body.data.thread.posts;
      seen.push(...conn.edges.map((e: any) => e.node.position));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const tail = await gw.graphql(`{ thread(id: "${id}") { posts(last: 3) { edges { node { position } } pageInfo { hasPreviousPage hasNextPage startCursor } } } }`);
    const tailConn = tail.body.data.thread.posts;
    expect(tailConn.edges.map((e: any) => e.node.position)).toEqual([total - 2, total - 1, total]);
    expect(tailConn.pageInfo.hasPreviousPage).toBe(true);
    const before = await gw.graphql(
      `query ($id: ID!, $before: String) { thread(id: $id) { posts(last: 2, before: $before) { edges { node { position } } } } }`,
      { id, before: tailConn.pageInfo.startCursor },
    );
    expect(before.body.data.thread.posts.edges.map((e: any) => e.node.position)).toEqual([total - 4, total - 3]);

    const beyond = await gw.graphql(
      `query ($id: ID!, $after: String) { thread(id: $id) { posts(first: 5, after: $after) { totalCount edges { cursor } pageInfo { hasNextPage } } } }`,
      { id, after: tailConn.edges.length ? (await gw.graphql(`{ thread(id: "${id}") { posts(last: 1) { edges { cursor } } } }`)).body.data.thread.posts.edges[0].cursor : null },
    );
    expect(beyond.body.data.thread.posts).toMatchObject({ totalCount: total, edges: [], pageInfo: { hasNextPage: false } });
  });

  it("a garbage cursor, or a cursor from another list, is BAD_USER_INPUT naming `after`", async () => {
    const id = toGlobalId("Thread", "local", 1);
    const garbage = await gw.graphql(`{ thread(id: "${id}") { posts(first: 2, after: "zzz") { totalCount } } }`);
    expect(garbage.body.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(garbage.body.errors[0].message).toMatch(/^Argument "after"/);
    const threadCursor = (await gw.graphql(`{ forums { threads(first: 1) { edges { cursor } } } }`)).body.data.forums[0].threads.edges[0].cursor;
    const foreign = await gw.graphql(`{ thread(id: "${id}") { posts(first: 2, after: "${threadCursor}") { totalCount } } }`);
    expect(foreign.body.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(foreign.body.errors[0].message).toMatch(/^Argument "after"/);
  });

  it("an author's posts are a connection, newest first", async () => {
    const { body } = await gw.graphql(`{ author(id: "${toGlobalId("Author", "local", 1)}") { username posts(first: 5) { totalCount edges { node { createdAt author { username } } } } } }`);
    expect(body.errors).toBeUndefined();
    const edges = body.data.author.posts.edges;
    expect(edges.length).toBeGreaterThan(1);
    const times = edges.map((e: any) => Date.parse(e.node.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(edges.every((e: any) => e.node.author.username === body.data.author.username)).toBe(true);
  });

  it("refuses bodies over the limit with 413 and broken JSON with 400, each with a code", async () => {
    const big = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ forums { name } }`, pad: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const broken = await fetch(`${gw.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
    const parse = await gw.graphql("{ forums { ");
    expect(parse.status).toBe(400);
    expect(parse.body.errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("serves /healthz and a plain 404 elsewhere", async () => {
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const missing = await fetch(`${gw.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Not found: /nope");
    const escape = await fetch(`${gw.url}/playground-assets/@apollographql/graphql-playground-react/package.json`);
    expect(escape.status).toBe(404);
  });
});

describe("internal errors", () => {
  it("never leak the message or a stack trace unless debug is on", async () => {
    const broken = await startTestGateway();
    const debug = await startTestGateway({ debug: true });
    try {
      for (const g of [broken, debug]) (g.gateway.forums.get("local") as LocalForumSource).database.close();
      const masked = await broken.graphql("{ forums { name } }");
      expect(masked.body.errors[0].message).toBe("Internal server error");
      expect(masked.body.errors[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(masked.body)).not.toMatch(/stacktrace|database connection is not open|\.ts:\d+/);
      const shown = await debug.graphql("{ forums { name } }");
      expect(shown.body.errors[0].message).toMatch(/database connection is not open/);
      expect(shown.body.errors[0].extensions.stacktrace).toBeInstanceOf(Array);
    } finally {
      await broken.close().catch(() => {});
      await debug.close().catch(() => {});
    }
  });
});
