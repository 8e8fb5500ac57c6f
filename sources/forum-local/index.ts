import path from "node:path";
import { placeholders, SqliteDatabase } from "../../src/db/sqlite.js";
import { extractLinks } from "../../src/urls/index.js";
import type { ForumPostRow, ForumThreadRow, SearchableForum } from "../../src/search/index.js";
import type {
  AuthorRecord,
  BatchResult,
  CitationRecord,
  ForumRecord,
  ForumSource,
  PageRequest,
  PostRecord,
  ThreadRecord,
} from "../forum.js";
import { MIGRATIONS } from "./migrations.js";
import { loadPages, type ListSpec } from "./paging.js";
import { seedDemoForum, type SeedSummary } from "./seed.js";

export interface LocalForumOptions {
  /** Source id, part of every global ID this source hands out. */
  id?: string;
  /** SQLite file; `:memory:` for tests that need no file. */
  file: string;
  /** Seed the bundled demo forum when the store is empty. */
  seedDemo?: boolean;
}

export interface LocalForumSource extends ForumSource, SearchableForum {
  readonly database: SqliteDatabase;
  readonly seeded: SeedSummary | null;
}

interface ForumRow { id: number; slug: string; name: string; description: string; created_at: string }
interface ThreadRow {
  id: number; forum_id: number; author_id: number; title: string;
  created_at: string; last_posted_at: string; post_count: number;
}
interface PostRow {
  id: number; thread_id: number; author_id: number; position: number;
  body_html: string; created_at: string; edited_at: string | null;
  /** JSON [[url, canonicalUrl], …] when the query folded citations in. */
  _citations?: string;
}
interface AuthorRow { id: number; username: string; name: string; bio: string; joined_at: string }

const toForum = (r: ForumRow): ForumRecord => ({
  id: String(r.id), slug: r.slug, name: r.name, description: r.description, createdAt: new Date(r.created_at),
});
const toThread = (r: ThreadRow): ThreadRecord => ({
  id: String(r.id), forumId: String(r.forum_id), authorId: String(r.author_id), title: r.title,
  createdAt: new Date(r.created_at), lastPostedAt: new Date(r.last_posted_at), postCount: r.post_count,
});
const toPost = (r: PostRow): PostRecord => ({
  id: String(r.id), threadId: String(r.thread_id), authorId: String(r.author_id), position: r.position,
  bodyHtml: r.body_html, createdAt: new Date(r.created_at), editedAt: r.edited_at ? new Date(r.edited_at) : null,
  ...(r._citations !== undefined
    ? { citations: (JSON.parse(r._citations) as [string, string][]).map(([url, canonicalUrl]) => ({ url, canonicalUrl })) }
    : {}),
});

// Pages of posts carry each post's citations (one subquery per page row), so a thread page with its
// citations is one statement, not two.
const WITH_CITATIONS = `(SELECT json_group_array(json_array(url, canonical_url)) FROM
  (SELECT url, canonical_url FROM post_citations c WHERE c.post_id = ranked.id ORDER BY ordinal)) AS _citations`;
const toAuthor = (r: AuthorRow): AuthorRecord => ({
  id: String(r.id), username: r.username, name: r.name, bio: r.bio, joinedAt: new Date(r.joined_at),
});

const THREADS_BY_FORUM: ListSpec<ThreadRow, ThreadRecord> = {
  table: "threads", parentColumn: "forum_id", orderBy: ["last_posted_at", "id"], direction: "DESC",
  toRecord: toThread, cursorOf: (r) => [r.last_posted_at, r.id],
};
const POSTS_BY_THREAD: ListSpec<PostRow, PostRecord> = {
  table: "posts", parentColumn: "thread_id", orderBy: ["position"], direction: "ASC",
  extraSelect: WITH_CITATIONS,
  toRecord: toPost, cursorOf: (r) => [r.position],
};
// Citation pages list posts, so they read posts joined to the citation index (SQLite flattens the subquery).
const POSTS_CITING_URL: ListSpec<PostRow, PostRecord> = {
  table: "(SELECT p.*, c.canonical_url FROM posts p JOIN post_citations c ON c.post_id = p.id)",
  parentColumn: "canonical_url", orderBy: ["created_at", "id"], direction: "DESC",
  extraSelect: WITH_CITATIONS,
  toRecord: toPost, cursorOf: (r) => [r.created_at, r.id],
};
const RECENT_POSTS: ListSpec<PostRow, PostRecord> = {
  table: "(SELECT p.*, '*' AS everything FROM posts p)",
  parentColumn: "everything", orderBy: ["created_at", "id"], direction: "DESC",
  extraSelect: WITH_CITATIONS,
  toRecord: toPost, cursorOf: (r) => [r.created_at, r.id],
};
const POSTS_BY_AUTHOR: ListSpec<PostRow, PostRecord> = {
  table: "posts", parentColumn: "author_id", orderBy: ["created_at", "id"], direction: "DESC",
  extraSelect: WITH_CITATIONS,
  toRecord: toPost, cursorOf: (r) => [r.created_at, r.id],
};

