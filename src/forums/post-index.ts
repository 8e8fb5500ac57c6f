import type Keyv from "keyv";
import type { SqlDatabase } from "../db/sql.js";
import type { CitationRecord, CitedUrlRecord, PostRecord } from "../model/forum.js";
import type { CursorKey, Page, PageRequest } from "../model/paging.js";
import { localExclusive, type Exclusive } from "../cluster/lock.js";
import { extractLinks } from "../urls/index.js";
import { loadPagesAsync, type ListSpec } from "../../sources/forum-local/paging.js";
import { readRows, toRecord, toRow, writeRows, type PostRow } from "./post-rows.js";
import { recentPage } from "./recent-posts.js";
import { upgradePostIndex } from "./post-upgrade.js";
import { POST_INDEX_SETUP_LOCK, migratePostIndex } from "./schema.js";
import { writeThreads, type ThreadDescription } from "./thread-rows.js";

/**
 * The posts a remote forum source has seen, as rows (tables: ./schema.ts) in the SQL database of the local forum:
 * the embedded SQLite file by default, PostgreSQL when clustered (so gateways sharing it share them). Each post with
 * its citations, and the lists forum-local answers with SQL: a thread's posts, posts citing a URL, stories a thread
 * cites, posts by an author, the newest posts, each a keyset page over an index. forum-feed keeps its whole forum
 * here; forum-discourse keeps what it has fetched, which is all it can know about who cites what.
 *
 * `put` runs under `exclusive` (one writer per source: in this process by default, across processes with the
 * cluster's Redis lock, src/forums postIndexLock) and writes in one transaction only the new and changed rows.
 * The keyv-era index of the source (one key per post, lists as JSON arrays) is copied once on first use
 * (./post-upgrade.ts).
 */

/**
 * How a remote forum source reports posts it learned of that are new to the gateway (the composition root
 * passes live.events.postsAdded). Each post carries its thread id and citations.
 */
export type PostsAddedHook = (sourceId: string, posts: readonly PostRecord[]) => void;

/** The tables' setup, once per database handle (every source's index on it shares it). */
const setUps = new WeakMap<SqlDatabase, Promise<void>>();

/** Creates the post index's tables once per database handle (several gateways: under the setup lock). */
export function setUpPostIndex(db: SqlDatabase): Promise<void> {
  let setUp = setUps.get(db);
  if (!setUp) {
    setUp = db.exclusive(POST_INDEX_SETUP_LOCK, async (locked) => void (await migratePostIndex(locked)));
    setUps.set(db, setUp);
    setUp.catch(() => setUps.delete(db));
  }
  return setUp;
}

export class PostIndex {
  private opened: Promise<void> | null = null;
  private readonly lists: ReturnType<typeof listSpecs>;

  /** `keyv`: only read once, for the keyv-era index of this source (./post-upgrade.ts). */
  constructor(
    private readonly keyv: Keyv,
    readonly db: SqlDatabase,
    readonly sourceId: string,
    private readonly now: () => Date = () => new Date(),
    private readonly exclusive: Exclusive = localExclusive(),
  ) {
    this.lists = listSpecs(sourceId);
  }

  /** Creates the tables (once per database) and copies this source's keyv-era index (once per source). */
  open(): Promise<void> {
    this.opened ??= (async () => {
      await setUpPostIndex(this.db);
      await this.db.exclusive(`${POST_INDEX_SETUP_LOCK}:${this.sourceId}`, (db) => upgradePostIndex(db, this.keyv, this.sourceId));
    })().catch((err: unknown) => {
      this.opened = null;
      throw err;
    });
    return this.opened;
  }

  /**
   * Stores posts (citations are extracted here when the record has none) and their citation rows.
   * Resolves with the posts this index had never held (with their citations): what forum-feed reports as new.
   */
  put(posts: readonly PostRecord[]): Promise<PostRecord[]> {
    if (posts.length === 0) return Promise.resolve([]);
    const seenMs = this.now().getTime();
    // The last record of a post wins, as the keyv index's last write did.
    const unique = [...new Map(posts.map((p) => [p.id, p])).values()];
    const rows = unique.map((p) => toRow(this.sourceId, p, p.citations ?? extractLinks(p.bodyHtml), seenMs));
    return this.exclusive(async () => {
      await this.open();
      return this.db.transaction(async (tx) => {
        const before = await readRows(tx, this.sourceId, rows.map((r) => r.post_id));
        await writeRows(tx, this.sourceId, rows, before);
        return rows.filter((r) => !before.has(r.post_id)).map((r) => toRecord(r));
      });
    });
  }

