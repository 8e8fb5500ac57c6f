import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Keyv from "keyv";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscourseSource } from "../../sources/forum-discourse/index.js";
import { createFeedForumSource } from "../../sources/forum-feed/index.js";
import { createLocalForumSource } from "../../sources/forum-local/index.js";
import type { ForumSource } from "../../sources/forum.js";
import { PARSE_WORKER_FILE, type FeedParseInput } from "../../sources/rss/index.js";
import type { ParsedFeed } from "../../src/model/news.js";
import { CursorMismatchError } from "../../src/model/paging.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import { createFetcher } from "../../src/net/index.js";
import { createWorkerPool } from "../../src/workers/pool.js";
import { startDiscourseFixture } from "../helpers/discourse-fixture.js";
import { startFixtureServer } from "../helpers/fixture-server.js";
import { writeBigThread } from "../helpers/forum-fixture.js";

/**
 * The ForumSource contract (sources/forum.ts: DataLoader's, per batch method), checked the same way against
 * every forum adapter: forum-local on a SQLite file, forum-discourse against the Discourse fixture site,
 * forum-feed against a phpBB board feed served on 127.0.0.1. Each adapter is found its ids through its own
 * lists (forums → thread page → post page), so the checks name no adapter's id scheme.
 */
interface Harness {
  source: ForumSource;
  close(): Promise<void>;
}

const logger = pino({ level: "silent" });
/** An id no adapter holds: a number so that adapters with numeric ids look it up rather than reject it. */
const UNKNOWN = "987654321";
/**
 * A well-formed cursor of a list with another sort key (three values; no post list sorts on three). A thread
 * cursor would not do for every adapter: forum-discourse pages threads and posts both by one number.
 */
const FOREIGN_CURSOR = ["2026-11-23T08:00:00.000Z", "thread", 1] as const;

const adapters: Record<string, () => Promise<Harness>> = {
  async "forum-local (SQLite)"() {
    const dir = mkdtempSync(path.join(tmpdir(), "crosswire-contract-"));
    const file = path.join(dir, "forum.db");
    await writeBigThread(file, 7, 3);
    const source = await createLocalForumSource({ file, seedDemo: false });
    return { source, close: async () => { await source.close(); rmSync(dir, { recursive: true, force: true }); } };
  },
  async "forum-discourse (fixture site)"() {
    const site = await startDiscourseFixture(7);
    const source = createDiscourseSource(
      { id: "contract-discourse", name: "Contract Discourse", url: site.url, postBatchSize: 20, cacheTtlSeconds: 60, maxRetryWaitSeconds: 1 },
      { fetcher: createFetcher({ allowPrivateNetworks: true, timeoutMs: 5_000 }), keyv: new Keyv(), logger, database: new SqliteSqlDatabase(":memory:") },
    );
    return { source, close: async () => { await source.close(); await site.close(); } };
  },
  async "forum-feed (phpBB board feed)"() {
    const server = await startFixtureServer();
    server.serveFile("/feed.php", path.resolve("test/fixtures/forums/phpbb-board.atom.xml"), { "content-type": "application/atom+xml" });
    const parser = createWorkerPool<FeedParseInput, ParsedFeed>(PARSE_WORKER_FILE, { size: 1, taskTimeoutMs: 10_000 });
    const source = createFeedForumSource(
      { id: "contract-feed", name: "Contract Feed", url: server.url("/feed.php"), pollIntervalSeconds: 600, enabled: true },
      { fetcher: createFetcher({ allowPrivateNetworks: true, timeoutMs: 5_000 }), keyv: new Keyv(), logger, parser, database: new SqliteSqlDatabase(":memory:") },
    );
    expect((await source.poll()).kind).toBe("stored");
    return { source, close: async () => { await source.close(); await parser.close(); await server.close(); } };
  },
};

const ok = <T>(value: T | Error): T => {
  if (value instanceof Error) throw value;
  return value;
};

describe.each(Object.keys(adapters))("the ForumSource contract: %s", (name) => {
  let harness: Harness;
  let source: ForumSource;
  let forumId: string;
  let threadId: string;
  let postIds: string[];
  let authorId: string;

  beforeAll(async () => {
    harness = await adapters[name]!();
    source = harness.source;
    const forums = await source.listForums();
    expect(forums.length).toBeGreaterThan(0);
    forumId = forums[0]!.id;
    const [threads] = await source.threadPagesByForum([{ parentId: forumId, first: 5 }]);
    const threadEdge = ok(threads!).edges[0]!;
    threadId = threadEdge.node.id;
    const [posts] = await source.postPagesByThread([{ parentId: threadId, first: 5 }]);
    postIds = ok(posts!).edges.map((e) => e.node.id);
    authorId = ok(posts!).edges[0]!.node.authorId;
    expect(postIds.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
  afterAll(async () => harness?.close());

  it("answers a batch with one slot per key, in key order, a repeated key answered twice", async () => {
    const threads = await source.threadsByIds([threadId, UNKNOWN, threadId]);
    expect(threads).toHaveLength(3);
    expect(threads.map((t) => (t instanceof Error ? "error" : t?.id ?? null))).toEqual([threadId, null, threadId]);
    const keys = [postIds[1]!, postIds[0]!, UNKNOWN, postIds[1]!];
    const posts = await source.postsByIds(keys);
    expect(posts.map((p) => (p instanceof Error ? "error" : p?.id ?? null))).toEqual([postIds[1], postIds[0], null, postIds[1]]);
  });

  it("answers null for an id it does not know, in every by-id method", async () => {
    expect(await source.forumsByIds([UNKNOWN])).toEqual([null]);
    expect(await source.threadsByIds([UNKNOWN])).toEqual([null]);
    expect(await source.postsByIds([UNKNOWN])).toEqual([null]);
    expect(await source.authorsByIds([UNKNOWN])).toEqual([null]);
    const [known] = await source.authorsByIds([authorId]);
    expect(ok(known!)?.id).toBe(authorId);
  });

  it("answers an empty page, not an error, for a parent with no children", async () => {
    const [page] = await source.postPagesByThread([{ parentId: UNKNOWN, first: 5 }]);
    expect(ok(page!)).toMatchObject({ edges: [], hasNextPage: false });
    const [threads] = await source.threadPagesByForum([{ parentId: UNKNOWN, first: 5 }]);
    expect(ok(threads!)).toMatchObject({ edges: [], hasNextPage: false });
  });

  it("puts a CursorMismatchError in the slot of a request whose cursor belongs to another list, and answers its neighbours", async () => {
    const pages = await source.postPagesByThread([
      { parentId: threadId, first: 2 },
      { parentId: threadId, first: 2, after: FOREIGN_CURSOR },
      { parentId: threadId, first: 1 },
    ]);
    expect(pages).toHaveLength(3);
    expect(pages[1]).toBeInstanceOf(CursorMismatchError);
    expect(ok(pages[0]!).edges.map((e) => e.node.id)).toEqual(postIds.slice(0, 2));
    expect(ok(pages[2]!).edges.map((e) => e.node.id)).toEqual(postIds.slice(0, 1));
  });

  it("continues a page after its last cursor with the next posts, none repeated", async () => {
    const [first] = await source.postPagesByThread([{ parentId: threadId, first: 1 }]);
    const firstPage = ok(first!);
    expect(firstPage.hasNextPage).toBe(true);
    const [second] = await source.postPagesByThread([{ parentId: threadId, first: 1, after: firstPage.edges[0]!.cursor }]);
    expect(ok(second!).edges.map((e) => e.node.id)).toEqual([postIds[1]]);
  });
});
