import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCache, openCache, type Cache } from "../../src/cache/index.js";
import { loadConfig } from "../../src/config/index.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import { PostIndex } from "../../src/forums/post-index.js";
import { remotePostSearch } from "../../src/forums/post-search.js";
import type { CitationRecord, PostRecord } from "../../src/model/forum.js";
import type { Page } from "../../src/model/paging.js";
import { fromRoot } from "../../src/paths.js";
import { scratchPostgres, scratchSqlite, type ScratchSql } from "../helpers/scratch-sql.js";
import { startRedis, type TestRedis } from "../helpers/servers.js";

/**
 * The remote forums' post index as SQL rows (src/forums/post-index.ts): new posts reported as before, only new and
 * changed rows written, every list a keyset page whose statements do not grow with the page or the store — on SQLite
 * and PostgreSQL (a database of its own per run) — the rows search reads, and the one-time copy of the keyv-era
 * index a data dir holds (test/fixtures/migration/v3-datadir, written by the keyv-era code) or Redis holds.
 */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-postrows-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const post = (n: number, over: Partial<PostRecord> = {}): PostRecord => ({
  id: String(n), threadId: `t${Math.floor(n / 1000)}`, authorId: `u${n % 3}`, position: (n % 1000) + 1,
  bodyHtml: n % 2 ? `<p>post ${n} <a href="https://news.example/${n % 5}">story</a></p>` : `<p>post ${n}</p>`,
  createdAt: new Date(Date.UTC(2026, 10, 1) + n * 60_000), editedAt: null, ...over,
});
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const ok = <T>(page: Page<T> | Error | undefined): Page<T> => {
  if (!page || page instanceof Error) throw page ?? new Error("no page");
  return page;
};
const ids = (page: Page<PostRecord> | Error | undefined) => ok(page).edges.map((e) => e.node.id);