/** Threads, posts and authors in an embedded SQLite file: the default forum and the demo. */
export function createLocalForumSource(options: LocalForumOptions): LocalForumSource {
  const id = options.id ?? "local";
  const database = new SqliteDatabase(options.file, MIGRATIONS);
  const seeded = options.seedDemo ? seedDemoForum(database) : null;
  indexCitations(database);

  /** One `WHERE id IN (…)` per batch; answers in key order, null where the row does not exist. */
  function byIds<Row extends { id: number }, T>(table: string, ids: readonly string[], map: (r: Row) => T): BatchResult<T> {
    const numeric = ids.map((k) => (/^\d{1,15}$/.test(k) ? Number(k) : null));
    const wanted = [...new Set(numeric.filter((n): n is number => n !== null))];
    const rows = wanted.length
      ? database.all<Row>(`SELECT * FROM ${table} WHERE id IN (${placeholders(wanted.length)})`, wanted)
      : [];
    const byId = new Map(rows.map((r) => [r.id, map(r)]));
    return numeric.map((n) => (n === null ? null : byId.get(n) ?? null));
  }

  const numericParents = (requests: readonly PageRequest[]) =>
    requests.map((r) => ({ ...r, parentId: /^\d{1,15}$/.test(r.parentId) ? String(Number(r.parentId)) : "-1" }));

  return {
    id,
    kind: "local",
    database,
    seeded,
    async listForums() {
      return database.all<ForumRow>("SELECT * FROM forums ORDER BY id").map(toForum);
    },
    async forumsByIds(ids) {
      return byIds<ForumRow, ForumRecord>("forums", ids, toForum);
    },
    async threadsByIds(ids) {
      return byIds<ThreadRow, ThreadRecord>("threads", ids, toThread);
    },
    async postsByIds(ids) {
      return byIds<PostRow, PostRecord>("posts", ids, toPost);
    },
    async authorsByIds(ids) {
      return byIds<AuthorRow, AuthorRecord>("authors", ids, toAuthor);
    },
    async threadPagesByForum(requests) {
      return loadPages(database, THREADS_BY_FORUM, numericParents(requests));
    },
    async postPagesByThread(requests) {
      return loadPages(database, POSTS_BY_THREAD, numericParents(requests));
    },
    async postPagesByAuthor(requests) {
      return loadPages(database, POSTS_BY_AUTHOR, numericParents(requests));
    },
    async citationsByPosts(postIds) {
      const numeric = postIds.map((k) => (/^\d{1,15}$/.test(k) ? Number(k) : -1));
      const wanted = [...new Set(numeric)];
      const rows = database.all<{ post_id: number; url: string; canonical_url: string }>(
        `SELECT post_id, url, canonical_url FROM post_citations WHERE post_id IN (${placeholders(wanted.length)}) ORDER BY post_id, ordinal`,
        wanted,
      );
      const byPost = new Map<number, CitationRecord[]>();
      for (const r of rows) {
        const list = byPost.get(r.post_id) ?? [];
        list.push({ url: r.url, canonicalUrl: r.canonical_url });
        byPost.set(r.post_id, list);
      }
      return numeric.map((n) => byPost.get(n) ?? []);
    },
    async citingPostPages(requests) {
      return loadPages(database, POSTS_CITING_URL, requests);
    },
    async citedUrlsByThread(requests) {
      const parents = numericParents(requests);
      const limit = Math.max(...parents.map((r) => r.first ?? 20));
      const ids = [...new Set(parents.map((r) => r.parentId))];
      const rows = database.all<{ thread_id: number; canonical_url: string; n: number; rn: number }>(
        `SELECT * FROM (
           SELECT thread_id, canonical_url, COUNT(*) AS n,
             ROW_NUMBER() OVER (PARTITION BY thread_id ORDER BY COUNT(*) DESC, MIN(post_id)) AS rn
           FROM post_citations WHERE thread_id IN (${placeholders(ids.length)}) GROUP BY thread_id, canonical_url
         ) WHERE rn <= ? ORDER BY thread_id, rn`,
        [...ids, limit],
      );
      return parents.map((r) =>
        rows
          .filter((row) => String(row.thread_id) === r.parentId && row.rn <= (r.first ?? 20))
          .map((row) => ({ canonicalUrl: row.canonical_url, postCount: row.n })),
      );
    },
    async recentPostPages(requests) {
      return loadPages(database, RECENT_POSTS, requests.map((r) => ({ ...r, parentId: "*" })));
    },
    // The search indexer's readers (src/search): rows past a high-water mark, with what a search document needs.
    async threadsForSearch(afterId, limit) {
      return database.all<ForumThreadRow>(
        `SELECT t.id, t.title, t.created_at AS createdAt, f.slug AS forumSlug, f.name AS forumName, a.name AS authorName
         FROM threads t JOIN forums f ON f.id = t.forum_id JOIN authors a ON a.id = t.author_id
         WHERE t.id > ? ORDER BY t.id LIMIT ?`,
        [afterId, limit],
      );
    },
    async postsForSearch(afterId, limit) {
      return searchPosts(database, "p.id > ? ORDER BY p.id", [afterId], limit);
    },
    async postsEditedForSearch(after, limit) {
      return searchPosts(database, "p.edited_at IS NOT NULL AND (p.edited_at, p.id) > (?, ?) ORDER BY p.edited_at, p.id", [after.editedAt, after.id], limit);
    },
    async close() {
      database.close();
    },
  };
}

