import { describe, expect, it } from "vitest";
import { MemoryTier, responseKey, spliceCachedData } from "../../src/server/response-cache.js";

const entry = (n: number) => ({ g: "g1", json: "x".repeat(n), n });

describe("response cache keys", () => {
  const base = { query: "{ a }", operationName: null, variables: { x: 1 }, accept: "application/json", viewer: undefined };
  it("differ by query, operation, variables, Accept and viewer, and are equal otherwise", () => {
    const variants = [
      base,
      { ...base, query: "{ b }" },
      { ...base, operationName: "A" },
      { ...base, variables: { x: 2 } },
      { ...base, accept: "application/graphql-response+json" },
      { ...base, viewer: "Bearer alice" },
      { ...base, viewer: "Bearer bob" },
    ];
    expect(new Set(variants.map(responseKey)).size).toBe(variants.length);
    expect(responseKey({ ...base })).toBe(responseKey(base));
  });
  it("cannot be forged by moving text between parts", () => {
    expect(responseKey({ ...base, query: "{ a }", viewer: "x" })).not.toBe(responseKey({ ...base, query: "{ a }x", viewer: "" }));
  });
});

describe("the memory tier", () => {
  it("stays within its byte bound, dropping the least recently used first", () => {
    const tier = new MemoryTier(100);
    tier.set("a", entry(40));
    tier.set("b", entry(40));
    expect(tier.get("a")).toBeDefined(); // a is now the most recent
    tier.set("c", entry(40));
    expect(tier.bytes).toBe(80);
    expect([tier.get("a") !== undefined, tier.get("b") !== undefined, tier.get("c") !== undefined]).toEqual([true, false, true]);
  });
  it("never holds an entry larger than the bound, and replacing a key does not count it twice", () => {
    const tier = new MemoryTier(100);
    tier.set("big", entry(101));
    expect(tier.size).toBe(0);
    tier.set("a", entry(30));
    tier.set("a", entry(50));
    expect([tier.size, tier.bytes]).toEqual([1, 50]);
    tier.clear();
    expect([tier.size, tier.bytes]).toEqual([0, 0]);
  });
});

describe("spliceCachedData", () => {
  it("refuses a body without the placeholder instead of sending it", () => {
    expect(() => spliceCachedData('{"data":{"a":1}}\n', '{"a":2}')).toThrow(/no placeholder/);
  });
});
