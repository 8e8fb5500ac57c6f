import type Keyv from "keyv";
import type { SqlDatabase } from "../db/sql.js";
import { chunks } from "../articles/rows.js";
import type { CitationRecord } from "../model/forum.js";
import { readRows, writeRows, type NewPostRow } from "./post-rows.js";

/**
 * The one-time copy of a source's keyv-era post index (`forum:<source>:post:<id>` records; lists `recent`,
 * `author-posts:<author>`, `cites:<url>`, `thread-cites:<thread>`) into rows, losing nothing: with the embedded keyv
 * file every `post:` entry of the source; with Redis (no key listing) every post reachable from the newest-posts
 * list and forum-feed's board, following each found post's thread (`thread-cites` names every post of a thread) and
 * author lists. Marked done by the counter `keyv-upgraded:<source>`; the keyv entries stay (nothing reads them
 * again). Runs under the source's setup lock (PostIndex.open).
 */
interface StoredPost {
  id: string;
  threadId: string;
  authorId: string;
  position: number;
  bodyHtml: string;
  createdAt: string;
  editedAt: string | null;
  citations: CitationRecord[];
  url?: string | null;
  seenAt: string;
}

interface RawKeyv {
  database: { all<T>(sql: string, params?: readonly unknown[]): T[] };
  namespace?: string;
}

const BATCH = 500;

export async function upgradePostIndex(db: SqlDatabase, keyv: Keyv, sourceId: string): Promise<number> {
  const done = `keyv-upgraded:${sourceId}`;
  if (await db.get("SELECT value FROM remote_post_counters WHERE name = ?", [done])) return 0;
  const key = (name: string) => `forum:${sourceId}:${name}`;
  const raw = rawStore(keyv);
  const posts = raw ? await listedPosts(keyv, raw, key("post:")) : await reachablePosts(keyv, key);
  await db.transaction(async (tx) => {
    for (const part of chunks(posts, BATCH)) {
      const rows = part.map((p): NewPostRow => ({
        source_id: sourceId, post_id: p.id, thread_id: p.threadId, author_id: p.authorId, position: p.position, created_at: p.createdAt,
        edited_at: p.editedAt, body_html: p.bodyHtml, citations: JSON.stringify(p.citations), url: p.url ?? null, seen_ms: Date.parse(p.seenAt) || 0,
      }));
      await writeRows(tx, sourceId, rows, await readRows(tx, sourceId, rows.map((r) => r.post_id)));
    }
    await tx.run("INSERT INTO remote_post_counters (name, value) VALUES (?, ?)", [done, posts.length]);
  });
  return posts.length;
}

/** The embedded keyv file (src/cache/sqlite-store.ts), whose keys can be listed; null for Redis. */
function rawStore(keyv: Keyv): RawKeyv | null {
  const store = (keyv as unknown as { store?: unknown }).store as Partial<RawKeyv> | undefined;
  return store && typeof store.database?.all === "function" ? (store as RawKeyv) : null;
}

/** Every post record under the prefix: a range scan of the keyv table's primary key. */
async function listedPosts(keyv: Keyv, raw: RawKeyv, prefix: string): Promise<StoredPost[]> {
  const full = `${raw.namespace ? `${raw.namespace}:` : ""}${prefix}`;
  const end = full.slice(0, -1) + String.fromCharCode(full.charCodeAt(full.length - 1) + 1);
  const keys = raw.database
    .all<{ key: string }>("SELECT key FROM keyv WHERE key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?)", [full, end, Date.now()])
    .map((r) => `${prefix}${r.key.slice(full.length)}`);
  const found: StoredPost[] = [];
  for (const part of chunks(keys, BATCH)) for (const p of await keyv.getMany<StoredPost>(part)) if (p) found.push(p);
  return found;
}

/** Without a key listing: the posts the lists name, following each post's thread and author until nothing is new. */
async function reachablePosts(keyv: Keyv, key: (name: string) => string): Promise<StoredPost[]> {
  const ids = new Set<string>();
  const found = new Map<string, StoredPost>();
  const lists = new Set<string>();
  const add = (postIds: Iterable<string>) => { for (const id of postIds) ids.add(id); };
  add(((await keyv.get<Array<[string, string]>>(key("recent"))) ?? []).map((e) => e[1]));
  const board = await keyv.get<{ threads?: Record<string, { posts: Array<[string, string, string]> }> }>(key("board"));
  for (const thread of Object.values(board?.threads ?? {})) add(thread.posts.map((p) => p[1]));
  for (;;) {
    const missing = [...ids].filter((id) => !found.has(id));
    if (missing.length === 0) return [...found.values()].filter((p) => p.threadId);
    for (const part of chunks(missing, BATCH)) {
      const values = await keyv.getMany<StoredPost>(part.map((id) => key(`post:${id}`)));
      part.forEach((id, i) => found.set(id, values[i] ?? ({ id } as StoredPost)));
    }
    const names = [...found.values()].filter((p) => p.threadId).flatMap((p) => [`thread-cites:${p.threadId}`, `author-posts:${p.authorId}`]);
    const fresh = [...new Set(names)].filter((n) => !lists.has(n));
    fresh.forEach((n) => lists.add(n));
    for (const part of chunks(fresh, BATCH)) {
      const values = await keyv.getMany<Record<string, string[]> | Array<[string, string]>>(part.map(key));
      for (const v of values) add(Array.isArray(v) ? v.map((e) => e[1]) : Object.keys(v ?? {}));
    }
  }
}
