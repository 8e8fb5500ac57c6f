import { Field, ObjectType, registerEnumType } from "type-graphql";
import { DateTime } from "./scalars.js";

/*
 * Subscription payload types (resolvers/subscriptions.ts). The other subscriptions deliver the existing
 * types (Post, Article, Source); a citation event needs three objects at once, so it gets its own.
 */

export enum ThreadCitedReason {
  NEW_ARTICLE = "NEW_ARTICLE",
  NEW_POST = "NEW_POST",
}
registerEnumType(ThreadCitedReason, {
  name: "ThreadCitedReason",
  description: "Why `threadCited` fired: an article a post of the thread cites has just arrived, or a new post cites a known article.",
});

@ObjectType({ description: "A post of a thread and an article it cites, one of them new." })
export class ThreadCitation {
  sourceId!: string;
  threadKey!: string;
  postKey!: string;
  articleKey!: string;

  @Field(() => ThreadCitedReason)
  reason!: ThreadCitedReason;

  @Field(() => DateTime, { description: "When the gateway stored the new article or saw the new post." })
  at!: Date;
}