describe.each([["sqlite", () => scratchSqlite(tempDir())], ["postgres", () => scratchPostgres("postrows")]] as const)("the post index on %s", (_kind, open) => {
  let opened: ScratchSql;
  let clock = new Date("2026-12-01T00:00:00Z");
  let index: PostIndex;
  const counted = async <T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
    const statements: string[] = [];
    const stop = opened.db.onStatement((sql) => statements.push(sql));
    try {
      return { result: await fn(), statements };
    } finally {
      stop();
    }
  };
  beforeAll(async () => {
    opened = await open();
    index = new PostIndex(createCache(tempDir()).keyv, opened.db, "remote", () => clock);
    await index.open();
  }, 30_000);
  afterAll(async () => opened?.drop());

  it("reports the never-seen posts with their citations; again, nothing; a change is stored but not new", async () => {
    const fresh = await index.put(range(1000, 5).map((n) => post(n)));
    expect(fresh.map((p) => p.id)).toEqual(["1000", "1001", "1002", "1003", "1004"]);
    expect(fresh[1]!.citations).toEqual([{ url: "https://news.example/1", canonicalUrl: "https://news.example/1" }]);
    expect(await index.put(range(1000, 5).map((n) => post(n)))).toEqual([]);
    const edited = post(1001, { bodyHtml: `<p>edited <a href="https://news.example/9">other</a></p>`, editedAt: new Date("2026-12-01T00:00:00Z"), authorId: "u9" });
    expect(await index.put([edited, post(1005)])).toMatchObject([{ id: "1005" }]);
    const [stored] = await index.posts(["1001"]);
    expect(stored).toMatchObject({ bodyHtml: edited.bodyHtml, authorId: "u9", editedAt: edited.editedAt, citations: [{ canonicalUrl: "https://news.example/9" }] });
    // The lists follow the change: no longer citing story 1, now citing 9; no longer by u1.
    const [was, now] = await index.citingPages([{ parentId: "https://news.example/1", first: 10 }, { parentId: "https://news.example/9", first: 10 }]);
    expect(ids(was)).toEqual([]);
    expect(ids(now)).toEqual(["1001"]);
    const [u1, u9] = await index.authorPages([{ parentId: "u1", first: 10 }, { parentId: "u9", first: 10 }]);
    expect(ids(u1)).toEqual(["1003", "1000"]);
    expect(ids(u9)).toEqual(["1001"]);
    expect(await index.count()).toBe(6);
  });

  it("treats posts seen longer ago than maxAgeMs as unseen, until handed over again", async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    expect((await index.posts(["1000", "1002"], 60_000)).map((p) => p?.id ?? null)).toEqual([null, null]);
    await index.put([post(1000)]);
    expect((await index.posts(["1000", "1002", "nope"], 60_000)).map((p) => p?.id ?? null)).toEqual(["1000", null, null]);
    expect((await index.posts(["1002"])).map((p) => p?.id)).toEqual(["1002"]);
  });

  it("pages a thread by position, an author's and the source's posts newest first (the river's past-every-id cursor too)", async () => {
    await index.put(range(2000, 30).map((n) => post(n)));
    const [first] = await index.threadPages([{ parentId: "t2", first: 10 }]);
    expect(ids(first)).toEqual(range(2000, 10).map(String));
    expect(ok(first)).toMatchObject({ totalCount: 30, hasNextPage: true, hasPreviousPage: false });
    const [next, last] = await index.threadPages([{ parentId: "t2", first: 5, after: ok(first).edges.at(-1)!.cursor }, { parentId: "t2", last: 3 }]);
    expect(ids(next)).toEqual(range(2010, 5).map(String));
    expect(ids(last)).toEqual(["2027", "2028", "2029"]);
    const [recent] = await index.recentPages([{ parentId: "", first: 3 }]);
    expect(ids(recent)).toEqual(["2029", "2028", "2027"]);
    const [river] = await index.recentPages([{ parentId: "", first: 2, before: undefined, after: [post(2027).createdAt.toISOString(), Number.MAX_SAFE_INTEGER] }]);
    expect(ids(river)).toEqual(["2027", "2026"]);
    const [older, newer] = await index.recentPages([
      { parentId: "", last: 2, before: [post(2027).createdAt.toISOString(), "2027"] },
      { parentId: "", first: 2, after: [post(2029).createdAt.toISOString(), "2029"] },
    ]);
    expect(ids(older)).toEqual(["2029", "2028"]);
    expect(ok(older)).toMatchObject({ hasPreviousPage: false, hasNextPage: true, totalCount: await index.count() });
    expect(ids(newer)).toEqual(["2028", "2027"]);
    expect(ok(newer)).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    expect((await index.recentPages([{ parentId: "", first: 1, after: [1] }]))[0]).toBeInstanceOf(Error);
    const [bad] = await index.threadPages([{ parentId: "t2", first: 1, after: ["x", "y"] }]);
    expect(bad).toBeInstanceOf(Error);
    const [cited] = await index.citedUrlsByThread([{ parentId: "t2", first: 2 }]);
    expect(cited).toEqual([{ canonicalUrl: "https://news.example/1", postCount: 3 }, { canonicalUrl: "https://news.example/3", postCount: 3 }]);
  });

  it("writes a poll in the same statements whatever its size and the store's, and rewrites nothing unchanged", async () => {
    const small = await counted(() => index.put(range(3000, 10).map((n) => post(n))));
    const large = await counted(() => index.put(range(4000, 100).map((n) => post(n))));
    expect(large.statements.length).toBe(small.statements.length);
    expect(small.statements.length).toBeLessThanOrEqual(8);
    const again = await counted(() => index.put(range(4000, 100).map((n) => post(n))));
    expect(again.statements.filter((s) => /INSERT|DELETE/i.test(s))).toEqual([]);
    expect(again.statements.length).toBe(2); // the read by id, the seen-at refresh
  });

  it("answers a page of 10 and of 100 posts, and a batch of lists, in the same statements", async () => {
    const pageOf = (first: number) => counted(() => index.threadPages([{ parentId: "t4", first }]));
    const ten = await pageOf(10);
    const hundred = await pageOf(100);
    expect(ids(ten.result[0])).toHaveLength(10);
    expect(ids(hundred.result[0])).toHaveLength(100);
    expect(hundred.statements.length).toBe(ten.statements.length);
    expect(ten.statements.length).toBe(1);
    const citing = (n: number) => counted(() => index.citingPages(range(0, n).map((i) => ({ parentId: `https://news.example/${i}`, first: 20 }))));
    expect((await citing(40)).statements.length).toBe((await citing(2)).statements.length);
    const authors = (n: number) => counted(() => index.authorPages(range(0, n).map((i) => ({ parentId: `u${i}`, first: 20 }))));
    expect((await authors(40)).statements.length).toBe((await authors(2)).statements.length);
    const recent = (first: number) => counted(() => index.recentPages([{ parentId: "", first }]));
    expect((await recent(100)).statements.length).toBe((await recent(10)).statements.length);
    expect((await recent(10)).statements.length).toBe(2); // the counter row, the keyset read
    const cited = (n: number) => counted(() => index.citedUrlsByThread(range(0, n).map((i) => ({ parentId: `t${i}`, first: 5 }))));
    expect((await cited(40)).statements.length).toBe((await cited(2)).statements.length);
  });

  it("hands search the posts and threads written past its mark, a changed post again, with their source ids", async () => {
    const search = remotePostSearch(opened.db, "remote", "Remote Forum");
    await index.putThreads([{ id: "t5", title: "Harbour works", forumSlug: "board", authorId: "u1", createdAt: new Date("2026-11-01T00:00:00Z") }]);
    const threads = await search.threadsForSearch(0, 100);
    expect(threads).toMatchObject([{ ref: "t5", title: "Harbour works", forumName: "Remote Forum" }]);
    await index.putThreads([{ id: "t5", title: "Harbour works", forumSlug: "board", authorId: "u1", createdAt: new Date("2026-11-01T00:00:00Z") }]);
    expect(await search.threadsForSearch(threads.at(-1)!.id, 100)).toEqual([]);
    let mark = 0;
    for (;;) {
      const rows = await search.postsForSearch(mark, 500);
      if (rows.length === 0) break;
      mark = rows.at(-1)!.id;
    }
    await index.put([post(5000), post(5001)]);
    const rows = await search.postsForSearch(mark, 500);
    expect(rows.map((r) => [r.ref, r.threadRef, r.threadTitle, r.citations])).toEqual([
      ["5000", "t5", "Harbour works", []], ["5001", "t5", "Harbour works", ["https://news.example/1"]],
    ]);
    await index.put([post(5000, { bodyHtml: "<p>changed</p>" })]);
    expect((await search.postsForSearch(rows.at(-1)!.id, 500)).map((r) => [r.ref, r.bodyHtml])).toEqual([["5000", "<p>changed</p>"]]);
    expect(await search.postsEditedForSearch({ editedAt: "", id: 0 }, 500)).toEqual([]);
  });

  it("writes a poll in the same statements at 2,000 more stored posts", async () => {
    const poll = (from: number) => counted(() => index.put(range(from, 50).map((n) => post(n))));
    const before = await poll(6000);
    for (let i = 0; i < 2000; i += 500) await index.put(range(10_000 + i, 500).map((n) => post(n)));
    const after = await poll(7000);
    expect(after.statements).toEqual(before.statements);
  });
});