function searchPosts(database: SqliteDatabase, where: string, params: Array<string | number>, limit: number): ForumPostRow[] {
  const rows = database.all<Omit<ForumPostRow, "citations"> & { cites: string }>(
    `SELECT p.id, p.thread_id AS threadId, t.title AS threadTitle, f.slug AS forumSlug, a.name AS authorName,
       a.username AS authorUsername, p.body_html AS bodyHtml, p.created_at AS createdAt, p.edited_at AS editedAt,
       (SELECT json_group_array(canonical_url) FROM post_citations c WHERE c.post_id = p.id) AS cites
     FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id JOIN authors a ON a.id = p.author_id
     WHERE ${where} LIMIT ?`,
    [...params, limit],
  );
  return rows.map(({ cites, ...row }) => ({ ...row, citations: JSON.parse(cites) as string[] }));
}

export function localForumFile(dataDir: string): string {
  return path.join(dataDir, "forum.db");
}

/**
 * Fills the citation index for posts not indexed yet (new posts, or every post after the migration that
 * added the index). Links are extracted once, at write time, so reads never parse HTML.
 */
export function indexCitations(database: SqliteDatabase): number {
  const pending = database.all<{ id: number; thread_id: number; body_html: string }>(
    "SELECT id, thread_id, body_html FROM posts WHERE links_indexed = 0",
  );
  if (pending.length === 0) return 0;
  database.transaction(() => {
    for (const post of pending) {
      database.run("DELETE FROM post_citations WHERE post_id = ?", [post.id]);
      extractLinks(post.body_html).forEach((link, ordinal) => {
        database.run(
          "INSERT INTO post_citations (post_id, thread_id, ordinal, url, canonical_url) VALUES (?, ?, ?, ?, ?)",
          [post.id, post.thread_id, ordinal, link.url, link.canonicalUrl],
        );
      });
      database.run("UPDATE posts SET links_indexed = 1 WHERE id = ?", [post.id]);
    }
  });
  return pending.length;
}
