import "reflect-metadata";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { startRecordedDiscourse, type RecordedDiscourse } from "../helpers/discourse-recorded.js";

/**
 * What GraphQL answers from forum-discourse's post index (thread pages, citations, cited stories, author lists, the
 * river, the stored-post count) on the recorded Discourse answers, before and after the index became rows: the
 * answers of the keyv-era build are committed (test/fixtures/forums/post-index-answers.json) and this build must give
 * the same. To write them again from a build of the commit before the rows: `POSTROWS_GOLDEN_DIST=<its dist dir>
 * npx vitest run test/integration/post-index-equality.test.ts`.
 */
const SOURCE = "recorded";
const HOST = "discourse.urho3d.io";
const GOLDEN = fromRoot("test", "fixtures", "forums", "post-index-answers.json");
const goldenDist = process.env.POSTROWS_GOLDEN_DIST;

const POST = `id position createdAt editedAt url body author { id username } citations { canonicalUrl }`;
const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${POST} } }`;

/** The requests, in order (each may fetch and index more posts, so the order is part of the scenario). */
function requests(): Array<{ query: string; variables?: Record<string, unknown> }> {
  const thread = (id: number) => toGlobalId("Thread", SOURCE, id);
  const out: Array<{ query: string; variables?: Record<string, unknown> }> = [];
  for (const id of [2108, 51, 4944]) {
    out.push({ query: `query ($id: ID!) { thread(id: $id) { posts(first: 30) { ${PAGE} } citedArticles(first: 10) { canonicalUrl citationCount } } }`, variables: { id: thread(id) } });
    out.push({ query: `query ($id: ID!) { thread(id: $id) { posts(last: 5) { ${PAGE} } } }`, variables: { id: thread(id) } });
  }
  out.push({ query: `{ river(first: 40) { edges { cursor node { __typename ... on Post { id position } } } pageInfo { hasNextPage endCursor } } }` });
  out.push({ query: `{ forumSources { id health { itemCount } } }` });
  return out;
}

async function answers(createGateway: any, loadConfig: any, site: RecordedDiscourse): Promise<unknown[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-postrows-eq-"));
  const config = loadConfig({}, {
    port: 0, host: "127.0.0.1", dataDir, logLevel: "silent", sources: [], unfurl: { enabled: false },
    net: { allowPrivateNetworks: true }, news: { demoFeeds: false, poll: false }, pagination: { defaultFirst: 20, maxFirst: 200 },
    forums: [{ kind: "discourse", id: SOURCE, name: "Recorded Discourse", url: `http://${HOST}:${site.port}`, postBatchSize: 20 }],
  });
  const gateway = await createGateway({ config, logger: pino({ level: "silent" }), lookup: fakeDns({ [HOST]: "127.0.0.1" }) });
  const { port } = await gateway.listen();
  const out: unknown[] = [];
  try {
    for (const r of requests()) {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r) });
      out.push(await res.json());
    }
    // Author lists once the threads are read (authors named by the first thread's page).
    const first = out[0] as { data: { thread: { posts: { edges: Array<{ node: { author: { id: string } } }> } } } };
    const authors = [...new Set(first.data.thread.posts.edges.map((e) => e.node.author.id))].slice(0, 6);
    for (const id of authors) {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `query ($id: ID!) { author(id: $id) { posts(first: 5) { ${PAGE} } } }`, variables: { id } }),
      });
      out.push(await res.json());
    }
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The fake site's port changes from run to run; the answers name it in permalinks.
  return JSON.parse(JSON.stringify(out).replaceAll(`${HOST}:${site.port}`, `${HOST}:PORT`)) as unknown[];
}

describe("forum-discourse's answers from the post index, keyv-era build against rows (recorded Discourse)", () => {
  let site: RecordedDiscourse;
  beforeAll(async () => {
    site = await startRecordedDiscourse();
  });
  afterAll(async () => site?.close());

  it("answers every request exactly as the keyv-era index did", async () => {
    if (goldenDist) {
      const { createGateway } = await import(path.resolve(goldenDist, "src/app/index.js"));
      const { loadConfig } = await import(path.resolve(goldenDist, "src/config/index.js"));
      writeFileSync(GOLDEN, `${JSON.stringify(await answers(createGateway, loadConfig, site), null, 1)}\n`);
    }
    expect(existsSync(GOLDEN)).toBe(true);
    const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as unknown[];
    const { createGateway } = await import("../../src/app/index.js");
    const { loadConfig } = await import("../../src/config/index.js");
    const now = await answers(createGateway, loadConfig, site);
    expect(JSON.stringify(golden)).not.toContain('"errors"');
    // The scenario reaches the lists it is about: pages with citations, cited stories, authors' posts.
    expect(JSON.stringify(golden)).toContain('"citationCount"');
    expect(now.length).toBe(golden.length);
    for (const [i, answer] of now.entries()) expect(answer, `request ${i}`).toEqual(golden[i]);
  }, 120_000);
});
