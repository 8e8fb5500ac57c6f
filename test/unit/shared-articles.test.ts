import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { toArticle } from "../../resolvers/mappers.js";
import { deepFreeze } from "../../src/db/read-cache.js";
import type { ArticleRecord } from "../../src/model/news.js";

/** toArticle (resolvers/mappers.ts) shares one frozen Article per record the read cache shares, and only those. */
const record = (key: string) => ({
  key, url: key, canonicalUrl: key, title: `Title of ${key}`, summaryHtml: null, author: null, publishedAt: "2026-11-20T10:00:00.000Z",
  updatedAt: null, imageUrl: null, categories: [], sourceIds: ["a"], provenance: {}, firstSeenAt: "2026-11-20T10:00:00.000Z",
}) as unknown as ArticleRecord;

describe("toArticle", () => {
  it("gives a record the read cache shares (frozen) one Article, frozen too, request after request", () => {
    const shared = deepFreeze(record("https://outlet.example/a"));
    const first = toArticle(shared);
    expect(toArticle(shared)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.provenance)).toBe(true);
    expect(() => {
      (first as { title: string | null }).title = "changed";
    }).toThrow(TypeError);
    expect(first.title).toBe("Title of https://outlet.example/a");
  });

  it("builds a new Article for a record read fresh (not frozen)", () => {
    const fresh = record("https://outlet.example/b");
    const one = toArticle(fresh);
    expect(toArticle(fresh)).not.toBe(one);
    expect(toArticle(fresh)).toEqual(one);
    expect(Object.isFrozen(one)).toBe(false);
  });
});
