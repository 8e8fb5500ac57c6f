import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { renderStats } from "../../src/syndication/render.js";
import { writeBigThread } from "../helpers/forum-fixture.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Feed ETags are computed from the data a body is rendered from, before rendering: a revalidation that matches
 * is a 304 without rendering, and every change to what the body would say changes the ETag.
 */

const PUBLIC = "https://feeds.crosswire.test";
const THREAD = toGlobalId("Thread", "local", 1);
const FEED = `/feeds/threads/${THREAD}.atom`;
const OVERRIDES = { forum: { seedDemo: false }, news: { demoFeeds: false }, syndication: { publicUrl: PUBLIC } };

async function get(gw: TestGateway, target: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${target}`, { headers });
  return { status: res.status, etag: res.headers.get("etag")!, text: await res.text() };
}

describe("feed ETags from the data, before rendering", () => {
  let dir: string;
  let gw: TestGateway;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crosswire-etag-"));
    await writeBigThread(path.join(dir, "forum.db"), 30, 3);
    gw = await startTestGateway(OVERRIDES, { dataDir: dir });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a matching If-None-Match is a 304 that renders nothing; a 200 and a HEAD render once", async () => {
    const first = await get(gw, FEED);
    expect(first.status).toBe(200);
    const before = renderStats.count;
    for (const headers of [{ "if-none-match": first.etag }, { "if-none-match": `"x", ${first.etag}` }]) {
      const res = await get(gw, FEED, headers);
      expect([res.status, res.text, res.etag]).toEqual([304, "", first.etag]);
    }
    expect(renderStats.count).toBe(before);
    expect((await get(gw, FEED, { "if-none-match": 'W/"stale"' })).status).toBe(200);
    expect(renderStats.count).toBe(before + 1);
    const head = await fetch(`${gw.url}${FEED}`, { method: "HEAD" });
    expect([head.status, head.headers.get("etag")]).toEqual([200, first.etag]);
    expect(renderStats.count).toBe(before + 2);
  });

  it("differs between formats, limits and cursors", async () => {
    const atom = await get(gw, FEED);
    const next = /<link rel="next" href="([^"]+)"/.exec((await get(gw, `${FEED}?limit=10`)).text)![1]!;
    const variants = await Promise.all(
      [`/feeds/threads/${THREAD}.rss`, `/feeds/threads/${THREAD}.json`, `${FEED}?limit=10`, `${FEED}?limit=11`, new URL(next.replace(/&amp;/g, "&")).pathname + new URL(next.replace(/&amp;/g, "&")).search].map((p) => get(gw, p)),
    );
    expect(variants.map((v) => v.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set([atom.etag, ...variants.map((v) => v.etag)]).size).toBe(6);
  });

  it("changes when a post is added and when a post's content is edited without an edit time", async () => {
    const local = gw.gateway.forums.get("local") as LocalForumSource;
    const e0 = (await get(gw, FEED)).etag;
    expect((await get(gw, FEED)).etag).toBe(e0);

    await local.database.run("UPDATE posts SET body_html = ? WHERE thread_id = 1 AND position = 30", ["<p>Quietly edited.</p>"]);
    const edited = await get(gw, FEED, { "if-none-match": e0 });
    expect(edited.status).toBe(200);
    expect(edited.text).toContain("Quietly edited.");
    expect(edited.etag).not.toBe(e0);

    await local.database.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at) VALUES (31, 1, 1, 31, ?, ?)", [
      "<p>A new post.</p>", new Date(Date.UTC(2026, 10, 20)).toISOString(),
    ]);
    const added = await get(gw, FEED, { "if-none-match": edited.etag });
    expect(added.status).toBe(200);
    expect(added.text).toContain("A new post.");
    expect(added.etag).not.toBe(edited.etag);
  });

  it("is the same across a restart on the same data dir", async () => {
    const targets = [FEED, `/feeds/threads/${THREAD}.rss?limit=5`, "/feeds/river.json"];
    const before = await Promise.all(targets.map((t) => get(gw, t)));
    await gw.close();
    gw = await startTestGateway(OVERRIDES, { dataDir: dir });
    const after = await Promise.all(targets.map((t) => get(gw, t, {})));
    expect(after.map((r) => r.etag)).toEqual(before.map((r) => r.etag));
    const revalidated = await Promise.all(before.map((r, i) => get(gw, targets[i]!, { "if-none-match": r.etag })));
    expect(revalidated.map((r) => r.status)).toEqual([304, 304, 304]);
  });
});
