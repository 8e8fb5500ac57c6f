import "reflect-metadata";
import { isObjectType, type GraphQLResolveInfo, type GraphQLSchema } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCrosswireSchema } from "../../resolvers/index.js";
import { LOADED_AUTHOR, RESOLUTION, memoOf } from "../../resolvers/level.js";
import { Author, Post } from "../../schema/forum.js";
import { Citation } from "../../schema/news.js";

/** The hot resolvers (resolvers/hot.ts) on the built schema: answers from what a level loaded, else the field's own resolver. */
const record = (key: string) => ({
  key, url: key, canonicalUrl: key, title: `Title of ${key}`, summaryHtml: null, author: null, publishedAt: "2026-11-20T10:00:00.000Z",
  updatedAt: null, imageUrl: null, categories: [], sourceIds: ["a"], provenance: {},
});

describe("hot resolvers", () => {
  let schema: GraphQLSchema;
  const resolverOf = (type: string, field: string) => {
    const t = schema.getType(type);
    if (!isObjectType(t)) throw new Error(type);
    return t.getFields()[field]!.resolve!;
  };
  const info = {} as GraphQLResolveInfo;
  beforeAll(async () => {
    schema = await buildCrosswireSchema();
  });

  it("Post.author answers the level's author synchronously (no promise), the same object for every post of that author", () => {
    const author = Object.assign(new Author(), { id: "A1", name: "One" });
    const posts = [1, 2].map((n) => Object.assign(new Post(), { id: `P${n}`, sourceId: "local", authorKey: "1", [LOADED_AUTHOR]: author }));
    const ctx = { loaders: {} } as never;
    const answers = posts.map((p) => resolverOf("Post", "author")(p, {}, ctx, info));
    expect(answers[0]).toBe(author);
    expect(answers[1]).toBe(author);
  });

  it("Citation.article builds one Article per record per request, whatever the number of citations", () => {
    const ctx = { loaders: {} } as never;
    const cite = (key: string) => Object.assign(new Citation(), { url: key, canonicalUrl: key, articleKey: key, fetch: true,
      [RESOLUTION]: { status: "RESOLVED", articleKey: key, error: null, record: record(key) } });
    const [a, b, c] = [cite("https://x.example/1"), cite("https://x.example/1"), cite("https://x.example/2")];
    const resolve = resolverOf("Citation", "article");
    const first = resolve(a, {}, ctx, info) as { id: string; title: string };
    expect(first.title).toBe("Title of https://x.example/1");
    expect(resolve(b, {}, ctx, info)).toBe(first);
    expect(resolve(c, {}, ctx, info)).not.toBe(first);
    expect(memoOf(ctx).articles.size).toBe(2);
    expect(resolverOf("Citation", "status")(a, {}, ctx, info)).toBe("RESOLVED");
  });

  it("falls back to the field's own resolver for what no level loaded", async () => {
    const loaded: string[] = [];
    const ctx = { loaders: { forSource: () => ({ author: { load: async (key: string) => (loaded.push(key), { id: key, username: "u", name: "Loaded", bio: null, joinedAt: new Date(0) }) } }) } } as never;
    const post = Object.assign(new Post(), { id: "P9", sourceId: "local", authorKey: "9" });
    const answer = await resolverOf("Post", "author")(post, {}, ctx, info);
    expect(loaded).toEqual(["9"]);
    expect((answer as Author).name).toBe("Loaded");
  });
});
