import type { SqlQueries, SqlValue } from "../db/sql.js";
import { placeholders } from "../db/sqlite.js";
import { chunks, rowsOf } from "../articles/rows.js";
import { nextSeq } from "./post-rows.js";

/**
 * What a remote source says of a thread, kept for search (the post rows carry no title): written when the source
 * reads the thread (Discourse: a topic; forum-feed: a poll's touched threads), only when new or changed.
 */
export interface ThreadDescription {
  id: string;
  title: string;
  /** The Forum.slug of its board (what search's `forum:<slug>` filter names). */
  forumSlug: string;
  authorId: string;
  createdAt: Date;
}

interface ThreadRow {
  thread_id: string;
  title: string;
  forum_slug: string;
  author_id: string;
  created_at: string;
}

export async function writeThreads(tx: SqlQueries, sourceId: string, threads: readonly ThreadDescription[]): Promise<void> {
  const rows = [...new Map(threads.map((t) => [t.id, {
    thread_id: t.id, title: t.title, forum_slug: t.forumSlug, author_id: t.authorId, created_at: t.createdAt.toISOString(),
  } satisfies ThreadRow])).values()];
  const before = new Map<string, ThreadRow>();
  for (const part of chunks(rows.map((r) => r.thread_id))) {
    const found = await tx.all<ThreadRow>(
      `SELECT thread_id, title, forum_slug, author_id, created_at FROM remote_threads WHERE source_id = ? AND thread_id IN (${placeholders(part.length)})`,
      [sourceId, ...part],
    );
    for (const row of found) before.set(row.thread_id, row);
  }
  const changed = rows.filter((r) => {
    const old = before.get(r.thread_id);
    return !old || old.title !== r.title || old.forum_slug !== r.forum_slug || old.author_id !== r.author_id || old.created_at !== r.created_at;
  });
  if (changed.length === 0) return;
  let seq = await nextSeq(tx, sourceId, changed.length);
  for (const part of chunks(changed)) {
    const params: SqlValue[] = part.flatMap((r) => [sourceId, r.thread_id, r.title, r.forum_slug, r.author_id, r.created_at, seq++]);
    await tx.run(
      `INSERT INTO remote_threads (source_id, thread_id, title, forum_slug, author_id, created_at, seq) VALUES ${rowsOf(part.length, 7)}
       ON CONFLICT (source_id, thread_id) DO UPDATE SET title = excluded.title, forum_slug = excluded.forum_slug,
         author_id = excluded.author_id, created_at = excluded.created_at, seq = excluded.seq`,
      params,
    );
  }
}