interface OldPost {
  id: string;
  threadId: string;
  authorId: string;
  position: number;
  bodyHtml: string;
  createdAt: string;
  editedAt: string | null;
  citations: CitationRecord[];
  url?: string | null;
}

/** What the keyv-era index held for a source: every post record, and each list as the ids it named, in order. */
async function expectCopied(index: PostIndex, old: Cache["keyv"], source: string, postIds: readonly string[]): Promise<void> {
  const key = (name: string) => `forum:${source}:${name}`;
  const records = (await old.getMany<OldPost>(postIds.map((id) => key(`post:${id}`)))).map((r) => r!);
  const copied = await index.posts(postIds);
  for (const [i, r] of records.entries()) {
    expect(copied[i]).toEqual({
      id: r.id, threadId: r.threadId, authorId: r.authorId, position: r.position, bodyHtml: r.bodyHtml, createdAt: new Date(r.createdAt),
      editedAt: r.editedAt ? new Date(r.editedAt) : null, citations: r.citations, url: r.url ?? null,
    });
  }
  expect(await index.count()).toBe(postIds.length);
  const listIds = async (name: string) => ((await old.get<Array<[string, string]>>(key(name))) ?? []).map((e) => e[1]);
  const recent = await listIds("recent");
  expect(ids((await index.recentPages([{ parentId: "", first: recent.length }]))[0])).toEqual(recent);
  for (const author of new Set(records.map((r) => r.authorId))) {
    const list = await listIds(`author-posts:${author}`);
    expect(ids((await index.authorPages([{ parentId: author, first: 5000 }]))[0])).toEqual(list);
  }
  for (const url of new Set(records.flatMap((r) => r.citations.map((c) => c.canonicalUrl)))) {
    const list = await listIds(`cites:${url}`);
    expect(ids((await index.citingPages([{ parentId: url, first: 5000 }]))[0])).toEqual(list);
  }
  for (const thread of new Set(records.map((r) => r.threadId))) {
    const byPost = (await old.get<Record<string, string[]>>(key(`thread-cites:${thread}`))) ?? {};
    const counts = new Map<string, number>();
    for (const urls of Object.values(byPost)) for (const url of urls) counts.set(url, (counts.get(url) ?? 0) + 1);
    const [cited] = await index.citedUrlsByThread([{ parentId: thread, first: 100 }]);
    expect(new Map(cited!.map((c) => [c.canonicalUrl, c.postCount]))).toEqual(counts);
  }
}

