import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRecords, writeRows } from "../../src/articles/rows.js";
import { migrateArticles } from "../../src/articles/schema.js";
import { PostgresDatabase } from "../../src/db/postgres.js";
import type { SqlDatabase } from "../../src/db/sql.js";
import { SqliteSqlDatabase } from "../../src/db/sqlite-async.js";
import type { ArticleRecord } from "../../src/model/news.js";
import { startPostgres, type TestPostgres } from "../helpers/servers.js";

/**
 * A thread page reads its cited articles with readRecords: 1,500 keys at 500 posts × 3 citations. One statement
 * for all of them, on both stores, so the page's round trips to PostgreSQL do not grow with its size (bench
 * scenario 10: ≤ 6 from 10 to 500 posts).
 */

const COUNT = 1_500;
const record = (i: number): ArticleRecord => ({
  key: `https://news.example/story/${i}`, url: `https://news.example/story/${i}`, canonicalUrl: `https://news.example/story/${i}`,
  sourceIds: ["wire"], guids: { wire: `g${i}` }, contentHash: `h${i}`, firstSeenAt: "2026-11-01T00:00:00.000Z", changedAt: null,
  title: `Story ${i}`, summaryHtml: null, author: null, publishedAt: "2026-11-01T00:00:00.000Z", updatedAt: null, imageUrl: null, categories: [],
});

let server: TestPostgres;
let dir: string;
beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(path.join(tmpdir(), "crosswire-article-rows-"));
}, 60_000);
afterAll(async () => {
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(store: "sqlite" | "postgres"): Promise<SqlDatabase> {
  if (store === "sqlite") return new SqliteSqlDatabase(path.join(dir, "articles.db"));
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("CREATE DATABASE article_rows").finally(() => admin.end());
  return PostgresDatabase.open({ url: server.url.replace(/\/postgres$/, "/article_rows"), timeoutMs: 5000, storeName: "article store" });
}

describe.each(["sqlite", "postgres"] as const)("reading article rows on %s", (store) => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await open(store);
    await migrateArticles(db);
    await db.transaction((tx) => writeRows(tx, Array.from({ length: COUNT }, (_, i) => ({ before: null, after: record(i) }))));
  }, 60_000);
  afterAll(async () => db?.close());

  it("reads 1,500 records (and answers nothing for unknown keys) in one statement", async () => {
    const statements: string[] = [];
    const stop = db.onStatement((sql) => statements.push(sql));
    const keys = [...Array.from({ length: COUNT }, (_, i) => record(i).key), "https://news.example/unknown"];
    const found = await readRecords(db, keys);
    stop();
    expect(statements).toHaveLength(1);
    expect(found.size).toBe(COUNT);
    expect(found.get(record(1234).key)).toEqual(record(1234));
    expect(found.has("https://news.example/unknown")).toBe(false);
  });
});
