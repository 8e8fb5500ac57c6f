import "reflect-metadata";
import {
  DirectiveLocation, specifiedDirectives, GraphQLBoolean, GraphQLDirective, GraphQLEnumType, GraphQLInt, lexicographicSortSchema, printSchema,
  type GraphQLSchema,
} from "graphql";
import { buildSchema, type NonEmptyArray } from "type-graphql";
import { fromRoot } from "../src/paths.js";

export const SCHEMA_FILE = fromRoot("schema", "schema.graphql");

/** Apollo Server's cache-control directive: per-type max ages, read by its cache control plugin. */
const cacheControlDirective = new GraphQLDirective({
  name: "cacheControl",
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT, DirectiveLocation.INTERFACE, DirectiveLocation.UNION],
  args: {
    maxAge: { type: GraphQLInt },
    scope: { type: new GraphQLEnumType({ name: "CacheControlScope", values: { PUBLIC: {}, PRIVATE: {} } }) },
    inheritMaxAge: { type: GraphQLBoolean },
  },
});

/**
 * type-graphql wants a PubSub to build a schema with subscriptions, but the schema is built once per process
 * and pub/sub is per gateway (in-process or Redis, src/live): every @Subscription here uses `subscribe`, which
 * takes the gateway's pub/sub from the context, so this one is never used.
 */
const perGatewayPubSub = {
  publish(): void {
    throw new Error("publish through the gateway's live events (src/live), not the schema's pubSub");
  },
  subscribe(): never {
    throw new Error("subscriptions listen on the gateway's pub/sub (context.live), not the schema's pubSub");
  },
};

let built: Promise<GraphQLSchema> | undefined;

/**
 * The executable schema from the types declared in schema/ and the resolver classes resolvers/index.ts lists (passed
 * in, so schema/ never imports resolvers/, which import schema/'s types). Built once per process: type-graphql's
 * metadata is global anyway.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own resolver-class type
export function buildSchemaWith(resolvers: NonEmptyArray<Function>): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers,
    pubSub: perGatewayPubSub,
    validate: false,
    // Giving type-graphql a directives list replaces graphql's own, so @include/@skip/@deprecated must be listed.
    directives: [...specifiedDirectives, cacheControlDirective],
  });
  return built;
}

const HEADER = "# crosswire GraphQL schema. Generated from the code by `npm run schema`; do not edit by hand.\n\n";

/** The SDL text of schema/schema.graphql for an executable schema. */
export function printSchemaFile(schema: GraphQLSchema): string {
  return HEADER + printSchema(lexicographicSortSchema(schema)) + "\n";
}
