import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ArticleStore } from "../../src/articles/store.js";
import { createCache } from "../../src/cache/index.js";
import type { ParsedItem } from "../../src/model/news.js";
import type { SearchIndex } from "../../src/search/index.js";
import { parseSearchQuery } from "../../src/search/query.js";
import { createSearchService } from "../../src/search/service.js";
import { createSqliteSearchIndex } from "../../src/search/sqlite/index.js";
import { scratchSqlite } from "../helpers/scratch-sql.js";

/**
 * A batch the search index fails to write for good (here: refused once by the index; in production a writer thread
 * that died twice on it, or an SQL error) is not lost until the next start: the search service reads the store's
 * write order again from the position it saved last, and indexes what it finds.
 */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-searchrec-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const item = (slug: string, title: string, hour: number): ParsedItem => ({
  guid: slug, link: `https://news.example/${slug}`, title, summaryHtml: `<p>${title}</p>`, author: null,
  publishedAt: new Date(Date.UTC(2026, 10, 20, hour)).toISOString(), updatedAt: null, imageUrl: null, categories: [], warnings: [],
});
const ITEMS = [
  item("quake-1", "Earthquake shakes coastal city overnight", 1),
  item("quake-2", "Coastal city shaken by overnight earthquake", 2),
  item("quake-3", "Overnight earthquake: coastal city counts damage", 3),
  item("budget-1", "Parliament passes the winter budget", 4),
  item("budget-2", "Winter budget passes parliament after long debate", 5),
];

describe("search indexing after a failed batch", () => {
  it("catches up from the saved position and indexes every article of the failed batch", async () => {
    const opened = await scratchSqlite(tempDir());
    const index = createSqliteSearchIndex({ file: path.join(tempDir(), "search.db"), threshold: 0.37, windowMs: 72 * 3_600_000 });
    let refusals = 0;
    const failingOnce: SearchIndex = Object.create(index, {
      indexArticles: {
        value: (docs: Parameters<SearchIndex["indexArticles"]>[0]) => {
          if (refusals++ === 0) return Promise.reject(new Error("search writer thread died twice on this batch"));
          return index.indexArticles(docs);
        },
      },
    });
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const service = createSearchService({ index: failingOnce, logger, forums: [], sourceName: () => undefined, postSyncSeconds: 0 });
    const store = new ArticleStore(createCache(tempDir()).keyv, opened.db, (records) => service.articlesChanged(records));
    await store.open();
    try {
      expect(await service.catchUp(store)).toBe(0); // an empty store: the position is saved at its start
      await store.upsert("wire", ITEMS);
      await service.whenIdle();
      expect(refusals).toBe(1);
      expect(lines.join("")).toMatch(/search indexing failed; catching up from the saved position/);
      const keys = ITEMS.map((i) => i.link!);
      expect((await index.knownArticles(keys)).size).toBe(0);
      // The retry comes a second later, from the store's write order (not from memory).
      await vi.waitFor(async () => expect((await index.knownArticles(keys)).size).toBe(ITEMS.length), { timeout: 15_000, interval: 100 });
      await service.whenIdle();
      expect(refusals).toBe(2);
      const [page] = await index.search([{ query: parseSearchQuery("earthquake coastal"), kinds: ["ARTICLE"], first: 10 }]);
      expect(page instanceof Error ? page : page!.totalCount).toBe(3);
      const stories = await index.storiesByArticles(keys);
      expect(new Set(stories.map((s) => (s instanceof Error || !s ? null : s.id))).size).toBe(2);
      expect(JSON.parse((await index.getState("articles:position"))!)).toMatchObject({ key: expect.any(String) });
    } finally {
      await service.stop();
      await opened.drop();
    }
  });
});
