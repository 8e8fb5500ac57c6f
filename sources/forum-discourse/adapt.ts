import { htmlToText, sanitizeHtml } from "../../src/html/index.js";
import type { AuthorRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import { readCooked } from "./cooked.js";
import type { BasicUser, PostWire, TopicListItem, TopicWire, UserWire } from "./wire.js";

/** Discourse JSON → forum records. Authors are keyed by lower-cased username (Discourse's unique handle). */

export const authorKey = (username: string) => username.toLowerCase();

/**
 * Discourse usernames: letters, marks and digits of any script when the site allows unicode_usernames
 * (UsernameValidator), plus `_`, `.` and `-`; at most 60 characters (max_username_length tops out at 60).
 */
export const USERNAME = /^[\p{L}\p{M}\p{N}_.-]{1,60}$/u;

/** post_type 3: "closed", "split_topic", "pinned" and the like, written by the system or a moderator, no text. */
export const SMALL_ACTION = 3;
export const isSmallAction = (p: Pick<PostWire, "post_type">) => p.post_type === SMALL_ACTION;

/**
 * `position` is the post's place in the topic's stream (1-based), which is not its post_number once posts were
 * moved or deleted; only a mega topic (no stream) falls back to post_number. Relative URLs in the body are made
 * absolute against the forum's `base`, and the citations leave out the forum's own links (cooked.ts).
 */
export function toPost(p: PostWire, base: URL, position: number): PostRecord {
  const cooked = readCooked(p.cooked, base);
  return {
    id: String(p.id),
    threadId: String(p.topic_id),
    authorId: authorKey(p.username),
    position,
    bodyHtml: cooked.html,
    citations: cooked.citations,
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

/**
 * A topic of a topic list. Its author is the first of `posters` looked up in the list's `users`; a list without
 * them (some API clients strip `users`, a user deleted since) still names the latest poster, who is the
 * original poster when the entry says so. Otherwise `authorId` is null: the caller reads the topic itself
 * (never "system", which would credit the wrong person).
 */
export type ListedThread = Omit<ThreadRecord, "authorId"> & { authorId: string | null };

export function toListedThread(t: TopicListItem, users: ReadonlyMap<number, BasicUser>): ListedThread {
  const op = t.posters?.[0];
  const poster = op ? users.get(op.user_id) : undefined;
  const opIsLatest = op && (/\blatest\b/.test(op.extras ?? "") || /Most Recent Poster/.test(op.description ?? ""));
  const username = poster?.username ?? (opIsLatest ? t.last_poster_username : null) ?? null;
  return {
    id: String(t.id),
    forumId: t.category_id != null ? String(t.category_id) : SITE_FORUM,
    authorId: username ? authorKey(username) : null,
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
  return { id: authorKey(username), username, name: name || username, bio: null, joinedAt: null, partial: true };
}

/** A hidden profile (HiddenProfileSerializer) has no bio and no created_at: both null, the author still resolves. */
export function toAuthor(u: UserWire["user"]): AuthorRecord {
  // bio_cooked is HTML written by the user; Author.bio is plain text.
  const bio = u.bio_cooked ? htmlToText(sanitizeHtml(u.bio_cooked)) : u.bio_raw ?? null;
  return { id: authorKey(u.username), username: u.username, name: u.name || u.username, bio, joinedAt: u.created_at ? new Date(u.created_at) : null };
}
