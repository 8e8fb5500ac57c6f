import { z } from "zod";

/*
 * The parts of Discourse's JSON API the adapter reads (docs.discourse.org), validated on the way in: an answer
 * of another shape is a SOURCE_UNAVAILABLE for the fields that needed it, never a crash or a half record.
 * Unknown keys are dropped.
 */

const id = z.number().int().nonnegative();
const time = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "expected an ISO 8601 time" });

export const BasicUser = z.object({ id: z.number().int(), username: z.string().min(1), name: z.string().nullish() });
export type BasicUser = z.infer<typeof BasicUser>;

/** A post as /t/{id}.json, /t/{id}/posts.json and /posts/{id}.json serialize it. */
export const PostWire = z.object({
  id,
  topic_id: id,
  post_number: z.number().int().positive(),
  username: z.string().min(1),
  name: z.string().nullish(),
  /** Null for a deleted post's body on some versions: an empty post, not a broken topic. */
  cooked: z.string().nullish().transform((v) => v ?? ""),
  created_at: time,
  updated_at: time.nullish(),
  /** 1 for a post never edited. */
  version: z.number().int().optional(),
  /** 1 regular, 2 moderator action, 3 small action ("closed", "split_topic", "pinned"), 4 whisper. */
  post_type: z.number().int().optional(),
  /** What a small action did (e.g. "closed.enabled"). */
  action_code: z.string().nullish(),
});
export type PostWire = z.infer<typeof PostWire>;

/** What a topic carries both in /t/{id}.json and in topic lists. */
const TopicFields = z.object({
  id,
  title: z.string(),
  posts_count: z.number().int().nonnegative(),
  created_at: time,
  last_posted_at: time.nullish(),
  category_id: id.nullish(),
  /** "regular", or "private_message" for a PM (never served: README "forum-discourse"). */
  archetype: z.string().optional(),
  /** The last post's post_number: a mega topic's post count as its own client counts it. */
  highest_post_number: z.number().int().nonnegative().optional(),
  /** In topic lists: who wrote the latest post (the only poster name a list without `users` carries). */
  last_poster_username: z.string().nullish(),
});

/**
 * /t/{id}.json: the topic, the first chunk of posts, and the ids of every post (`stream`). A mega topic (10 000
 * posts or more: PostStreamSerializerMixin) has no `stream` but `isMegaTopic` and `lastId`; its posts are read
 * by post_number windows (/t/{id}/posts.json?post_number=N&asc=true), as Discourse's own client does.
 */
export const TopicWire = TopicFields.extend({
  /** Posts per chunk the topic view uses (TopicView.chunk_size, 20). */
  chunk_size: z.number().int().positive().optional(),
  post_stream: z.object({
    posts: z.array(PostWire),
    stream: z.array(id).optional(),
    isMegaTopic: z.boolean().optional(),
    lastId: id.nullish(),
  }),
  details: z.object({ created_by: BasicUser.nullish() }).partial().optional(),
});
export type TopicWire = z.infer<typeof TopicWire>;

/** /t/{topic_id}/posts.json?post_ids[]=… */
export const PostsWire = z.object({ post_stream: z.object({ posts: z.array(PostWire) }) });

const CategoryBase = z.object({
  id,
  name: z.string(),
  slug: z.string(),
  description_text: z.string().nullish(),
  topic_count: z.number().int().nonnegative().optional(),
  /** True for a category not everyone may read (never served). */
  read_restricted: z.boolean().optional(),
  parent_category_id: id.nullish(),
  /** Ids of the child categories, also when the answer does not nest them (a paginated category list). */
  subcategory_ids: z.array(id).optional(),
});
export type CategoryWire = z.infer<typeof CategoryBase> & { subcategory_list?: CategoryWire[] | null | undefined };
/** Subcategories nest in `subcategory_list`, and their own children (a third level) inside theirs. */
const CategoryTree: z.ZodType<CategoryWire> = z.lazy(() => CategoryBase.extend({ subcategory_list: z.array(CategoryTree).nullish() }));

/**
 * /categories.json?include_subcategories=true[&page=N][&parent_category_id=X]. A site with lazy-loaded
 * categories (or more than 1 000) pages it: 20 top-level categories a page, at most 5 children each, flat.
 */
export const CategoriesWire = z.object({ category_list: z.object({ categories: z.array(CategoryTree) }) });

const TopicListItem = TopicFields.extend({
  /** First entry: the original poster. */
  posters: z.array(z.object({ user_id: z.number().int(), description: z.string().nullish(), extras: z.string().nullish() })).optional(),
});
export type TopicListItem = z.infer<typeof TopicListItem>;

/** /c/{slug}/{id}.json and /latest.json */
export const TopicListWire = z.object({
  users: z.array(BasicUser).optional(),
  topic_list: z.object({
    per_page: z.number().int().positive().optional(),
    more_topics_url: z.string().nullish(),
    topics: z.array(TopicListItem),
  }),
});
export type TopicListWire = z.infer<typeof TopicListWire>;

/**
 * /u/{username}.json. A user who hid their profile is answered with HiddenProfileSerializer: no created_at and
 * no bio, `profile_hidden: true`.
 */
export const UserWire = z.object({
  user: BasicUser.extend({
    bio_cooked: z.string().nullish(), bio_raw: z.string().nullish(), created_at: time.nullish(), profile_hidden: z.boolean().optional(),
  }),
});
export type UserWire = z.infer<typeof UserWire>;
