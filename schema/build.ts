import "reflect-metadata";
import {
  DirectiveLocation, specifiedDirectives, GraphQLBoolean, GraphQLDirective, GraphQLEnumType, GraphQLInt, lexicographicSortSchema, printSchema,
  type GraphQLSchema,
} from "graphql";
import { buildSchema } from "type-graphql";
import { AuthorResolver, ForumResolver, PostResolver, ThreadResolver } from "../resolvers/forum.js";
import { NodeResolver } from "../resolvers/node.js";
import { PostPermalinkResolver, ThreadPermalinkResolver } from "../resolvers/permalinks.js";
import { ForumSourceFieldResolver, ForumSourceResolver } from "../resolvers/forum-source.js";
import { ForumFeedsResolver, SourceFeedsResolver, ThreadFeedsResolver } from "../resolvers/feeds.js";
import { ArticleResolver } from "../resolvers/articles.js";
import { CitationResolver, CitedStoryResolver, PostCitationsResolver, ThreadCitationsResolver } from "../resolvers/citations.js";
import { RiverResolver } from "../resolvers/river.js";
import { SourceResolver } from "../resolvers/sources.js";
import {
  ArticleStoryResolver, RelatedArticleResolver, SearchResolver, StoryResolver, ThreadRelatedResolver,
} from "../resolvers/search.js";
import { SubscriptionResolver, ThreadCitationResolver } from "../resolvers/subscriptions.js";
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

/** The executable schema (built once per process; type-graphql's metadata is global anyway). */
export function buildCrosswireSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [
      NodeResolver, ForumResolver, ThreadResolver, PostResolver, AuthorResolver,
      SourceResolver, ArticleResolver, PostCitationsResolver, CitationResolver, CitedStoryResolver,
      ThreadCitationsResolver, RiverResolver,
      ThreadFeedsResolver, ForumFeedsResolver, SourceFeedsResolver,
      SearchResolver, StoryResolver, ArticleStoryResolver, ThreadRelatedResolver, RelatedArticleResolver,
      ForumSourceFieldResolver, ForumSourceResolver,
      SubscriptionResolver, ThreadCitationResolver, ThreadPermalinkResolver, PostPermalinkResolver,
    ],
    pubSub: perGatewayPubSub,
    validate: false,
    // Giving type-graphql a directives list replaces graphql's own, so @include/@skip/@deprecated must be listed.
    directives: [...specifiedDirectives, cacheControlDirective],
  });
  return built;
}

const HEADER = "# crosswire GraphQL schema. Generated from the code by `npm run schema`; do not edit by hand.\n\n";

export async function printCrosswireSchema(): Promise<string> {
  return HEADER + printSchema(lexicographicSortSchema(await buildCrosswireSchema())) + "\n";
}