const BOARD_POSTS = ["p1", "p2", "p3", "p4", "p5"];
const DISC_POSTS = range(1000, 2050).map(String);

describe("upgrading a data dir the keyv-era index wrote (test/fixtures/migration/v3-datadir)", () => {
  let cache: ReturnType<typeof createCache>;
  let db: SqliteSqlDatabase;

  beforeAll(async () => {
    const dir = tempDir();
    cpSync(fromRoot("test", "fixtures", "migration", "v3-datadir"), dir, { recursive: true });
    cache = createCache(dir);
    db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
  });
  afterAll(async () => {
    await db?.close();
    await cache?.keyv.disconnect();
  });

  it("copies every post (2,050 in one source, past the 2,000 the newest-posts list kept) and every list, in order", async () => {
    expect(((await cache.keyv.get<unknown[]>("forum:disc:recent")) ?? []).length).toBe(2000);
    await expectCopied(new PostIndex(cache.keyv, db, "board"), cache.keyv, "board", BOARD_POSTS);
    await expectCopied(new PostIndex(cache.keyv, db, "disc"), cache.keyv, "disc", DISC_POSTS);
    const [thread] = await new PostIndex(cache.keyv, db, "board").threadPages([{ parentId: "t1", first: 5 }]);
    expect(ids(thread)).toEqual(["p1", "p5", "p2"]);
  });

  it("opening again copies nothing, and the copied posts are not new to a poll", async () => {
    const again = new PostIndex(cache.keyv, db, "board");
    const seen: string[] = [];
    const stop = db.onStatement((sql) => seen.push(sql));
    await again.open();
    stop();
    expect(seen.filter((s) => /INSERT/i.test(s))).toEqual([]);
    const [p3] = await again.posts(["p3"]);
    expect(await again.put([p3!])).toEqual([]);
  });
});

describe("upgrading a keyv-era index kept in Redis (no key listing: the lists and threads name the posts)", () => {
  let redis: TestRedis;
  let fixture: ReturnType<typeof createCache>;
  let shared: Cache;
  let db: SqliteSqlDatabase;

  beforeAll(async () => {
    redis = await startRedis();
    const dir = tempDir();
    cpSync(fromRoot("test", "fixtures", "migration", "v3-datadir"), dir, { recursive: true });
    fixture = createCache(dir);
    const keys = fixture.store.database.all<{ key: string }>("SELECT key FROM keyv ORDER BY key").map((r) => r.key.slice("crosswire:".length));
    shared = await openCache(loadConfig({}, { dataDir: tempDir(), sources: [], cache: { store: "redis", redisUrl: redis.url, keyPrefix: "postrows:" } }), pino({ level: "silent" }));
    for (const key of keys) await shared.keyv.set(key, await fixture.keyv.get(key));
    db = new SqliteSqlDatabase(path.join(tempDir(), "forum.db"));
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await shared?.close();
    await fixture?.keyv.disconnect();
    await redis?.stop();
  });

  it("copies every post and list of both sources", async () => {
    await expectCopied(new PostIndex(shared.keyv, db, "board"), fixture.keyv, "board", BOARD_POSTS);
    await expectCopied(new PostIndex(shared.keyv, db, "disc"), fixture.keyv, "disc", DISC_POSTS);
  }, 60_000);
});