  /** Describes threads (title, forum, author) for search; only new and changed ones are written. */
  putThreads(threads: readonly ThreadDescription[]): Promise<void> {
    if (threads.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      await this.open();
      await this.db.transaction((tx) => writeThreads(tx, this.sourceId, threads));
    });
  }

  /** Posts by id, in order; null for a post never seen. `maxAgeMs` treats posts seen longer ago as unseen. */
  async posts(ids: readonly string[], maxAgeMs?: number): Promise<Array<PostRecord | null>> {
    if (ids.length === 0) return [];
    await this.open();
    const rows = await readRows(this.db, this.sourceId, ids);
    const oldest = maxAgeMs === undefined ? -Infinity : this.now().getTime() - maxAgeMs;
    return ids.map((id) => {
      const row = rows.get(id);
      return row && Number(row.seen_ms) >= oldest ? toRecord(row) : null;
    });
  }

  /** Citations of each post; a post never seen cites nothing the gateway knows of. */
  async citations(ids: readonly string[]): Promise<CitationRecord[][]> {
    return (await this.posts(ids)).map((p) => p?.citations ?? []);
  }

  /** A thread's posts by position (forum-feed's threads; Discourse pages its topics' streams). */
  async threadPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    await this.open();
    return loadPagesAsync(this.db, this.lists.byThread, requests);
  }

  /** Posts citing a canonical URL (parentId), newest first: the citation rows' page, then their posts by id. */
  async citingPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    await this.open();
    const pages = await loadPagesAsync(this.db, this.lists.citing, requests.map(riverCursors));
    const ids = pages.flatMap((p) => (p instanceof Error ? [] : p.edges.map((e) => e.node)));
    const posts = await readRows(this.db, this.sourceId, ids);
    return pages.map((page) => {
      if (page instanceof Error) return page;
      const edges = page.edges.flatMap((e) => {
        const row = posts.get(e.node);
        return row ? [{ node: toRecord(row), cursor: e.cursor }] : [];
      });
      return { ...page, edges };
    });
  }

  async authorPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    await this.open();
    return loadPagesAsync(this.db, this.lists.byAuthor, requests.map(riverCursors));
  }

  /** The source's newest posts (parentId is ignored), counted by the source's counter row. */
  async recentPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    const total = await this.count();
    return Promise.all(requests.map((r) => recentPage(this.db, this.sourceId, riverCursors(r), total).catch((err: unknown) => err as Error)));
  }

  /** Stories each thread cites, most-cited first (ties: first cited first), in one statement for all threads. */
  async citedUrlsByThread(requests: readonly PageRequest[]): Promise<CitedUrlRecord[][]> {
    await this.open();
    const threadIds = [...new Set(requests.map((r) => r.parentId))];
    const rows = threadIds.length === 0 ? [] : await this.db.all<{ thread_id: string; canonical_url: string; position: number; ord: number }>(
      `SELECT thread_id, canonical_url, position, ord FROM remote_post_cites WHERE source_id = ? AND thread_id IN (${threadIds.map(() => "?").join(", ")})`,
      [this.sourceId, ...threadIds],
    );
    const byThread = new Map<string, Map<string, { count: number; first: number }>>();
    for (const row of rows) {
      const counts = byThread.get(row.thread_id) ?? new Map<string, { count: number; first: number }>();
      byThread.set(row.thread_id, counts);
      const at = Number(row.position) * 10_000 + Number(row.ord);
      const found = counts.get(row.canonical_url);
      if (found) {
        found.count += 1;
        found.first = Math.min(found.first, at);
      } else counts.set(row.canonical_url, { count: 1, first: at });
    }
    return requests.map((r) =>
      [...(byThread.get(r.parentId) ?? [])]
        .sort(([, a], [, b]) => b.count - a.count || a.first - b.first)
        .slice(0, r.first ?? 20)
        .map(([canonicalUrl, { count }]) => ({ canonicalUrl, postCount: count })),
    );
  }

  /** Posts the index holds (a counter row, not a count). */
  async count(): Promise<number> {
    await this.open();
    const row = await this.db.get<{ value: number }>("SELECT value FROM remote_post_counters WHERE name = ?", [`n:${this.sourceId}`]);
    return Number(row?.value ?? 0);
  }
}

/**
 * The river pages "past every id" with a number (Number.MAX_SAFE_INTEGER) where post ids are text: as text, a key
 * after every id. Other numbers compare as their digits, as the keyv-era lists compared them.
 */
function riverCursors(request: PageRequest): PageRequest {
  const fix = (key: CursorKey | undefined) =>
    key?.map((v, i) => (i === 1 && v === Number.MAX_SAFE_INTEGER ? "\u{10FFFF}" : typeof v === "number" ? String(v) : v));
  const after = fix(request.after);
  const before = fix(request.before);
  return { ...request, ...(after ? { after } : {}), ...(before ? { before } : {}) };
}

/** One source's rows: a subquery the pager reads as its table (the source's rows are a prefix of every index). */
function listSpecs(sourceId: string) {
  const quoted = `'${sourceId.replace(/'/g, "''")}'`;
  const posts = `(SELECT * FROM remote_posts WHERE source_id = ${quoted})`;
  const byTime = {
    orderBy: ["created_at", "post_id"],
    keyTypes: ["string", "string"],
    direction: "DESC",
    cursorOf: (row: { created_at: string; post_id: string }): CursorKey => [row.created_at, row.post_id],
  } as const;
  return {
    byThread: {
      table: posts, parentColumn: "thread_id", orderBy: ["position"], keyTypes: ["number"], direction: "ASC",
      toRecord, cursorOf: (row) => [Number(row.position)],
    } satisfies ListSpec<PostRow, PostRecord>,
    byAuthor: { table: posts, parentColumn: "author_id", ...byTime, toRecord } satisfies ListSpec<PostRow, PostRecord>,
    citing: {
      table: `(SELECT * FROM remote_post_cites WHERE source_id = ${quoted})`, parentColumn: "canonical_url", ...byTime,
      toRecord: (row: { post_id: string }) => row.post_id,
    } satisfies ListSpec<{ post_id: string; created_at: string }, string>,
  };
}
