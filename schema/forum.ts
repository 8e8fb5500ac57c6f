import { Directive, Field, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "./connection.js";
import { Node } from "./node.js";
import { DateTime } from "./scalars.js";

/*
 * The forum half of the schema. Instances are built by resolvers/mappers.ts from adapter records; the
 * non-@Field properties (sourceId, key, ...) are what field resolvers need to load related objects.
 */

@Directive("@cacheControl(maxAge: 300)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "A board: a list of threads in one forum source." })
export class Forum extends Node {
  readonly __typename = "Forum" as const;
  sourceId!: string;
  key!: string;

  @Field(() => String, { description: "URL-safe short name, unique within its source." })
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => DateTime)
  createdAt!: Date;
}

@Directive("@cacheControl(maxAge: 30)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "A discussion in a forum." })
export class Thread extends Node {
  readonly __typename = "Thread" as const;
  sourceId!: string;
  key!: string;
  forumKey!: string;
  authorKey!: string;
  /** The record's own page URL (forum-feed), else null: resolvers/permalinks.ts decides `url`. */
  pageUrl!: string | null;

  // Nullable like Article.title and Story.title (one type per field name across SearchResult and Node members);
  // a thread always has one.
  @Field(() => String, { nullable: true, description: "Never null: nullable only to match `title` on Article and Story." })
  title!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { description: "Time of the newest post." })
  lastPostedAt!: Date;
}

@Directive("@cacheControl(maxAge: 30)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "One message in a thread." })
export class Post extends Node {
  readonly __typename = "Post" as const;
  sourceId!: string;
  key!: string;
  threadKey!: string;
  authorKey!: string;
  /** The record's own page URL (forum-feed), else null: resolvers/permalinks.ts decides `url`. */
  pageUrl!: string | null;
  /** Unsanitized HTML as the source stored it: never exposed as is. */
  rawHtml!: string;

  @Field(() => Int, { description: "1-based position of the post in its thread." })
  position!: number;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  editedAt!: Date | null;
}

@Directive("@cacheControl(maxAge: 300)")
@ObjectType({ simpleResolvers: true, implements: Node, description: "Someone who writes posts." })
export class Author extends Node {
  readonly __typename = "Author" as const;
  sourceId!: string;
  key!: string;
  /** bio and joinedAt are not known yet (a summary from post data): resolvers/forum.ts loads the profile. */
  partial!: boolean;

  @Field(() => String)
  username!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Null when the forum does not say (a Discourse user who hid their profile)." })
  bio!: string | null;

  @Field(() => DateTime, { nullable: true, description: "Null when the forum does not say (a Discourse user who hid their profile)." })
  joinedAt!: Date | null;
}

export const { Edge: ThreadEdge, Connection: ThreadConnection } = connectionTypes("Thread", Thread);
export type ThreadConnection = InstanceType<typeof ThreadConnection>;
export const { Edge: PostEdge, Connection: PostConnection } = connectionTypes("Post", Post);
export type PostConnection = InstanceType<typeof PostConnection>;
