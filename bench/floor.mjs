/**
 * The floor baseline: the least a GraphQL server can do for the bench query. Plain graphql-js (`graphql()`:
 * parse, validate, execute on every request), a hand-written SDL schema through `buildSchema`, synchronous
 * resolvers over in-memory maps, and `node:http`. No framework, no DataLoader, no store, no context.
 *
 * It holds the same data crosswire serves (the generated dataset) and answers the same query with the same
 * JSON, global IDs included, so run.mjs can check the two answers are identical before timing them.
 */
import http from "node:http";
import { buildSchema, graphql } from "graphql";

const SDL = /* GraphQL */ `
  scalar DateTime
  type Query { thread(id: ID!): Thread }
  type Thread { id: ID! title: String! createdAt: DateTime! posts(first: Int): PostConnection! }
  type PostConnection { totalCount: Int! edges: [PostEdge!]! }
  type PostEdge { node: Post! }
  type Post { id: ID! position: Int! createdAt: DateTime! author: Author! citations: [Citation!]! }
  type Author { id: ID! name: String! username: String! }
  type Citation { url: String! canonicalUrl: String! article: Article }
  type Article { id: ID! title: String publishedAt: DateTime sources: [Source!]! }
  type Source { id: ID! slug: String! name: String! }
`;

const globalId = (type, sourceId, key) => Buffer.from(`${type}:${sourceId}:${key}`, "utf8").toString("base64url");

/** The dataset as the floor keeps it: plain objects in maps, IDs precomputed. */
function index(dataset) {
  const sources = new Map(dataset.sources.map((s) => [s.id, { id: globalId("Source", s.id, s.id), slug: s.id, name: s.name }]));
  const articles = new Map(
    dataset.articles.map((a) => [
      a.url,
      { id: globalId("Article", "news", a.url), title: a.title, publishedAt: a.publishedAt, sourceIds: a.sourceIds },
    ]),
  );
  const authors = new Map(dataset.authors.map((a) => [a.id, { id: globalId("Author", "local", a.id), name: a.name, username: a.username }]));
  const threads = new Map(
    dataset.threads.map((t) => [
      globalId("Thread", "local", t.id),
      {
        id: globalId("Thread", "local", t.id),
        title: t.title,
        createdAt: t.createdAt,
        // Thread order: the dataset lists posts by position already.
        posts: dataset.posts
          .filter((p) => p.threadId === t.id)
          .map((p) => ({
            id: globalId("Post", "local", p.id),
            position: p.position,
            createdAt: p.createdAt,
            authorId: p.authorId,
            citations: p.citations.map((url) => ({ url, canonicalUrl: url })),
          })),
      },
    ]),
  );
  return { sources, articles, authors, threads };
}

export function floorSchema(dataset) {
  const data = index(dataset);
  const schema = buildSchema(SDL);
  const resolve = (type, field, fn) => {
    schema.getType(type).getFields()[field].resolve = fn;
  };
  resolve("Query", "thread", (_, { id }) => data.threads.get(id) ?? null);
  resolve("Thread", "posts", (thread, { first }) => ({
    totalCount: thread.posts.length,
    edges: thread.posts.slice(0, first ?? 20).map((node) => ({ node })),
  }));
  resolve("Post", "author", (post) => data.authors.get(post.authorId));
  resolve("Citation", "article", (citation) => data.articles.get(citation.canonicalUrl) ?? null);
  resolve("Article", "sources", (article) => article.sourceIds.map((id) => data.sources.get(id)));
  return schema;
}

/** Starts the floor server on 127.0.0.1 and a free port. */
export async function startFloor(dataset) {
  const schema = floorSchema(dataset);
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || !req.url.startsWith("/graphql")) {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"errors":[{"message":"bad JSON"}]}');
        return;
      }
      const result = await graphql({
        schema,
        source: body.query,
        variableValues: body.variables,
        operationName: body.operationName,
      });
      const text = JSON.stringify(result);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
