/**
 * The resolver registry: every resolver class of the gateway, and the executable schema built from them. schema/
 * declares the types and knows how to build; this list is the one place resolvers are named, so schema/ does not
 * import resolvers/ (which import schema/'s types).
 */
import type { GraphQLSchema } from "graphql";
import { buildSchemaWith, printSchemaFile } from "../schema/build.js";
import { AuthorResolver, ForumResolver, PostResolver, ThreadResolver } from "./forum.js";
import { NodeResolver } from "./node.js";
import { PostPermalinkResolver, ThreadPermalinkResolver } from "./permalinks.js";
import { ForumSourceFieldResolver, ForumSourceResolver } from "./forum-source.js";
import { ForumFeedsResolver, SourceFeedsResolver, ThreadFeedsResolver } from "./feeds.js";
import { ArticleResolver } from "./articles.js";
import { CitationResolver, CitedStoryResolver, PostCitationsResolver, ThreadCitationsResolver } from "./citations.js";
import { RiverResolver } from "./river.js";
import { SourceResolver } from "./sources.js";
import {
  ArticleStoryResolver, RelatedArticleResolver, SearchResolver, StoryResolver, ThreadRelatedResolver,
} from "./search.js";
import { SubscriptionResolver, ThreadCitationResolver } from "./subscriptions.js";
import { WriteResolver } from "./mutations.js";
import { AdminSourcesResolver } from "./admin-sources.js";
import { installHotResolvers } from "./hot.js";

export const RESOLVERS = [
  NodeResolver, ForumResolver, ThreadResolver, PostResolver, AuthorResolver,
  SourceResolver, ArticleResolver, PostCitationsResolver, CitationResolver, CitedStoryResolver,
  ThreadCitationsResolver, RiverResolver,
  ThreadFeedsResolver, ForumFeedsResolver, SourceFeedsResolver,
  SearchResolver, StoryResolver, ArticleStoryResolver, ThreadRelatedResolver, RelatedArticleResolver,
  ForumSourceFieldResolver, ForumSourceResolver,
  SubscriptionResolver, ThreadCitationResolver, ThreadPermalinkResolver, PostPermalinkResolver,
  WriteResolver, AdminSourcesResolver,
] as const;

/** The executable schema (built once per process), with the thread page's hot fields as plain resolvers (hot.ts). */
export async function buildCrosswireSchema(): Promise<GraphQLSchema> {
  return installHotResolvers(await buildSchemaWith([...RESOLVERS]));
}

/** What `npm run schema` writes to schema/schema.graphql. */
export async function printCrosswireSchema(): Promise<string> {
  return printSchemaFile(await buildCrosswireSchema());
}
