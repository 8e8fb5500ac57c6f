import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCache, type Cache } from "../../src/cache/index.js";
import { loadConfig } from "../../src/config/index.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import type { FeedSourceConfig } from "../../src/model/news.js";
import { createPoller } from "../../src/news/poller.js";
import { openSourceStore, storedSourceExists, type SourceStore } from "../../src/news/source-store.js";
import type { FeedSource, PollOutcome } from "../../sources/rss/index.js";
import { startRedis, type TestRedis } from "../helpers/servers.js";

/**
 * A stored source removed through another gateway stays in this gateway's poller until its next sync; a shared poll
 * due meanwhile (under the Redis lease) first checks the stored row, so it does not bring back the articles the
 * removal deleted. Real Redis lease, real stored_sources table; the source counts its polls.
 */
let redis: TestRedis;
let cache: Cache;
let db: SqliteSqlDatabase;
let store: SourceStore;
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-storedpoll-"));
  dirs.push(dataDir);
  cache = await openCache(loadConfig({}, { dataDir, sources: [], cache: { store: "redis", redisUrl: redis.url, keyPrefix: "sp:" } }), pino({ level: "silent" }));
  db = new SqliteSqlDatabase(path.join(dataDir, "forum.db"));
  store = await openSourceStore(db);
}, 30_000);
afterAll(async () => {
  await cache?.close();
  await db?.close();
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("a shared poll of a stored source checks its row first", () => {
  it("polls while the row is there, and not once another gateway removed it", async () => {
    const config: FeedSourceConfig = { id: "desk", name: "Desk", url: "https://desk.example/feed.xml", pollIntervalSeconds: 900, enabled: true, categories: [], origin: "STORED" };
    let polls = 0;
    const source: FeedSource = {
      config,
      poll: async (): Promise<PollOutcome> => {
        polls += 1;
        return { kind: "not-modified" };
      },
      ingest: async (): Promise<PollOutcome> => ({ kind: "not-modified" }),
    };
    const poller = createPoller([source], {
      maxBackoffSeconds: 60, logger: pino({ level: "silent" }),
      cluster: { lease: cache.cluster!.lease, health: async () => null, busyRetryMs: 500, stillPolled: (s) => storedSourceExists(db, s.config.id) },
    });
    try {
      expect(await store.insert("desk", "feed", { ...config })).toBe(true);
      await poller.pollNow("desk");
      expect(polls).toBe(1);
      expect(await store.remove("desk")).toBe(true); // another gateway's removeSource
      // Not polled: pollNow waits for a poll as if another gateway held the lease, then gives up.
      expect(await poller.pollNow("desk")).toMatchObject({ kind: "failed" });
      expect(polls).toBe(1);
    } finally {
      await poller.stop();
    }
  });
});
