import path from "node:path";
import { migrate } from "../../src/db/migrate.js";
import type { Dialect, SqlDatabase, SqlQueries, SqlValue } from "../../src/db/sql.js";
import { placeholders } from "../../src/db/sqlite.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import { ServiceUnavailableError } from "../../src/model/errors.js";
import { extractLinks } from "../../src/urls/index.js";
import type { ForumPostRow, ForumThreadRow, SearchableForum } from "../../src/search/index.js";
import type { AuthorRecord, BatchResult, CitationRecord, ForumRecord, PostRecord, ThreadRecord } from "../../src/model/forum.js";
import type { ForumSource } from "../forum.js";
import { pageRequestKey, type Page, type PageRequest } from "../../src/model/paging.js";
import { FORUM_STORE, openForumDatabase, type ForumDatabaseOptions } from "./database.js";
import { MIGRATIONS } from "./migrations.js";
import { loadPagesAsync as loadPages, type ListSpec } from "./paging.js";
import { seedDemoForum, type SeedSummary } from "./seed.js";

export { FORUM_STORE, openForumDatabase, type ForumDatabaseOptions };

export interface LocalForumOptions {
  /** Source id, part of every global ID this source hands out. */
  id?: string;
  /** A SQLite file (`:memory:` for tests that need no file), or `database`. */
  file?: string;
  /** An open database (see openForumDatabase); the source owns it from now on and closes it. */
  database?: SqlDatabase;
  /** Seed the bundled demo forum when the store is empty. */
  seedDemo?: boolean;
}

export interface LocalForumSource extends ForumSource, SearchableForum {
  readonly database: SqlDatabase;
  readonly seeded: SeedSummary | null;
  /** One trivial round trip to the store (readiness); rejects when it does not answer. */
  ping(): Promise<void>;
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

/** The SQL that differs between the engines: JSON aggregation (both answer JSON text, `[]` for no rows). */
const JSON_SQL: Record<Dialect, { citationsOf(postId: string): string; canonicalUrlsOf(postId: string): string }> = {
  sqlite: {
    citationsOf: (postId) => `(SELECT json_group_array(json_array(url, canonical_url)) FROM
  (SELECT url, canonical_url FROM post_citations c WHERE c.post_id = ${postId} ORDER BY ordinal))`,
    canonicalUrlsOf: (postId) => `(SELECT json_group_array(canonical_url) FROM post_citations c WHERE c.post_id = ${postId})`,
  },
  postgres: {
    citationsOf: (postId) => `(SELECT COALESCE(json_agg(json_build_array(url, canonical_url) ORDER BY ordinal)::text, '[]')
  FROM post_citations c WHERE c.post_id = ${postId})`,
    // In primary-key order, as SQLite reads them (the indexer treats them as a set).
    canonicalUrlsOf: (postId) => `(SELECT COALESCE(json_agg(canonical_url ORDER BY canonical_url)::text, '[]') FROM post_citations c WHERE c.post_id = ${postId})`,
  },
};
const toAuthor = (r: AuthorRow): AuthorRecord => ({
  id: String(r.id), username: r.username, name: r.name, bio: r.bio, joinedAt: new Date(r.joined_at),
});

/** The lists forum-local pages through (keyset pagination, ./paging.ts), for one engine's SQL. */
function listSpecs(dialect: Dialect) {
  // Pages of posts carry each post's citations (one subquery per page row), so a thread page with its
  // citations is one statement, not two.
  const withCitations = `${JSON_SQL[dialect].citationsOf("ranked.id")} AS _citations`;
  const byTime = { orderBy: ["created_at", "id"], keyTypes: ["string", "number"], direction: "DESC" } as const;
  // What toPost reads: a page leaves the Markdown source and plain text of API-written posts in the table.
  const columns = ["id", "thread_id", "author_id", "position", "body_html", "created_at", "edited_at"];
  const posts = { columns, extraSelect: withCitations, toRecord: toPost, cursorOf: (r: PostRow) => [r.created_at, r.id] };
  return {
    threadsByForum: {
      table: "threads", parentColumn: "forum_id", orderBy: ["last_posted_at", "id"], keyTypes: ["string", "number"], direction: "DESC",
      toRecord: toThread, cursorOf: (r) => [r.last_posted_at, r.id],
    } satisfies ListSpec<ThreadRow, ThreadRecord>,
    postsByThread: {
      table: "posts", parentColumn: "thread_id", orderBy: ["position"], keyTypes: ["number"], direction: "ASC",
      columns, extraSelect: withCitations, toRecord: toPost, cursorOf: (r) => [r.position],
    } satisfies ListSpec<PostRow, PostRecord>,
    // Citation pages list posts, so they read posts joined to the citation index (SQLite flattens the subquery).
    postsCitingUrl: {
      table: "(SELECT p.*, c.canonical_url FROM posts p JOIN post_citations c ON c.post_id = p.id)",
      parentColumn: "canonical_url", ...byTime, ...posts,
    } satisfies ListSpec<PostRow, PostRecord>,
    recentPosts: {
      table: "(SELECT p.*, '*' AS everything FROM posts p)", parentColumn: "everything", ...byTime, ...posts,
    } satisfies ListSpec<PostRow, PostRecord>,
    postsByAuthor: { table: "posts", parentColumn: "author_id", ...byTime, ...posts } satisfies ListSpec<PostRow, PostRecord>,
  };
}

/** The advisory lock several gateways on one PostgreSQL database take around migrations and the demo seed. */
const SETUP_LOCK = "crosswire:forum-local:setup";

/** A store that stopped answering fails every key of the batch with the same error, as the ForumSource contract asks. */
async function perKey<T>(count: number, load: () => Promise<T[]>): Promise<Array<T | Error>> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ServiceUnavailableError) return Array.from({ length: count }, () => err);
    throw err;
  }
}

