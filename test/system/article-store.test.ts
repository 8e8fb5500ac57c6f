import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SOURCES, ArticleStore, type IndexEntry } from "../../src/articles/store.js";
import { createCache, openCache, type Cache } from "../../src/cache/index.js";
import { loadConfig } from "../../src/config/index.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import type { ArticleRecord, ParsedItem } from "../../src/model/news.js";
import { fromRoot } from "../../src/paths.js";
import { createSearchService } from "../../src/search/service.js";
import { createSqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { startRedis, type TestRedis } from "../helpers/servers.js";
import { scratchPostgres, scratchSqlite, type ScratchSql } from "../helpers/scratch-sql.js";

/**
 * The article store as SQL rows (src/articles): identity and dedup, list order and keyset pages, counts,
 * removeBySource, the write order the search index catches up from, a poll's statements independent of the store's
 * size — on SQLite (the embedded default) and PostgreSQL (127.0.0.1:5432, a database of its own per run) — and the
 * one-time copy of a data dir the keyv-era store wrote (test/fixtures/migration/v2-datadir).
 */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-articles-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const item = (n: number, over: Partial<ParsedItem> = {}): ParsedItem => ({
  guid: `g${n}`, link: `https://news.example/story/${n}`, title: `Story ${n}`, summaryHtml: `<p>Story ${n}</p>`, author: null,
  publishedAt: new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString(), updatedAt: null, imageUrl: null, categories: [], warnings: [],
  ...over,
});
const keyOf = (n: number) => `https://news.example/story/${n}`;

const openSqlite = () => scratchSqlite(tempDir());
const openPostgres = () => scratchPostgres("articles");

describe.each([["sqlite", openSqlite], ["postgres", openPostgres]] as const)("the article rows on %s", (_kind, open) => {
  let opened: ScratchSql;
  let store: ArticleStore;
  const changed: string[] = [];
  beforeAll(async () => {
    opened = await open();
    const cache = createCache(tempDir());
    store = new ArticleStore(cache.keyv, opened.db, (records) => changed.push(...records.map((r) => r.key)));
    await store.open();
  });
  afterAll(async () => opened?.drop());

  it("keeps identity: one article per guid, per link without guid, per title+summary without either; re-polls change nothing", async () => {
    const items = [item(1), item(2, { guid: null }), item(3, { guid: null, link: null }), item(1, { title: "Story 1 again" })];
    const first = await store.upsert("dedup", items, new Date("2026-11-20T00:00:00Z"));
    expect(first).toMatchObject({ added: 3, updated: 0, unchanged: 0, duplicates: 1, itemCount: 4 });
    const second = await store.upsert("dedup", items, new Date("2026-11-20T01:00:00Z"));
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
    const keys = (await store.index("dedup")).map((e) => e.k);
    expect(keys).toHaveLength(3);
    expect(keys).toContain(keyOf(1));
    expect(keys).toContain(keyOf(2));
    expect(keys.find((k) => k.startsWith("urn:crosswire:dedup:hash:"))).toBeDefined();
    // A changed title updates in place; the guid still names the same article.
    const third = await store.upsert("dedup", [item(1, { title: "Story 1, corrected", link: "https://news.example/moved/1" })]);
    expect(third).toMatchObject({ added: 0, updated: 1 });
    const [one] = await store.getMany([keyOf(1)]);
    expect(one).toMatchObject({ title: "Story 1, corrected", sourceIds: ["dedup"], guids: { dedup: "g1" } });
    expect(await store.count({ sourceIds: ["dedup"] })).toBe(3);
  });

  it("finds an entry that does not own its canonical URL by its exact link (article_links)", async () => {
    await store.upsert("frag", [
      item(10, { guid: "v2", link: "https://code.example/rel#v2" }),
      item(11, { guid: "v1", link: "https://code.example/rel#v1" }),
    ]);
    const owner = await store.keyForLink("https://code.example/rel#v1");
    expect(owner).toMatch(/^urn:crosswire:frag:guid:/);
    expect((await store.getMany([owner!]))[0]).toMatchObject({ title: "Story 11" });
    expect(await store.keyForLink("https://code.example/rel#v2")).toBeNull(); // it owns https://code.example/rel
  });

  it("pages newest first with keyset cursors (ties by key), per source, several sources and all, with counts", async () => {
    const same = "2026-10-01T00:00:00.000Z"; // older than the others: the list ends with the three ties
    await store.upsert("pa", [...Array.from({ length: 23 }, (_, i) => item(100 + i)), ...["c", "a", "b"].map((k) => item(0, { guid: `tie-${k}`, link: `https://ties.example/${k}`, publishedAt: same }))]);
    await store.upsert("pb", [item(105), item(200), item(201)]); // 105 is in both
    const walk = async (sourceIds: string[], size: number) => {
      const out: IndexEntry[] = [];
      for (let i = 0; i < 100; i++) {
        const next = await store.page({ sourceIds, after: out.at(-1) ?? null, limit: size });
        out.push(...next);
        if (next.length < size) return out;
      }
      throw new Error("no end");
    };
    const pa = await walk(["pa"], 7);
    expect(pa).toHaveLength(26);
    expect(pa.slice(0, 3).map((e) => e.k)).toEqual([keyOf(122), keyOf(121), keyOf(120)]);
    expect(pa.slice(-3).map((e) => e.k)).toEqual(["https://ties.example/a", "https://ties.example/b", "https://ties.example/c"]);
    for (let i = 1; i < pa.length; i++) expect(pa[i - 1]!.t > pa[i]!.t || (pa[i - 1]!.t === pa[i]!.t && pa[i - 1]!.k < pa[i]!.k)).toBe(true);
    const both = await walk(["pa", "pb"], 5);
    expect(both).toHaveLength(28);
    expect(new Set(both.map((e) => e.k)).size).toBe(28);
    expect(both.slice(0, 2).map((e) => e.k)).toEqual([keyOf(201), keyOf(200)]);
    expect(await store.count({ sourceIds: ["pa"] })).toBe(26);
    expect(await store.count({ sourceIds: ["pb"] })).toBe(3);
    expect(await store.count({ sourceIds: ["pa", "pb"] })).toBe(28);
    // A window: [since, until) on the sort time.
    const since = Date.parse(item(110).publishedAt!);
    const until = Date.parse(item(115).publishedAt!);
    expect((await store.page({ sourceIds: ["pa"], since, until, limit: 50 })).map((e) => e.k)).toEqual([114, 113, 112, 111, 110].map(keyOf));
    expect(await store.count({ sourceIds: ["pa", "pb"], since, until })).toBe(5);
    const all = await walk([ALL_SOURCES], 9);
    expect(all.length).toBe(await store.count({ sourceIds: [ALL_SOURCES] }));
    expect(all.map((e) => e.k)).toEqual(expect.arrayContaining(both.map((e) => e.k)));
  });

  it("keeps an unfurled page out of the lists until a post cites it; an expired one is gone", async () => {
    const now = new Date();
    const page = (url: string) => ({ url, title: `Page ${url}`, summary: "about", author: null, publishedAt: null, modifiedAt: null, imageUrl: null });
    const listed = await store.count({ sourceIds: [ALL_SOURCES] });
    await store.mergePage("https://pages.example/kept", page("https://pages.example/kept"), now, 60_000);
    await store.mergePage("https://pages.example/gone", page("https://pages.example/gone"), new Date(now.getTime() - 120_000), 60_000);
    expect((await store.getMany(["https://pages.example/kept", "https://pages.example/gone"])).map((r) => r?.title ?? null)).toEqual(["Page https://pages.example/kept", null]);
    expect(await store.count({ sourceIds: [ALL_SOURCES] })).toBe(listed);
    await store.publishCited(["https://pages.example/kept"]);
    expect(await store.count({ sourceIds: [ALL_SOURCES] })).toBe(listed + 1);
    expect((await store.page({ sourceIds: [ALL_SOURCES], limit: 1 }))[0]!.k).toBe("https://pages.example/kept");
    expect(await store.purgeExpired()).toBe(1);
  });

  it("gives the search index the articles written after a position, in write order, and nothing else", async () => {
    const start = { seq: 0, key: "" };
    let all: string[] = [];
    let position = start;
    for (;;) {
      const next = await store.changedSince(position, 10);
      all = all.concat(next.map((c) => c.key));
      if (next.length < 10) break;
      position = next.at(-1)!.position;
    }
    expect(all.length).toBe(await store.count({ sourceIds: [ALL_SOURCES] }));
    const tail = (await store.changedSince(start, 10_000)).at(-1)!.position;
    await store.upsert("pb", [item(200, { title: "Story 200, edited" }), item(300)]);
    const after = await store.changedSince(tail, 100);
    expect(after.map((c) => c.key).sort()).toEqual([keyOf(200), keyOf(300)]);
  });

  it("removeBySource: shared articles lose the source, its own ones go, its counter and guids go", async () => {
    const allBefore = await store.count({ sourceIds: [ALL_SOURCES] });
    expect(await store.removeBySource("pb")).toBe(3); // deleted: its own three; the shared one stays
    const [shared, own] = await store.getMany([keyOf(105), keyOf(201)]);
    expect(shared!.sourceIds).toEqual(["pa"]);
    expect(own).toBeNull();
    expect(await store.count({ sourceIds: ["pb"] })).toBe(0);
    expect(await store.page({ sourceIds: ["pb"], limit: 10 })).toEqual([]);
    expect(await store.count({ sourceIds: [ALL_SOURCES] })).toBe(allBefore - 3);
    expect(await store.count({ sourceIds: ["pa"] })).toBe(26);
    // Back again: its items are new articles again (no stale guid mapping).
    expect(await store.upsert("pb", [item(201)])).toMatchObject({ added: 1 });
  });

  it("a poll runs the same statements whatever the store's size (100 or 2,100 stored articles)", async () => {
    const statements = async (sourceId: string, stored: number) => {
      for (let i = 0; i < stored; i += 500) {
        await store.upsert(`${sourceId}-fill`, Array.from({ length: Math.min(500, stored - i) }, (_, n) => item(10_000 + i + n, { link: `https://fill.example/${sourceId}/${i + n}`, guid: `${sourceId}-${i + n}` })));
      }
      await store.upsert(sourceId, Array.from({ length: 50 }, (_, n) => item(50_000 + n, { link: `https://poll.example/${sourceId}/${n}`, guid: `${sourceId}-p${n}` })));
      const seen: string[] = [];
      const stop = opened.db.onStatement((sql) => seen.push(sql));
      const next = Array.from({ length: 50 }, (_, n) => item(60_000 + n, { link: `https://poll.example/${sourceId}/next/${n}`, guid: `${sourceId}-n${n}` }));
      await store.upsert(sourceId, [...next, ...Array.from({ length: 10 }, (_, n) => item(50_000 + n, { link: `https://poll.example/${sourceId}/${n}`, guid: `${sourceId}-p${n}` }))]);
      stop();
      return seen;
    };
    const small = await statements("small", 100);
    const large = await statements("large", 2_100);
    expect(large.length).toBe(small.length);
    expect(large.length).toBeLessThanOrEqual(12);
  });
});

describe("upgrading a data dir the keyv-era store wrote (test/fixtures/migration/v2-datadir)", () => {
  let dir: string;
  let keyvRows: Array<{ key: string; expires_at: number | null }>;
  let cache: ReturnType<typeof createCache>;
  let store: ArticleStore;
  let db: SqliteSqlDatabase;
  const old = <T>(key: string) => cache.keyv.get<T>(key);

  beforeAll(async () => {
    dir = tempDir();
    cpSync(fromRoot("test", "fixtures", "migration", "v2-datadir"), dir, { recursive: true });
    cache = createCache(dir);
    keyvRows = cache.store.database.all("SELECT key, expires_at FROM keyv ORDER BY key");
    db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
    store = new ArticleStore(cache.keyv, db);
    await store.open();
  });
  afterAll(async () => {
    await db?.close();
    await cache?.keyv.disconnect();
  });

  const under = (prefix: string) => keyvRows.filter((r) => r.key.startsWith(`crosswire:${prefix}`)).map((r) => r.key.slice(`crosswire:${prefix}`.length));

  it("copies every article record as it was", async () => {
    const keys = under("a:");
    expect(keys.length).toBe(14);
    const rows = await store.getMany(keys);
    for (const [i, key] of keys.entries()) expect(rows[i]).toEqual(await old<ArticleRecord>(`a:${key}`));
  });

  it("keeps every list in its order, and counts it", async () => {
    const sources = under("i:");
    expect(sources.sort()).toEqual(["*", "blog", "mirror", "podcast", "releases", "ties"]);
    for (const sourceId of sources) {
      const before = (await old<IndexEntry[]>(`i:${sourceId}`))!;
      expect(await store.index(sourceId)).toEqual(before);
      expect(await store.count({ sourceIds: [sourceId] })).toBe(before.length);
    }
  });

  it("keeps every guid and link mapping, so re-polling adds nothing", async () => {
    for (const rest of under("g:")) {
      const [sourceId] = ["podcast", "releases", "blog", "mirror", "ties"].filter((s) => rest.startsWith(`${s}:`));
      const guid = rest.slice(sourceId!.length + 1);
      const row = await db.get<{ key: string }>("SELECT key FROM article_guids WHERE source_id = ? AND guid = ?", [sourceId!, guid]);
      expect(row?.key).toBe(await old<string>(`g:${rest}`));
    }
    for (const link of under("l:")) expect(await store.keyForLink(link)).toBe(await old<string>(`l:${link}`));
    const at = new Date("2026-11-26T12:00:00Z");
    const result = await store.upsert("podcast", [
      item(0, { guid: "ep-3", link: "https://pod.example/", title: "Episode 3", summaryHtml: "<p>Episode 3</p>", publishedAt: "2026-11-19T10:00:00.000Z" }),
      item(0, { guid: "ep-2", link: "https://pod.example/", title: "Episode 2", summaryHtml: "<p>Episode 2</p>", publishedAt: "2026-11-12T10:00:00.000Z" }),
      item(0, { guid: "ep-1", link: "https://pod.example/", title: "Episode 1", summaryHtml: "<p>Episode 1</p>", publishedAt: "2026-11-05T10:00:00.000Z" }),
    ], at);
    expect(result).toMatchObject({ added: 0, updated: 0, unchanged: 3 });
  });

  it("keeps an unfurled page's expiry and a cited page published; health stays in keyv; opening again copies nothing", async () => {
    const expiry = keyvRows.find((r) => r.key === "crosswire:a:https://unfurled.example/only")!.expires_at;
    expect(expiry).toBeGreaterThan(Date.now());
    expect(await db.get("SELECT listed, expires_ms FROM articles WHERE key = ?", ["https://unfurled.example/only"])).toEqual({ listed: 0, expires_ms: expiry });
    expect(await db.get("SELECT listed, expires_ms FROM articles WHERE key = ?", ["https://unfurled.example/cited"])).toEqual({ listed: 1, expires_ms: null });
    expect((await store.health(["blog"]))[0]).toMatchObject({ status: "OK", itemCount: 4 });
    const again = new ArticleStore(cache.keyv, db);
    const seen: string[] = [];
    const stop = db.onStatement((sql) => seen.push(sql));
    await again.open();
    stop();
    expect(seen.filter((s) => /INSERT/i.test(s))).toEqual([]);
    expect(seen.length).toBeLessThanOrEqual(4); // the migrations table, and the done mark: nothing per article
  });
});

describe("upgrading a keyv-era store kept in Redis (no key listing: the indexes name the records)", () => {
  let redis: TestRedis;
  let fixture: ReturnType<typeof createCache>;
  let shared: Cache;
  let db: SqliteSqlDatabase;
  let store: ArticleStore;
  let keys: string[];

  beforeAll(async () => {
    redis = await startRedis();
    const dir = tempDir();
    cpSync(fromRoot("test", "fixtures", "migration", "v2-datadir"), dir, { recursive: true });
    fixture = createCache(dir);
    const rows = fixture.store.database.all<{ key: string }>("SELECT key FROM keyv ORDER BY key");
    keys = rows.map((r) => r.key.slice("crosswire:".length));
    shared = await openCache(loadConfig({}, { dataDir: tempDir(), sources: [], cache: { store: "redis", redisUrl: redis.url, keyPrefix: "up:" } }), pino({ level: "silent" }));
    // The fixture's entries, as the keyv-era gateway would have written them to Redis.
    for (const key of keys) await shared.keyv.set(key, await fixture.keyv.get(key));
    db = new SqliteSqlDatabase(path.join(tempDir(), "forum.db"));
    store = new ArticleStore(shared.keyv, db);
    await store.open();
  }, 30_000);
  afterAll(async () => {
    await db?.close();
    await shared?.close();
    await fixture?.keyv.disconnect();
    await redis?.stop();
  });

  it("copies every published article and keeps every list's order and count", async () => {
    const published = (await fixture.keyv.get<IndexEntry[]>("i:*"))!;
    const records = await store.getMany(published.map((e) => e.k));
    for (const [i, e] of published.entries()) expect(records[i]).toEqual(await fixture.keyv.get(`a:${e.k}`));
    for (const sourceId of keys.filter((k) => k.startsWith("i:")).map((k) => k.slice(2))) {
      const before = (await fixture.keyv.get<IndexEntry[]>(`i:${sourceId}`))!;
      expect(await store.index(sourceId)).toEqual(before);
      expect(await store.count({ sourceIds: [sourceId] })).toBe(before.length);
    }
  });

  it("rebuilds the guid mappings from the records (each g: entry whose record carries that guid), so re-polling adds nothing", async () => {
    for (const rest of keys.filter((k) => k.startsWith("g:")).map((k) => k.slice(2))) {
      const key = (await fixture.keyv.get<string>(`g:${rest}`))!;
      const record = (await fixture.keyv.get<ArticleRecord>(`a:${key}`))!;
      const sourceId = record.sourceIds.find((s) => rest.startsWith(`${s}:`))!;
      const row = await db.get<{ key: string }>("SELECT key FROM article_guids WHERE source_id = ? AND guid = ?", [sourceId, rest.slice(sourceId.length + 1)]);
      expect(row?.key).toBe(key);
    }
    const result = await store.upsert("releases", [
      item(0, { guid: "tag:v1.2", link: "https://code.example/releases#v1.2", title: "v1.2", summaryHtml: "<p>v1.2</p>", publishedAt: "2026-11-18T09:00:00.000Z" }),
      item(0, { guid: "tag:v1.1", link: "https://code.example/releases#v1.1", title: "v1.1", summaryHtml: "<p>v1.1</p>", publishedAt: "2026-11-10T09:00:00.000Z" }),
    ], new Date("2026-11-26T12:00:00Z"));
    expect(result).toMatchObject({ added: 0, updated: 0, unchanged: 2 });
    expect(await store.keyForLink("https://code.example/releases#v1.1")).toBe(await fixture.keyv.get("l:https://code.example/releases#v1.1"));
  });
});

describe("the search index's catch-up reads the store's write order past its saved position", () => {
  it("first every article the index lacks, then only what was written since, and nothing when nothing was", async () => {
    const db = new SqliteSqlDatabase(path.join(tempDir(), "forum.db"));
    const store = new ArticleStore(createCache(tempDir()).keyv, db);
    const index = createSqliteSearchIndex({ file: path.join(tempDir(), "search.db"), threshold: 0.37, windowMs: 72 * 3_600_000 });
    const service = createSearchService({ index, logger: pino({ level: "silent" }), forums: [], sourceName: () => undefined, postSyncSeconds: 0 });
    try {
      await store.upsert("cu", Array.from({ length: 30 }, (_, n) => item(n)));
      expect(await service.catchUp(store)).toBe(30);
      await service.whenIdle();
      expect((await index.knownArticles(Array.from({ length: 30 }, (_, n) => keyOf(n)))).size).toBe(30);
      expect(JSON.parse((await index.getState("articles:position"))!)).toMatchObject({ seq: expect.any(Number) });

      const seen: string[] = [];
      const stop = db.onStatement((sql) => seen.push(sql));
      expect(await service.catchUp(store)).toBe(0);
      stop();
      expect(seen.filter((s) => /FROM articles/.test(s))).toHaveLength(1); // one empty read past the position

      await store.upsert("cu", [item(3, { title: "Story 3, edited" }), item(40), item(41)]);
      expect(await service.catchUp(store)).toBe(3);
      await service.whenIdle();
      expect((await index.knownArticles([keyOf(40), keyOf(41)])).size).toBe(2);
    } finally {
      await service.stop();
      await db.close();
    }
  });
});
