import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page, PageRequest } from "../../src/model/paging.js";
import type { PostRecord } from "../../src/model/forum.js";
import { PostgresDatabase } from "../../src/db/postgres.js";
import { createLocalForumSource, type LocalForumSource } from "../../sources/forum-local/index.js";
import { startPostgres, type TestPostgres } from "../helpers/servers.js";

/**
 * forum-local's pages as keyset queries (sources/forum-local/paging.ts), on SQLite and PostgreSQL: many parents
 * in one batch (more than one statement's worth of arms), empty parents, both directions, and the page read
 * through the (thread_id, position) index with a LIMIT rather than over the whole thread.
 */

const THREADS = 510; // 408 of them with posts: more than the 400 parents one page statement takes
const postsIn = (thread: number) => thread % 5; // 0..4 posts: some threads are empty

let server: TestPostgres;
let dir: string;
beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(path.join(tmpdir(), "crosswire-forum-paging-"));
}, 60_000);
afterAll(async () => {
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(store: "sqlite" | "postgres"): Promise<LocalForumSource> {
  if (store === "sqlite") return createLocalForumSource({ file: path.join(dir, "forum.db") });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("CREATE DATABASE paging").finally(() => admin.end());
  const url = server.url.replace(/\/postgres$/, "/paging");
  return createLocalForumSource({ database: PostgresDatabase.open({ url, timeoutMs: 5000, storeName: "forum store" }) });
}

async function fill(source: LocalForumSource): Promise<void> {
  const at = (minutes: number) => new Date(Date.parse("2026-11-01T00:00:00Z") + minutes * 60_000).toISOString();
  await source.database.transaction(async (tx) => {
    await tx.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (1, 'a', 'A', '', ?)", [at(0)]);
    await tx.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'f', 'F', '', ?)", [at(0)]);
    let postId = 0;
    for (let t = 1; t <= THREADS; t++) {
      await tx.run("INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (?, 1, 1, ?, ?, ?, ?)", [
        t, `Thread ${t}`, at(t), at(t), postsIn(t),
      ]);
      // Positions with gaps, inserted out of order: the page order must come from the index, not insertion.
      for (let p = postsIn(t); p >= 1; p--) {
        await tx.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (?, ?, 1, ?, ?, ?)", [
          ++postId, t, p * 10, `<p>${t}.${p}</p>`, at(t + p),
        ]);
      }
    }
  });
}

const positionsOf = (page: Page<PostRecord> | Error) => {
  if (page instanceof Error) throw page;
  return { positions: page.edges.map((e) => e.node.position), next: page.hasNextPage, previous: page.hasPreviousPage, total: page.totalCount };
};

describe.each(["sqlite", "postgres"] as const)("forum-local keyset pages on %s", (store) => {
  let source: LocalForumSource;
  const statements: string[] = [];
  beforeAll(async () => {
    source = await open(store);
    await fill(source);
    source.database.onStatement((sql) => statements.push(sql));
  }, 60_000);
  afterAll(async () => source?.close());

  it("answers a batch of 510 threads (and one unknown) with the right pages and counts: one presence read, then two page statements for the 408 threads with posts", async () => {
    const ids = [...Array.from({ length: THREADS }, (_, i) => String(i + 1)), "99999"];
    statements.length = 0;
    const forwards = await source.postPagesByThread(ids.map((parentId) => ({ parentId, first: 2 })));
    const read = statements.filter((s) => /\bposts\b/.test(s));
    expect(read).toHaveLength(3);
    expect(read[0]).toMatch(/^SELECT DISTINCT thread_id/); // the empty threads and the unknown one get no arm
    forwards.forEach((page, i) => {
      const n = i < THREADS ? postsIn(i + 1) : 0;
      const all = Array.from({ length: n }, (_, k) => (k + 1) * 10);
      expect(positionsOf(page)).toEqual({ positions: all.slice(0, 2), next: n > 2, previous: false, total: n });
    });

    const backwards = await source.postPagesByThread(ids.map((parentId) => ({ parentId, last: 3, before: [40] })));
    backwards.forEach((page, i) => {
      const n = i < THREADS ? postsIn(i + 1) : 0;
      const below = Array.from({ length: n }, (_, k) => (k + 1) * 10).filter((p) => p < 40);
      expect(positionsOf(page)).toEqual({ positions: below.slice(-3), next: true, previous: below.length > 3, total: n });
    });
  });

  it("answers 500 parents with no rows (a poll's new articles, none cited yet) with the presence read alone", async () => {
    statements.length = 0;
    const pages = await source.postPagesByThread(Array.from({ length: 500 }, (_, i) => ({ parentId: String(100_000 + i), first: 5 })));
    expect(statements).toHaveLength(1);
    for (const page of pages) expect(positionsOf(page)).toEqual({ positions: [], next: false, previous: false, total: 0 });
  });

  it("continues after a cursor that falls in a gap, and answers a page past the end as empty with the count", async () => {
    const requests: PageRequest[] = [
      { parentId: "4", first: 2, after: [15] },
      { parentId: "4", first: 2, after: [40] },
    ];
    const [gap] = await source.postPagesByThread(requests.slice(0, 1));
    expect(positionsOf(gap!)).toEqual({ positions: [20, 30], next: true, previous: true, total: 4 });
    const [end] = await source.postPagesByThread(requests.slice(1));
    expect(positionsOf(end!)).toEqual({ positions: [], next: false, previous: true, total: 4 });
  });

  it("reads a page through the thread's index with a LIMIT, not by ranking the whole thread", async () => {
    statements.length = 0;
    await source.postPagesByThread([{ parentId: "4", first: 2 }]);
    const [sql] = statements;
    expect(sql).toMatch(/LIMIT/);
    expect(sql).not.toMatch(/OVER\s*\(/i);
    if (store === "sqlite") {
      const plan = (await source.database.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql!}`, [4, 4, 3])).map((r) => r.detail);
      expect(plan.some((d) => /^SEARCH t USING INDEX \S+ \(thread_id=\?\)/.test(d))).toBe(true);
      expect(plan.filter((d) => /^SCAN (t|c|posts)\b/.test(d))).toEqual([]);
    }
  });
});
