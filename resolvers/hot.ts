import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { Post } from "../schema/forum.js";
import type { Article, Source } from "../schema/news.js";
import type { Context } from "../src/context.js";
import { postBodies } from "../src/html/rendered.js";
import { articleOf, LOADED_AUTHOR, LOADED_CITATIONS, memoIfAny, memoOf, postsByLevel, RESOLUTION, type LoadedCitation, type LoadedPost } from "./level.js";

/**
 * Plain resolvers on the hot fields of a thread page, installed on the schema after type-graphql built it.
 *
 * type-graphql runs every field resolver through its handler (parameter decorators, middlewares, a promise); on a
 * page of 100 posts × 3 citations that is thousands of calls per request for fields whose answer is already known.
 * These answer synchronously from the level memo (resolvers/level.ts) that Thread.posts filled, and call the field's
 * type-graphql resolver only for what the memo lacks (a post reached through `node(id)`, a level that failed), so the
 * schema, the answers and the errors stay those of resolvers/forum.ts, citations.ts and articles.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry knows its own parent type
type Resolver = GraphQLFieldResolver<any, Context>;

const HOT: Record<string, Record<string, (original: Resolver) => Resolver>> = {
  Thread: {
    posts: (original) => postsByLevel(original),
  },
  Post: {
    author: (original) => (post: LoadedPost, args, ctx, info) => post[LOADED_AUTHOR] ?? original(post, args, ctx, info),
    citations: (original) => (post: LoadedPost, args, ctx, info) => post[LOADED_CITATIONS] ?? original(post, args, ctx, info),
    // Rendered once per post version for the process (src/html/rendered.ts), as resolvers/forum.ts does.
    body: () => (post: Post) => postBodies.get(post.id, post.rawHtml).html,
    bodyText: () => (post: Post) => postBodies.get(post.id, post.rawHtml).text,
  },
  Citation: {
    article: (original) => (citation: LoadedCitation, args, ctx, info) => {
      const resolution = citation[RESOLUTION];
      if (!resolution) return original(citation, args, ctx, info);
      return resolution.record ? articleOf(memoOf(ctx), resolution.record) : null;
    },
    status: (original) => (citation: LoadedCitation, args, ctx, info) => citation[RESOLUTION]?.status ?? original(citation, args, ctx, info),
    error: (original) => (citation: LoadedCitation, args, ctx, info) => {
      const resolution = citation[RESOLUTION];
      return resolution ? resolution.error : original(citation, args, ctx, info);
    },
  },
  Article: {
    sources: (original) => (article: Article, args, ctx, info) => {
      const known = memoIfAny(ctx)?.sources;
      if (!known || !article.sourceIds.every((slug) => known.has(slug))) return original(article, args, ctx, info);
      return article.sourceIds.map((slug) => known.get(slug)).filter((s): s is Source => s != null);
    },
  },
};

/** Replaces the hot fields' resolvers of `schema` in place (once, right after it is built); returns the schema. */
export function installHotResolvers(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(HOT)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`hot resolvers: the schema has no object type ${typeName}`);
    for (const [fieldName, make] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field?.resolve) throw new Error(`hot resolvers: ${typeName}.${fieldName} has no resolver to replace`);
      field.resolve = make(field.resolve);
    }
  }
  return schema;
}
