import { Directive, Field, ObjectType, registerEnumType } from "type-graphql";

export enum ForumBackendKind {
  LOCAL = "LOCAL",
  DISCOURSE = "DISCOURSE",
  FEED = "FEED",
}
registerEnumType(ForumBackendKind, {
  name: "ForumBackendKind",
  description: "LOCAL: the gateway's own store. DISCOURSE: a Discourse site through its JSON API. FEED: a forum read from its RSS/Atom feed.",
});

@Directive("@cacheControl(maxAge: 0)")
@ObjectType("ForumSource", { simpleResolvers: true, description: "The backend that serves a forum, and how it is doing." })
export class ForumSourceInfo {
  @Field(() => String, { description: 'The source id from configuration ("local" for the built-in store); part of the global ID of every object it serves.' })
  id!: string;

  @Field(() => ForumBackendKind)
  kind!: ForumBackendKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: "The site or feed URL; null for the local store." })
  url!: string | null;
}
