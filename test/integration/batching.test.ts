import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { writeBigThread } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const QUERY = `query ($id: ID!) {
  thread(id: $id) {
    title
    posts(first: 50) {
      totalCount
      edges { node { id position author { name } thread { id title } } }
    }
  }
}`;

async function countStatements(gw: TestGateway, run: () => Promise<unknown>) {
  const store = gw.gateway.forums.get("local") as LocalForumSource;
  const statements: string[] = [];
  const off = store.database.onStatement((sql) => statements.push(sql.replace(/\s+/g, " ").trim()));
  try {
    await run();
  } finally {
    off();
  }
  return statements;
}

describe("DataLoader batching against the SQLite store", () => {
  let dir: string;
  let batched: TestGateway;
  let naive: TestGateway;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-batch-"));
    await writeBigThread(path.join(dir, "forum.db"), 60, 10);
    batched = await startTestGateway({ forum: { seedDemo: false } }, { dataDir: dir });
    naive = await startTestGateway({ forum: { seedDemo: false } }, { dataDir: dir, loaderOptions: { batch: false } });
  });
  afterAll(async () => {
    await batched?.close();
    await naive?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers one thread with 50 posts, each post's author and thread, in at most 3 SQL statements", async () => {
    let response: { status: number; body: any } | undefined;
    const statements = await countStatements(batched, async () => {
      response = await batched.graphql(QUERY, { id: toGlobalId("Thread", "local", 1) });
    });
    expect(response!.body.errors).toBeUndefined();
    const edges = response!.body.data.thread.posts.edges;
    expect(edges).toHaveLength(50);
    expect(response!.body.data.thread.posts.totalCount).toBe(60);
    expect(new Set(edges.map((e: any) => e.node.author.name)).size).toBe(10);
    expect(edges.every((e: any) => e.node.thread.title === "Big thread")).toBe(true);
    expect(statements.length).toBeLessThanOrEqual(3);
    // thread by id, one page of posts, authors by id (one IN list of 10 ids)
    expect(statements.filter((s) => s.startsWith("SELECT * FROM authors WHERE id IN"))).toHaveLength(1);
  });

  it("the same query without batching costs one statement per author lookup (what batching saves)", async () => {
    const statements = await countStatements(naive, async () => {
      const { body } = await naive.graphql(QUERY, { id: toGlobalId("Thread", "local", 1) });
      expect(body.errors).toBeUndefined();
    });
    // 10 distinct authors (DataLoader's per-request memo still dedups repeats) + thread + page
    expect(statements.length).toBe(12);
  });
});
