import { htmlToText, sanitizeHtml } from "../../src/html/index.js";
import type { AuthorRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import type { BasicUser, PostWire, TopicListItem, TopicWire, UserWire } from "./wire.js";

/** Discourse JSON → forum records. Authors are keyed by lower-cased username (Discourse's unique handle). */

export const authorKey = (username: string) => username.toLowerCase();

/** `position` is the post's place in the topic's stream (1-based), else its post_number. */
export function toPost(p: PostWire, position?: number): PostRecord {
  return {
    id: String(p.id),
    threadId: String(p.topic_id),
    authorId: authorKey(p.username),
    position: position ?? p.post_number,
    bodyHtml: p.cooked,
    createdAt: new Date(p.created_at),
    // updated_at also moves on likes and replies; `version` > 1 is what says the text was edited.
    editedAt: (p.version ?? 1) > 1 && p.updated_at ? new Date(p.updated_at) : null,
  };
}

/** The forum of a topic without a category (private messages, uncategorized): the site itself. */
export const SITE_FORUM = "*";

export function toThread(t: TopicWire): ThreadRecord {
  const creator = t.details?.created_by?.username ?? t.post_stream.posts[0]?.username ?? "system";
  return {
    id: String(t.id),
    forumId: t.category_id != null ? String(t.category_id) : SITE_FORUM,
    authorId: authorKey(creator),
    title: t.title,
    createdAt: new Date(t.created_at),
    lastPostedAt: new Date(t.last_posted_at ?? t.created_at),
    postCount: t.posts_count,
  };
}

export function toListedThread(t: TopicListItem, users: ReadonlyMap<number, BasicUser>): ThreadRecord {
  const poster = t.posters?.[0] ? users.get(t.posters[0].user_id) : undefined;
  return {
    id: String(t.id),
    forumId: t.category_id != null ? String(t.category_id) : SITE_FORUM,
    authorId: authorKey(poster?.username ?? "system"),
    title: t.title,
    createdAt: new Date(t.created_at),
    lastPostedAt: new Date(t.last_posted_at ?? t.created_at),
    postCount: t.posts_count,
  };
}

/**
 * What a post or a topic list says about its author: enough for username and name. Bio and join date are
 * only in /u/{username}.json, fetched when a query asks for them (`partial`).
 */
export function authorSummary(username: string, name: string | null | undefined): AuthorRecord {
  return { id: authorKey(username), username, name: name || username, bio: "", joinedAt: new Date(0), partial: true };
}

export function toAuthor(u: UserWire["user"]): AuthorRecord {
  // bio_cooked is HTML written by the user; Author.bio is plain text.
  const bio = u.bio_cooked ? htmlToText(sanitizeHtml(u.bio_cooked)) : u.bio_raw ?? "";
  return { id: authorKey(u.username), username: u.username, name: u.name || u.username, bio, joinedAt: new Date(u.created_at) };
}
