import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArticleStore } from "../../src/articles/store.js";
import { createCache } from "../../src/cache/index.js";
import type { ParsedItem } from "../../src/model/news.js";
import { parseSearchQuery } from "../../src/search/query.js";
import { createSearchService, type SearchService } from "../../src/search/service.js";
import { createSqliteSearchIndex, type SqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { scratchPostgres, scratchSqlite, type ScratchSql } from "../helpers/scratch-sql.js";

/**
 * Deleted articles leave every gateway's search index (each gateway has its own search.db): the gateway that
 * deleted them hears it in-process (the store's onArticlesDeleted hook), another one reads the tombstones in the
 * store's write order when it catches up — on SQLite and on PostgreSQL (127.0.0.1:5432, a database per run).
 */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-searchdel-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const at = (hour: number) => new Date(Date.UTC(2026, 10, 20, hour)).toISOString();
const item = (slug: string, title: string, hour: number): ParsedItem => ({
  guid: slug, link: `https://news.example/${slug}`, title, summaryHtml: `<p>${title}</p>`, author: null,
  publishedAt: at(hour), updatedAt: null, imageUrl: null, categories: [], warnings: [],
});
const key = (slug: string) => `https://news.example/${slug}`;

// "gone" carries a story of its own (two tellings of the glacier) and the first two tellings of the volcano story,
// which "kept" also tells (and shares one article of): deleting "gone" drops one story and reshapes the other.
const GONE = [
  item("glacier-1", "Glacier collapse floods alpine valley village", 1),
  item("glacier-2", "Alpine valley village flooded after glacier collapse", 2),
  item("volcano-1", "Volcano erupts near harbour town, ash cloud closes airport", 3),
  item("volcano-2", "Ash cloud from harbour town volcano closes airport", 4),
  item("shared", "Harbour town volcano ash cloud airport closed again", 5),
];
const KEPT = [item("volcano-3", "Harbour town volcano: airport shut by ash cloud", 6), item("shared", "Harbour town volcano ash cloud airport closed again", 5)];

const openSqlite = () => scratchSqlite(tempDir());
const openPostgres = () => scratchPostgres("searchdel");

function gateway(): { index: SqliteSearchIndex; service: SearchService } {
  const index = createSqliteSearchIndex({ file: path.join(tempDir(), "search.db"), threshold: 0.37, windowMs: 72 * 3_600_000 });
  return { index, service: createSearchService({ index, logger: pino({ level: "silent" }), forums: [], sourceName: () => undefined, postSyncSeconds: 0 }) };
}

async function hits(index: SqliteSearchIndex, text: string): Promise<{ refs: string[]; total: number }> {
  const [page] = await index.search([{ query: parseSearchQuery(text), kinds: ["ARTICLE"], first: 50 }]);
  if (page instanceof Error) throw page;
  return { refs: page!.hits.map((h) => h.ref).sort(), total: page!.totalCount };
}

/** Every story with its member keys, checked against its stored numbers. */
async function stories(index: SqliteSearchIndex): Promise<Map<string, string[]>> {
  const [page] = await index.storyPages([{ parentId: "", first: 100 }]);
  if (page instanceof Error) throw page;
  const out = new Map<string, string[]>();
  for (const { node } of page!.edges) {
    const [members] = await index.storyArticlePages([{ parentId: node.id, first: 100 }]);
    if (members instanceof Error) throw members;
    const keys = members!.edges.map((e) => e.node).sort();
    expect(node.articleCount, `story ${node.id}`).toBe(keys.length);
    expect(keys, `story ${node.id} lead`).toContain(node.leadKey);
    out.set(node.id, keys);
  }
  return out;
}

describe.each([["sqlite", openSqlite], ["postgres", openPostgres]] as const)("deleted articles leave the search index (store on %s)", (_kind, open) => {
  let opened: ScratchSql;
  let store: ArticleStore;
  const deletedHeard: string[] = [];
  const a = gateway(); // the gateway that deletes: told by the store's hooks
  const b = gateway(); // another gateway: reads the store's write order (catchUp)
  beforeAll(async () => {
    opened = await open();
    store = new ArticleStore(createCache(tempDir()).keyv, opened.db, (records) => a.service.articlesChanged(records), undefined, {
      onArticlesDeleted: (keys) => (deletedHeard.push(...keys), a.service.articlesDeleted(keys)),
    });
    await store.open();
  });
  afterAll(async () => {
    await a.service.stop();
    await b.service.stop();
    await opened?.drop();
  });

  it("before: both gateways find every article and group them", async () => {
    await store.upsert("gone", GONE);
    await store.upsert("kept", KEPT);
    await a.service.whenIdle();
    expect(await b.service.catchUp(store)).toBe(6);
    await b.service.whenIdle();
    for (const g of [a, b]) {
      expect(await hits(g.index, "glacier")).toEqual({ refs: [key("glacier-1"), key("glacier-2")], total: 2 });
      expect((await hits(g.index, "volcano")).total).toBe(4);
      const groups = [...(await stories(g.index)).values()];
      expect(groups).toContainEqual([key("glacier-1"), key("glacier-2")]);
      expect(groups).toContainEqual([key("shared"), key("volcano-1"), key("volcano-2"), key("volcano-3")]);
    }
  });

  it("removeBySource deletes the articles only it carried; the deleting gateway drops them at once", async () => {
    const before = await stories(a.index);
    const glacierStory = [...before].find(([, keys]) => keys.includes(key("glacier-1")))![0];
    const volcanoStory = [...before].find(([, keys]) => keys.includes(key("volcano-3")))![0];
    expect(await store.removeBySource("gone")).toBe(4);
    expect(deletedHeard.sort()).toEqual([key("glacier-1"), key("glacier-2"), key("volcano-1"), key("volcano-2")]);
    await a.service.whenIdle();
    expect(await hits(a.index, "glacier")).toEqual({ refs: [], total: 0 });
    expect(await hits(a.index, "volcano")).toEqual({ refs: [key("shared"), key("volcano-3")], total: 2 });
    const after = await stories(a.index);
    expect([...after.values()]).toEqual([[key("shared"), key("volcano-3")]]);
    expect((await a.index.storiesByIds([glacierStory, volcanoStory])).map((s) => (s instanceof Error ? s : s?.articleCount ?? null))).toEqual([null, 2]);
    expect(await a.index.storiesByArticles([key("volcano-1"), key("volcano-3")])).toEqual([null, expect.objectContaining({ id: volcanoStory, sourceIds: ["kept"] })]);
    expect(await a.index.knownArticles(GONE.map((i) => key(i.guid!)))).toEqual(new Set([key("shared")]));
  });

  it("another gateway drops them when it catches up from the store's write order (the tombstones)", async () => {
    expect((await hits(b.index, "glacier")).total).toBe(2); // it has not caught up yet
    expect(await b.service.catchUp(store)).toBe(5); // four tombstones, and the shared article without "gone"
    await b.service.whenIdle();
    expect(await hits(b.index, "glacier")).toEqual({ refs: [], total: 0 });
    expect(await hits(b.index, "volcano")).toEqual({ refs: [key("shared"), key("volcano-3")], total: 2 });
    expect([...(await stories(b.index)).values()]).toEqual([[key("shared"), key("volcano-3")]]);
    expect(await b.service.catchUp(store)).toBe(0);
  });

  it("a page only an unfurl knew is never indexed; its purge tells the index anyway and writes no tombstone", async () => {
    const url = "https://pages.example/glacier-explainer";
    const page = { url, title: "Glacier explainer", summary: "Why glaciers collapse", author: null, publishedAt: null, modifiedAt: null, imageUrl: null };
    await store.mergePage(url, page, new Date(Date.now() - 120_000), 60_000);
    await a.service.whenIdle();
    expect(await a.index.knownArticles([url])).toEqual(new Set());
    deletedHeard.length = 0;
    expect(await store.purgeExpired()).toBe(1);
    expect(deletedHeard).toEqual([url]);
    expect(await b.service.catchUp(store)).toBe(0);
  });

  it("a fresh index (no saved position) skips tombstones of articles it never held, and a source back again is indexed again", async () => {
    const c = gateway();
    try {
      expect(await c.service.catchUp(store)).toBe(2);
      await c.service.whenIdle();
      expect((await hits(c.index, "glacier")).total).toBe(0);
      await store.upsert("gone", GONE.slice(0, 2));
      await a.service.whenIdle();
      expect((await hits(a.index, "glacier")).total).toBe(2);
      expect(await c.service.catchUp(store)).toBe(2);
      await c.service.whenIdle();
      expect((await hits(c.index, "glacier")).total).toBe(2);
    } finally {
      await c.service.stop();
    }
  });
});
