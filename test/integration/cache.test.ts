import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Keyv from "keyv";
import { describe, expect, it } from "vitest";
import { createCache, SqliteKeyvStore } from "../../src/cache/index.js";

describe("keyv on the embedded SQLite file", () => {
  it("stores, expires and persists values across a reopen", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crosswire-cache-"));
    const first = createCache(dir);
    await first.keyv.set("article", { title: "Talks resume" });
    await first.keyv.set("short", "gone soon", 50);
    expect(await first.keyv.get("article")).toEqual({ title: "Talks resume" });
    expect(await first.keyv.get("short")).toBe("gone soon");
    await new Promise((r) => setTimeout(r, 80));
    expect(await first.keyv.get("short")).toBeUndefined();
    await first.keyv.disconnect();

    const second = createCache(dir);
    expect(await second.keyv.get("article")).toEqual({ title: "Talks resume" });
    await second.keyv.disconnect();
  });

  it("clears only its own namespace", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "crosswire-cache-")), "cache.db");
    const a = new Keyv({ store: new SqliteKeyvStore(file), namespace: "a" });
    const b = new Keyv({ store: new SqliteKeyvStore(file), namespace: "b" });
    await a.set("k", 1);
    await b.set("k", 2);
    await a.clear();
    expect(await a.get("k")).toBeUndefined();
    expect(await b.get("k")).toBe(2);
  });
});
