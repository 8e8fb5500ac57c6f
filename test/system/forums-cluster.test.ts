import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostRecord } from "../../src/model/forum.js";
import { openCache, type Cache } from "../../src/cache/index.js";
import { loadConfig } from "../../src/config/index.js";
import { ForumHealth } from "../../src/forums/health.js";
import { postIndexLock } from "../../src/forums/index.js";
import { PostIndex } from "../../src/forums/post-index.js";
import { fromRoot } from "../../src/paths.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { startRedis, type TestRedis } from "../helpers/servers.js";
import { scratchPostgres } from "../helpers/scratch-sql.js";
import { PostgresDatabase } from "../../src/db/postgres.js";

/** Remote-forum state shared by several gateway processes through one real redis-server. */
const logger = pino({ level: "silent" });
let redis: TestRedis;
const caches: Cache[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One "process": its own Redis client, lease and keyv on the shared server. */
async function openProcessCache(prefix: string): Promise<Cache> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-forums-cluster-"));
  dirs.push(dataDir);
  const cache = await openCache(loadConfig({}, { dataDir, sources: [], cache: { store: "redis", redisUrl: redis.url, keyPrefix: prefix } }), logger);
  caches.push(cache);
  return cache;
}

const post = (id: string): PostRecord => ({
  id, threadId: "t1", authorId: "u1", position: Number(id), bodyHtml: `<p><a href="https://news.example/story">story</a></p>`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(id))), editedAt: null,
});

describe("PostIndex shared by two processes", () => {
  it("keeps every post in every list when both put different posts at once (rows on one PostgreSQL, Redis lock)", async () => {
    const [a, b] = [await openProcessCache("pi:"), await openProcessCache("pi:")];
    const scratch = await scratchPostgres("postrows_cluster");
    const second = PostgresDatabase.open({ url: scratch.url!, timeoutMs: 5000, storeName: "forum store" });
    try {
      const indexA = new PostIndex(a.keyv, scratch.db, "feed1", undefined, postIndexLock(a.cluster, "feed1"));
      const indexB = new PostIndex(b.keyv, second, "feed1", undefined, postIndexLock(b.cluster, "feed1"));
      const ids = Array.from({ length: 20 }, (_, i) => String(i + 1));
      const fresh = await Promise.all(ids.map((id, i) => (i % 2 ? indexB : indexA).put([post(id)])));
      expect(fresh.flat().map((p) => p.id).sort((x, y) => Number(x) - Number(y))).toEqual(ids);
      // Again, from the other process: nothing is new.
      expect((await Promise.all(ids.map((id, i) => (i % 2 ? indexA : indexB).put([post(id)])))).flat()).toEqual([]);

      const [recent] = await indexA.recentPages([{ parentId: "", first: 50 }]);
      const [citing] = await indexB.citingPages([{ parentId: "https://news.example/story", first: 50 }]);
      const [byAuthor] = await indexA.authorPages([{ parentId: "u1", first: 50 }]);
      const idsOf = (page: unknown) => (page as { edges: Array<{ node: PostRecord }> }).edges.map((e) => e.node.id).sort((x, y) => Number(x) - Number(y));
      expect(idsOf(recent)).toEqual(ids);
      expect(idsOf(citing)).toEqual(ids);
      expect(idsOf(byAuthor)).toEqual(ids);
      const [cited] = await indexB.citedUrlsByThread([{ parentId: "t1", first: 5 }]);
      expect(cited).toEqual([{ canonicalUrl: "https://news.example/story", postCount: 20 }]);
      expect(await indexA.count()).toBe(20);
    } finally {
      await second.close();
      await scratch.drop();
    }
  }, 30_000);
});

describe("ForumHealth shared by two processes", () => {
  it("each sees the other's changes within a second, and failures of both add up", async () => {
    const [a, b] = [await openProcessCache("fh:"), await openProcessCache("fh:")];
    const healthA = new ForumHealth(a.keyv, "forum1");
    const healthB = new ForumHealth(b.keyv, "forum1");
    await healthA.success();
    expect((await healthB.get()).status).toBe("OK");
    expect((await healthA.get()).status).toBe("OK"); // A now holds its copy

    await healthB.failure("HTTP 500");
    await healthA.failure("HTTP 502"); // counted on B's failure, not on A's stale OK
    expect(await healthA.get()).toMatchObject({ status: "DEGRADED", consecutiveFailures: 2 });
    await healthB.failure("HTTP 500");
    await new Promise((r) => setTimeout(r, 1100));
    expect(await healthA.get()).toMatchObject({ status: "FAILING", consecutiveFailures: 3, lastError: expect.stringMatching(/^HTTP 500/) });

    await healthA.success(); // a status change is written at once
    await new Promise((r) => setTimeout(r, 1100));
    expect(await healthB.get()).toMatchObject({ status: "OK", consecutiveFailures: 0, lastError: null });
  }, 15_000);
});

describe("forum feeds polled by two gateways on one Redis and one PostgreSQL", () => {
  it("fetches the feed once per interval across both, and both serve what it stored, posts included", async () => {
    const board = await startFixtureServer();
    board.serveFile("/feed.php", fromRoot("test", "fixtures", "forums", "phpbb-board.atom.xml"), { "content-type": "application/atom+xml" });
    const store = await scratchPostgres("postrows_gateways");
    const config = {
      net: { allowPrivateNetworks: true },
      news: { demoFeeds: false, poll: true },
      search: { postSyncSeconds: 0 },
      forum: { store: "postgres" as const, postgresUrl: store.url!, seedDemo: false },
      cache: { store: "redis" as const, redisUrl: redis.url, keyPrefix: "polls:", leaseTtlMs: 1000 },
      forums: [{ kind: "feed" as const, id: "harbour-board", name: "Harbour Forum", url: board.url("/feed.php"), pollIntervalSeconds: 60 }],
    };
    const gateways: TestGateway[] = [];
    try {
      gateways.push(await startTestGateway(config), await startTestGateway(config));
      // Each gateway's first poll comes 0.25-5 s after start; the interval is 60 s: one fetch in all.
      await new Promise((r) => setTimeout(r, 7000));
      expect(board.requests.filter((r) => r.path === "/feed.php").length).toBe(1);
      const answers = [];
      for (const gw of gateways) {
        const { body } = await gw.graphql(
          `query ($id: ID!) { forum(id: $id) { threads(first: 5) { totalCount nodes { posts(first: 10) { totalCount nodes { id citations { canonicalUrl } } } } } } }`,
          { id: toGlobalId("Forum", "harbour-board", "board") },
        );
        expect(body.errors).toBeUndefined();
        expect(body.data.forum.threads.totalCount).toBe(2);
        answers.push(body.data);
      }
      // The gateway that did not poll serves the posts the other stored: the rows are in the shared database.
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[0].forum.threads.nodes.reduce((n: number, t: any) => n + t.posts.totalCount, 0)).toBeGreaterThan(2);
    } finally {
      await Promise.all(gateways.map((g) => g.close()));
      await board.close();
      await store.drop();
    }
  }, 40_000);
});
