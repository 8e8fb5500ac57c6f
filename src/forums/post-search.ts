import type { SqlDatabase } from "../db/sql.js";
import type { CitationRecord } from "../model/forum.js";
import type { ForumPostRow, ForumThreadRow, SearchableForum } from "../search/index.js";
import { setUpPostIndex } from "./post-index.js";

/**
 * A remote forum's posts and threads for the search index (src/search/service.ts), read from the post index's rows
 * past the source's write order (`seq`): a post or thread written again with a change gets a new number, so the
 * sync finds edits with the new rows and `postsEditedForSearch` has nothing to add. Rows carry their source ids in
 * `ref`/`threadRef` (the sync's `id` is the write order). A post's author is named by its author id (the rows keep
 * no display names); its thread title is the one the source described (empty until it did).
 */
export function remotePostSearch(db: SqlDatabase, sourceId: string, sourceName: string): SearchableForum {
  return {
    id: sourceId,
    async threadsForSearch(afterSeq, limit) {
      await setUpPostIndex(db);
      const rows = await db.all<{ seq: number; thread_id: string; title: string; forum_slug: string; author_id: string; created_at: string }>(
        "SELECT seq, thread_id, title, forum_slug, author_id, created_at FROM remote_threads WHERE source_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        [sourceId, afterSeq, limit],
      );
      return rows.map((r): ForumThreadRow => ({
        id: Number(r.seq), ref: r.thread_id, title: r.title, createdAt: r.created_at, forumSlug: r.forum_slug, forumName: sourceName, authorName: r.author_id,
      }));
    },
    async postsForSearch(afterSeq, limit) {
      await setUpPostIndex(db);
      const rows = await db.all<{ seq: number; post_id: string; thread_id: string; author_id: string; body_html: string; created_at: string; edited_at: string | null; citations: string; title: string | null; forum_slug: string | null }>(
        `SELECT p.seq, p.post_id, p.thread_id, p.author_id, p.body_html, p.created_at, p.edited_at, p.citations, t.title, t.forum_slug
         FROM remote_posts p LEFT JOIN remote_threads t ON t.source_id = p.source_id AND t.thread_id = p.thread_id
         WHERE p.source_id = ? AND p.seq > ? ORDER BY p.seq LIMIT ?`,
        [sourceId, afterSeq, limit],
      );
      return rows.map((r): ForumPostRow => ({
        id: Number(r.seq), threadId: 0, ref: r.post_id, threadRef: r.thread_id, threadTitle: r.title ?? "", forumSlug: r.forum_slug ?? "",
        authorName: r.author_id, authorUsername: r.author_id, bodyHtml: r.body_html, createdAt: r.created_at, editedAt: r.edited_at,
        citations: [...new Set((JSON.parse(r.citations) as CitationRecord[]).map((c) => c.canonicalUrl))],
      }));
    },
    postsEditedForSearch: () => Promise.resolve([]),
  };
}
