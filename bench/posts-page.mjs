/**
 * The posts page statement alone (forum-local's postPagesByThread on a SQLite file, 3 citations per post), in
 * threads of 100 and 1,000 posts with `first: 100` and `first: 10`: mean µs per call over 1,000 calls after 200
 * warm-up calls, through the async SQL interface. `--build DIR` measures another built checkout (its dist/), so
 * two builds compare in one run:
 *
 *   node bench/posts-page.mjs [--build /tmp/cw-before]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { build: { type: "string", default: "." }, calls: { type: "string", default: "1000" } } });
const { createLocalForumSource } = await import(pathToFileURL(path.resolve(args.build, "dist/sources/forum-local/index.js")).href);
const calls = Number(args.calls);
const at = (m) => new Date(Date.parse("2026-11-01T00:00:00Z") + m * 60_000).toISOString();
const tmp = mkdtempSync(path.join(os.tmpdir(), "crosswire-posts-page-"));

async function thread(posts) {
  const source = await createLocalForumSource({ file: path.join(tmp, `forum-${posts}.db`) });
  await source.database.transaction(async (tx) => {
    await tx.run("INSERT INTO authors (id, username, name, bio, joined_at) VALUES (1, 'a', 'A', '', ?)", [at(0)]);
    await tx.run("INSERT INTO forums (id, slug, name, description, created_at) VALUES (1, 'f', 'F', '', ?)", [at(0)]);
    await tx.run("INSERT INTO threads (id, forum_id, author_id, title, created_at, last_posted_at, post_count) VALUES (1, 1, 1, 't', ?, ?, ?)", [at(0), at(0), posts]);
    for (let p = 1; p <= posts; p++) {
      const urls = [1, 2, 3].map((j) => `https://news${j}.example/story/${p * 7 + j}`);
      const body = `<p>Some text about story ${p}: ${urls.map((u, j) => `<a href="${u}">source ${j + 1}</a>`).join(", ")}.</p>`;
      await tx.run("INSERT INTO posts (id, thread_id, author_id, position, body_html, created_at, links_indexed) VALUES (?, 1, 1, ?, ?, ?, 1)", [p, p, body, at(p)]);
      for (const [j, u] of urls.entries()) {
        await tx.run("INSERT INTO post_citations (post_id, thread_id, ordinal, url, canonical_url) VALUES (?, 1, ?, ?, ?)", [p, j, u, u]);
      }
    }
  });
  return source;
}

try {
  console.log(`build ${path.resolve(args.build)}, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  for (const posts of [100, 1000]) {
    const source = await thread(posts);
    for (const first of [100, 10]) {
      const load = () => source.postPagesByThread([{ parentId: "1", first }]);
      for (let i = 0; i < 200; i++) await load();
      const started = performance.now();
      for (let i = 0; i < calls; i++) await load();
      console.log(`${posts} posts, first: ${first}`.padEnd(26), `${(((performance.now() - started) / calls) * 1000).toFixed(0)} µs`);
    }
    await source.close();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
