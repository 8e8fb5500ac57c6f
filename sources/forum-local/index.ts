import path from "node:path";
import { placeholders, SqliteDatabase } from "../../src/db/sqlite.js";
import type {
  AuthorRecord,
  BatchResult,
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

export interface LocalForumSource extends ForumSource {
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
});
const toAuthor = (r: AuthorRow): AuthorRecord => ({
  id: String(r.id), username: r.username, name: r.name, bio: r.bio, joinedAt: new Date(r.joined_at),
});

const THREADS_BY_FORUM: ListSpec<ThreadRow, ThreadRecord> = {
  table: "threads", parentColumn: "forum_id", orderBy: ["last_posted_at", "id"], direction: "DESC",
  toRecord: toThread, cursorOf: (r) => [r.last_posted_at, r.id],
};
const POSTS_BY_THREAD: ListSpec<PostRow, PostRecord> = {
  table: "posts", parentColumn: "thread_id", orderBy: ["position"], direction: "ASC",
  toRecord: toPost, cursorOf: (r) => [r.position],
};
const POSTS_BY_AUTHOR: ListSpec<PostRow, PostRecord> = {
  table: "posts", parentColumn: "author_id", orderBy: ["created_at", "id"], direction: "DESC",
  toRecord: toPost, cursorOf: (r) => [r.created_at, r.id],
};

/** Threads, posts and authors in an embedded SQLite file: the default forum and the demo. */
export function createLocalForumSource(options: LocalForumOptions): LocalForumSource {
  const id = options.id ?? "local";
  const database = new SqliteDatabase(options.file, MIGRATIONS);
  const seeded = options.seedDemo ? seedDemoForum(database) : null;

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
    async close() {
      database.close();
    },
  };
}

export function localForumFile(dataDir: string): string {
  return path.join(dataDir, "forum.db");
}
