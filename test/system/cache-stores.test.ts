import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ParsedItem, SourceHealthRecord } from "../../src/model/news.js";
import { createUrlSource } from "../../sources/url/index.js";
import { ArticleStore, ALL_SOURCES } from "../../src/articles/store.js";
import { openCache, type Cache } from "../../src/cache/index.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import { loadConfig } from "../../src/config/index.js";
import { ErrorCode, ServiceUnavailableError } from "../../src/model/errors.js";
import { createFetcher } from "../../src/net/index.js";
import { apqCache } from "../../src/server/apq.js";
import { checkReadiness } from "../../src/cache/readiness.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startRedis, type TestRedis } from "../helpers/servers.js";

/**
 * The cache stores behind ArticleStore, the unfurl cache and APQ: the same assertions against the embedded
 * SQLite file and a real redis-server, through the one code path (openCache → Keyv).
 */
const logger = pino({ level: "silent" });
let redis: TestRedis;
let web: FixtureServer;
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  web = await startFixtureServer();
  web.route("/story/1", {
    headers: { "content-type": "text/html; charset=utf-8" },
    body: `<!doctype html><html><head><title>Harbour reopens</title><meta property="og:title" content="Harbour reopens"></head><body><p>x</p></body></html>`,
  });
});
afterAll(async () => {
  await redis?.stop();
  await web?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

let prefixes = 0;
async function open(store: "sqlite" | "redis", extra: { timeoutMs?: number; leaseTtlMs?: number } = {}): Promise<Cache> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-stores-"));
  dirs.push(dataDir);
  // A fresh key prefix per cache: the tests share one redis-server and must not see each other's keys.
  const cache = store === "redis" ? { store, redisUrl: redis.url, keyPrefix: `t${++prefixes}:`, ...extra } : { store, ...extra };
  return openCache(loadConfig({}, { dataDir, sources: [], cache }), logger);
}

const item = (n: number, title = `Story ${n}`): ParsedItem => ({
  guid: `g${n}`, link: `https://news.example/story/${n}`, title, summaryHtml: `<p>${title}</p>`, author: null,
  publishedAt: new Date(Date.UTC(2026, 10, 20, n)).toISOString(), updatedAt: null, imageUrl: null, categories: [], warnings: [],
});

describe.each(["sqlite", "redis"] as const)("the %s cache store", (kind) => {
  let cache: Cache;
  // The article rows live in the SQL store (src/articles); health and the rest in this cache.
  let db: SqliteSqlDatabase;
  beforeAll(async () => {
    cache = await open(kind);
    const dir = mkdtempSync(path.join(tmpdir(), "crosswire-articles-"));
    dirs.push(dir);
    db = new SqliteSqlDatabase(path.join(dir, "forum.db"));
  });
  afterAll(async () => {
    await cache?.close();
    await db?.close();
  });

  it("stores, batches and expires values", async () => {
    await cache.keyv.set("x", { a: 1 });
    await cache.keyv.set("short", "soon gone", 60);
    await cache.keyv.setMany([{ key: "m1", value: 1 }, { key: "m2", value: [2] }]);
    expect(await cache.keyv.getMany(["x", "m1", "nope", "m2"])).toEqual([{ a: 1 }, 1, undefined, [2]]);
    expect(await cache.keyv.get("short")).toBe("soon gone");
    await new Promise((r) => setTimeout(r, 120));
    expect(await cache.keyv.get("short")).toBeUndefined();
    expect(await checkReadiness([cache.probe], 1000)).toEqual([]);
  });

  it("ArticleStore: upsert adds, updates in place and leaves unchanged items alone; indexes and health", async () => {
    const seen: string[] = [];
    const store = new ArticleStore(cache.keyv, db, (records) => seen.push(...records.map((r) => r.key)), cache.exclusive);
    const first = await store.upsert("fx", [item(1), item(2), item(3)]);
    expect(first).toMatchObject({ added: 3, updated: 0, unchanged: 0 });
    const second = await store.upsert("fx", [item(1), item(2, "Story 2, corrected"), item(3)]);
    expect(second).toMatchObject({ added: 0, updated: 1, unchanged: 2 });
    const [a2, missing] = await store.getMany(["https://news.example/story/2", "https://news.example/none"]);
    expect(a2).toMatchObject({ title: "Story 2, corrected", sourceIds: ["fx"] });
    expect(a2!.changedAt).not.toBeNull();
    expect(missing).toBeNull();
    expect((await store.index("fx")).map((e) => e.k)).toEqual([3, 2, 1].map((n) => `https://news.example/story/${n}`));
    expect((await store.index(ALL_SOURCES)).length).toBe(3);
    expect(seen.length).toBe(4); // 3 added + 1 updated

    const health: SourceHealthRecord = {
      status: "OK", lastAttemptAt: "2026-11-20T10:00:00.000Z", lastSuccessAt: "2026-11-20T10:00:00.000Z", lastError: null,
      consecutiveFailures: 0, itemCount: 3, etag: 'W/"v1"', lastModified: null, format: "RSS",
    };
    await store.setHealth("fx", health);
    expect(await store.health(["fx", "other"])).toEqual([health, null]);
  });

  it("ArticleStore: concurrent upserts of different sources lose no index entry", async () => {
    const store = new ArticleStore(cache.keyv, db, undefined, cache.exclusive);
    await Promise.all(["s1", "s2", "s3", "s4"].map((s, i) => store.upsert(s, [item(10 + i), item(20 + i)])));
    const all = await store.index(ALL_SOURCES);
    for (const n of [10, 11, 12, 13, 20, 21, 22, 23]) expect(all.map((e) => e.k)).toContain(`https://news.example/story/${n}`);
  });

  it("mergePage fills the gaps of an article and unfurls are cached (one fetch for two lookups)", async () => {
    const store = new ArticleStore(cache.keyv, db, undefined, cache.exclusive);
    const unfurler = createUrlSource({
      fetcher: createFetcher({ allowPrivateNetworks: true, timeoutMs: 3000 }), articles: store, keyv: cache.keyv, logger,
      ttlMs: 60_000, staleMs: 0, negativeTtlMs: 10_000, maxBytes: 64 * 1024,
    });
    const url = web.url("/story/1");
    const before = web.hits("/story/1");
    const first = await unfurler.unfurl(url);
    expect(first.status).toBe("RESOLVED");
    const second = await unfurler.unfurl(url);
    expect(second).toEqual(first);
    expect(web.hits("/story/1") - before).toBe(1);
    const [article] = await store.getMany([first.articleKey!]);
    expect(article).toMatchObject({ title: "Harbour reopens", provenance: { title: "page" } });
  });

  it("keeps persisted queries (APQ) with their TTL", async () => {
    const apq = apqCache(cache.keyv);
    await apq.set("hash1", "{ a }");
    await apq.set("hash2", "{ b }", { ttl: 0.05 });
    expect(await apq.get("hash1")).toBe("{ a }");
    expect(await apq.get("hash2")).toBe("{ b }");
    await new Promise((r) => setTimeout(r, 100));
    expect(await apq.get("hash2")).toBeUndefined();
    expect(await apq.delete("hash1")).toBe(true);
    expect(await apq.get("hash1")).toBeUndefined();
  });
});

describe("Redis specifics", () => {
  it("writes every key under cache.keyPrefix", async () => {
    const cache = await open("redis");
    await cache.keyv.set("a:probe", 1);
    const prefix = `t${prefixes}:`;
    expect(await redis.command(`EXISTS ${prefix}a:probe`)).toBe(":1");
    await cache.close();
  });

  it("leases: one holder at a time, compare-and-delete release, expiry frees a lease whose holder stopped", async () => {
    const cache = await open("redis", { leaseTtlMs: 600 });
    const prefix = `t${prefixes}:`;
    const lease = cache.cluster!.lease;
    const held = await lease.acquire("poll:x");
    expect(held).not.toBeNull();
    expect(await lease.acquire("poll:x")).toBeNull();
    // Renewed while held: still held after more than one TTL.
    await new Promise((r) => setTimeout(r, 900));
    expect(await lease.acquire("poll:x")).toBeNull();
    await held!.release();
    const again = await lease.acquire("poll:x");
    expect(again).not.toBeNull();
    await again!.release();

    // A holder that died: its key is there, nobody renews it; released by expiry only.
    expect(await redis.command(`SET ${prefix}lease:poll:y dead-process NX PX 400`)).toBe("+OK");
    expect(await lease.acquire("poll:y")).toBeNull();
    await new Promise((r) => setTimeout(r, 500));
    const taken = await lease.acquire("poll:y");
    expect(taken).not.toBeNull();
    // Release never deletes someone else's lease (compare-and-delete).
    expect(await redis.command(`SET ${prefix}lease:poll:y someone-else XX PX 5000`)).toBe("+OK");
    await taken!.release();
    expect(await redis.command(`EXISTS ${prefix}lease:poll:y`)).toBe(":1");
    await cache.close();
  });

  it("with Redis down, calls fail fast with SERVICE_UNAVAILABLE, readiness names Redis, and it reconnects by itself", async () => {
    const cache = await open("redis", { timeoutMs: 500 });
    await cache.keyv.set("k", "v");
    await redis.stop();
    try {
      const started = Date.now();
      const error = await cache.keyv.get("k").then(() => null, (err: unknown) => err);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).extensions.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
      await expect(cache.keyv.getMany(["k"])).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(cache.keyv.setMany([{ key: "k", value: 1 }])).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000); // generous: each call is bounded by timeoutMs
      const problems = await checkReadiness([cache.probe], 500);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/Redis/);
    } finally {
      await redis.start();
    }
    // The client reconnects with backoff (at most ~5 s between attempts).
    const deadline = Date.now() + 10_000;
    let value: unknown = "unanswered";
    while (Date.now() < deadline) {
      value = await cache.keyv.set("k2", "back").then(() => cache.keyv.get("k2"), () => "unanswered");
      if (value === "back") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(value).toBe("back");
    expect(await checkReadiness([cache.probe], 500)).toEqual([]);
    await cache.close();
  });
});