/**
 * Threads, posts and authors in SQLite (the embedded default, `<dataDir>/forum.db`) or PostgreSQL (several
 * gateways on one database): one implementation over the async SqlDatabase interface. Opening runs the
 * migrations, the demo seed (into an empty store) and the citation index, under a lock every process respects.
 */
// Over 80 lines (135): most of it is the returned ForumSource object, one short method per batch method of the
// contract (sources/forum.ts), each a query of paging.ts or the SQL store; they share only the database handle.
export async function createLocalForumSource(options: LocalForumOptions): Promise<LocalForumSource> {
  const id = options.id ?? "local";
  const opened = options.database ?? (options.file !== undefined ? new SqliteSqlDatabase(options.file) : undefined);
  if (!opened) throw new Error("createLocalForumSource needs a file or a database");
  const database: SqlDatabase = opened;
  let seeded: SeedSummary | null = null;
  try {
    seeded = await database.exclusive(SETUP_LOCK, async (db) => {
      await migrate(db, MIGRATIONS);
      const summary = options.seedDemo ? await seedDemoForum(db) : null;
      await indexCitations(db);
      return summary;
    });
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const specs = listSpecs(database.dialect);
  const jsonSql = JSON_SQL[database.dialect];

  /** One `WHERE id IN (…)` per batch; answers in key order, null where the row does not exist. */
  function byIds<Row extends { id: number }, T>(table: string, ids: readonly string[], map: (r: Row) => T): Promise<BatchResult<T>> {
    return perKey(ids.length, async () => {
      const numeric = ids.map((k) => (/^\d{1,15}$/.test(k) ? Number(k) : null));
      const wanted = [...new Set(numeric.filter((n): n is number => n !== null))].map(String);
      // Kept across requests while the database is unchanged (src/db/read-cache.ts).
      const byId = await database.reads.many(table, wanted, async (missing) => {
        const rows = await database.all<Row>(`SELECT * FROM ${table} WHERE id IN (${placeholders(missing.length)})`, missing.map(Number));
        return new Map(rows.map((r) => [String(r.id), map(r)]));
      });
      return numeric.map((n) => (n === null ? null : byId.get(String(n)) ?? null));
    });
  }

  const numericParents = (requests: readonly PageRequest[]) =>
    requests.map((r) => ({ ...r, parentId: /^\d{1,15}$/.test(r.parentId) ? String(Number(r.parentId)) : "-1" }));
  /** Pages of one list, kept across requests while the database is unchanged (a bad cursor's error is not kept). */
  const pages = <Row extends object, T>(name: keyof typeof specs, requests: readonly PageRequest[]) =>
    perKey(requests.length, async () => {
      const spec = specs[name] as unknown as ListSpec<Row, T>;
      const keys = requests.map(pageRequestKey);
      const byKey = new Map(keys.map((key, i) => [key, requests[i]!]));
      const found = await database.reads.many<Page<T> | Error>(name, keys, async (missing) => {
        const asked = missing.map((key) => byKey.get(key)!);
        const loaded = await loadPages(database, spec, asked);
        return new Map(missing.map((key, i) => [key, loaded[i]!]));
      });
      return keys.map((key) => found.get(key)!);
    });

  return {
    id,
    kind: "local",
    database,
    seeded,
    ping: () => database.ping(),
    async listForums() {
      return (await database.all<ForumRow>("SELECT * FROM forums ORDER BY id")).map(toForum);
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
      return pages("threadsByForum", numericParents(requests));
    },
    async postPagesByThread(requests) {
      return pages("postsByThread", numericParents(requests));
    },
    async postPagesByAuthor(requests) {
      return pages("postsByAuthor", numericParents(requests));
    },
    async citationsByPosts(postIds) {
      return perKey(postIds.length, async () => {
        const numeric = postIds.map((k) => (/^\d{1,15}$/.test(k) ? Number(k) : -1));
        const wanted = [...new Set(numeric)];
        const rows = await database.all<{ post_id: number; url: string; canonical_url: string }>(
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
      });
    },
    async citingPostPages(requests) {
      return pages("postsCitingUrl", requests);
    },
    async citedUrlsByThread(requests) {
      return perKey(requests.length, async () => {
        const parents = numericParents(requests);
        const limit = Math.max(...parents.map((r) => r.first ?? 20));
        const ids = [...new Set(parents.map((r) => r.parentId))];
        // Ties (as many citing posts, same first citing post) go by URL, so both engines list them alike.
        const rows = await database.all<{ thread_id: number; canonical_url: string; n: number; rn: number }>(
          `SELECT * FROM (
             SELECT thread_id, canonical_url, COUNT(*) AS n,
               ROW_NUMBER() OVER (PARTITION BY thread_id ORDER BY COUNT(*) DESC, MIN(post_id), canonical_url) AS rn
             FROM post_citations WHERE thread_id IN (${placeholders(ids.length)}) GROUP BY thread_id, canonical_url
           ) AS cited WHERE rn <= ? ORDER BY thread_id, rn`,
          [...ids, limit],
        );
        return parents.map((r) =>
          rows
            .filter((row) => String(row.thread_id) === r.parentId && row.rn <= (r.first ?? 20))
            .map((row) => ({ canonicalUrl: row.canonical_url, postCount: row.n })),
        );
      });
    },
    async recentPostPages(requests) {
      return pages("recentPosts", requests.map((r) => ({ ...r, parentId: "*" })));
    },
    // The search indexer's readers (src/search): rows past a high-water mark, with what a search document needs.
    async threadsForSearch(afterId, limit) {
      return database.all<ForumThreadRow>(
        `SELECT t.id, t.title, t.created_at AS "createdAt", f.slug AS "forumSlug", f.name AS "forumName", a.name AS "authorName"
         FROM threads t JOIN forums f ON f.id = t.forum_id JOIN authors a ON a.id = t.author_id
         WHERE t.id > ? ORDER BY t.id LIMIT ?`,
        [afterId, limit],
      );
    },
    async postsForSearch(afterId, limit) {
      // Posts another program inserted (an import) have no citations yet: extract them before they are indexed
      // and announced, so a sync finds them as a write through the API would have stored them.
      await indexCitations(database);
      return searchPosts(database, jsonSql.canonicalUrlsOf("p.id"), "p.id > ? ORDER BY p.id", [afterId], limit);
    },
    async postsEditedForSearch(after, limit) {
      return searchPosts(
        database, jsonSql.canonicalUrlsOf("p.id"),
        "p.edited_at IS NOT NULL AND (p.edited_at, p.id) > (?, ?) ORDER BY p.edited_at, p.id", [after.editedAt, after.id], limit,
      );
    },
    async close() {
      await database.close();
    },
  };
}

async function searchPosts(database: SqlQueries, cites: string, where: string, params: SqlValue[], limit: number): Promise<ForumPostRow[]> {
  const rows = await database.all<Omit<ForumPostRow, "citations"> & { cites: string }>(
    `SELECT p.id, p.thread_id AS "threadId", t.title AS "threadTitle", f.slug AS "forumSlug", a.name AS "authorName",
       a.username AS "authorUsername", p.body_html AS "bodyHtml", p.created_at AS "createdAt", p.edited_at AS "editedAt",
       ${cites} AS cites
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
export async function indexCitations(database: SqlDatabase): Promise<number> {
  const pending = await database.all<{ id: number; thread_id: number; body_html: string }>(
    "SELECT id, thread_id, body_html FROM posts WHERE links_indexed = 0",
  );
  if (pending.length === 0) return 0;
  await database.transaction(async (tx) => {
    for (const post of pending) {
      await tx.run("DELETE FROM post_citations WHERE post_id = ?", [post.id]);
      for (const [ordinal, link] of extractLinks(post.body_html).entries()) {
        await tx.run(
          // Another gateway on the same PostgreSQL may index the same post at the same time.
          "INSERT INTO post_citations (post_id, thread_id, ordinal, url, canonical_url) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          [post.id, post.thread_id, ordinal, link.url, link.canonicalUrl],
        );
      }
      await tx.run("UPDATE posts SET links_indexed = 1 WHERE id = ?", [post.id]);
    }
  });
  return pending.length;
}
