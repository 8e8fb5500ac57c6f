/**
 * Stored articles for scenario 11 (store size), written through the article store's own write path: the store's
 * `seedArticles(store, n)` when the build exports one, else `ArticleStore.upsert` in batches, as feeds would.
 * Items are generated (a link, a guid, a short plain summary), spread over SEED_SOURCES sources, one a minute apart.
 */
import { randomBytes } from "node:crypto";

export const SEED_SOURCES = Array.from({ length: 10 }, (_, i) => ({ id: `seed-${i}`, name: `Seed ${i}`, format: i % 2 ? "atom" : "rss", homepage: `https://seed-${i}.example/` }));
const BASE_MS = Date.parse("2026-01-01T00:00:00Z");

/** `count` new items of one source; `salt` keeps every call's items new. */
export function seedItems(count, { start = 0, salt = randomBytes(4).toString("hex") } = {}) {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const at = new Date(BASE_MS + n * 60_000).toISOString();
    return {
      guid: `https://news.example/${salt}/${n}`, link: `https://news.example/${salt}/${n}`, title: `Story ${n} of ${salt}`,
      summaryHtml: `<p>Story number ${n}, seeded for the store-size scenario.</p>`, author: "Bench", publishedAt: at,
      updatedAt: null, imageUrl: null, categories: [], warnings: [],
    };
  });
}

async function storeModule() {
  for (const file of ["../dist/src/articles/seed.js", "../dist/src/articles/index.js", "../dist/src/articles/store.js"]) {
    const module = await import(file).catch(() => null);
    if (module?.seedArticles) return module;
  }
  return null;
}

/** Writes `n` articles into the gateway's article store; resolves with how it was done. */
export async function seedArticles(gateway, n) {
  const store = gateway.news.store;
  const own = await storeModule();
  if (own) {
    await own.seedArticles(store, n);
    return "seedArticles";
  }
  // Batches large enough that the whole-index rewrite each upsert does today stays a small part of seeding.
  const batch = Math.max(2_000, Math.ceil(n / 20));
  const salt = randomBytes(4).toString("hex");
  for (let done = 0; done < n; done += batch) {
    const source = SEED_SOURCES[(done / batch) % SEED_SOURCES.length].id;
    await store.upsert(source, seedItems(Math.min(batch, n - done), { start: done, salt }), new Date(BASE_MS + n * 60_000));
  }
  return "upsert";
}
