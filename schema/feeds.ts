import { Field, ObjectType } from "type-graphql";

@ObjectType({ description: "Absolute URLs of an object's feed in each format (for `<link rel=\"alternate\">` tags and feed readers)." })
export class FeedLinks {
  @Field(() => String, { description: "RSS 2.0 (`application/rss+xml`)." })
  rss!: string;

  @Field(() => String, { description: "Atom 1.0 (`application/atom+xml`)." })
  atom!: string;

  @Field(() => String, { description: "JSON Feed 1.1 (`application/feed+json`)." })
  json!: string;
}
