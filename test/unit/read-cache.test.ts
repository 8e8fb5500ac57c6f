import { describe, expect, it } from "vitest";
import { ReadCache } from "../../src/db/read-cache.js";

/** A clock the test moves, and a loader that counts what it was asked. */
function setup(maxEntries = 100) {
  let version: string | null = "1";
  const asked: string[][] = [];
  const cache = new ReadCache(() => version, maxEntries);
  const load = async (missing: string[]) => {
    asked.push(missing);
    return new Map(missing.filter((k) => !k.startsWith("absent")).map((k) => [k, { key: k, tags: [k] }]));
  };
  return { cache, asked, load, setVersion: (v: string | null) => (version = v) };
}

describe("ReadCache", () => {
  it("asks the loader once for keys it keeps, absent ones included, while the clock stands still", async () => {
    const { cache, asked, load } = setup();
    const first = await cache.many("t", ["a", "b", "absent-1", "a"], load);
    const second = await cache.many("t", ["b", "a", "absent-1"], load);
    expect(asked).toEqual([["a", "b", "absent-1"]]);
    expect(second.get("a")).toEqual({ key: "a", tags: ["a"] });
    expect(second.get("a")).toBe(first.get("a"));
    expect(second.has("absent-1") && second.get("absent-1") === undefined).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 3, misses: 3, entries: 3 });
  });

  it("forgets everything when the clock moves, and keeps nothing while it is null", async () => {
    const { cache, asked, load, setVersion } = setup();
    await cache.many("t", ["a"], load);
    setVersion("2");
    await cache.many("t", ["a"], load);
    setVersion(null);
    await cache.many("t", ["a"], load);
    await cache.many("t", ["a"], load);
    expect(asked).toEqual([["a"], ["a"], ["a"], ["a"]]);
    expect(cache.stats.resets).toBe(2);
  });

  it("does not keep what was loaded while the clock moved (a write during the read)", async () => {
    let version = "1";
    const cache = new ReadCache(() => version, 10);
    let loads = 0;
    const load = async (missing: string[]) => {
      loads++;
      version = String(Number(version) + 1);
      return new Map(missing.map((k) => [k, loads]));
    };
    expect((await cache.many("t", ["a"], load)).get("a")).toBe(1);
    expect((await cache.many("t", ["a"], load)).get("a")).toBe(2);
    expect(loads).toBe(2);
  });

  it("keeps namespaces apart, and never keeps an Error answer", async () => {
    const { cache, asked, load } = setup();
    await cache.many("threads", ["1"], load);
    await cache.many("posts", ["1"], load);
    const failing = async (missing: string[]) => new Map<string, unknown>(missing.map((k) => [k, new Error(`bad ${k}`)]));
    expect((await cache.many("pages", ["x"], failing)).get("x")).toBeInstanceOf(Error);
    expect(cache.stats.entries).toBe(2);
    expect(asked).toEqual([["1"], ["1"]]);
  });

  it("is bounded: the least recently used entry goes first", async () => {
    const { cache, asked, load } = setup(2);
    await cache.many("t", ["a", "b"], load);
    await cache.many("t", ["a"], load); // a is now the most recent
    await cache.many("t", ["c"], load); // b goes
    await cache.many("t", ["a", "b"], load);
    expect(asked).toEqual([["a", "b"], ["c"], ["b"]]);
    expect(cache.stats.entries).toBe(2);
  });

  it("hands out frozen values: code sharing them across requests cannot change them", async () => {
    const { cache, load } = setup();
    const value = (await cache.many("t", ["a"], load)).get("a") as { key: string; tags: string[] };
    expect(() => {
      value.key = "changed";
    }).toThrow(TypeError);
    expect(() => value.tags.push("more")).toThrow(TypeError);
  });

  it("keeps nothing with a bound of 0", async () => {
    const { load, asked } = setup();
    const off = new ReadCache(() => "1", 0);
    await off.many("t", ["a"], async (m) => load(m));
    await off.many("t", ["a"], async (m) => load(m));
    expect(asked).toHaveLength(2);
  });
});
