import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGlobalId } from "../../src/model/ids.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { startRecordedDiscourse, type RecordedDiscourse } from "../helpers/discourse-recorded.js";

/**
 * Remote forums' posts and threads in search (issue 22 item 5): what forum-discourse has read is indexed from the post
 * index's rows by the search service's forum sync, like forum-local's, and found by `search` with the source's ids.
 */
const SOURCE = "recorded";
const HOST = "discourse.urho3d.io";
const SEARCH = `query ($q: String!, $types: [SearchType!]) {
  search(query: $q, types: $types, first: 5) {
    totalCount edges { node { __typename
      ... on Post { id author { username } thread { id title } }
      ... on Thread { id title } } } } }`;

describe("search over a Discourse forum's read posts (recorded answers)", () => {
  let site: RecordedDiscourse;
  let gw: TestGateway;

  beforeAll(async () => {
    site = await startRecordedDiscourse();
    gw = await startTestGateway(
      {
        net: { allowPrivateNetworks: true },
        news: { demoFeeds: false, poll: false },
        search: { postSyncSeconds: 0 },
        forums: [{ kind: "discourse", id: SOURCE, name: "Recorded Discourse", url: `http://${HOST}:${site.port}`, postBatchSize: 20 }],
      },
      { lookup: fakeDns({ [HOST]: "127.0.0.1" }) },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  const search = async (q: string, types: string[]) => (await gw.graphql(SEARCH, { q, types })).body;

  it("finds nothing before the topic is read, then its post and its thread once the sync ran", async () => {
    expect((await search("Regius Professor Challenger", ["POST"])).data.search.totalCount).toBe(0);
    const { body } = await gw.graphql(`query ($id: ID!) { thread(id: $id) { posts(first: 5) { totalCount } } }`, { id: toGlobalId("Thread", SOURCE, 51) });
    expect(body.errors).toBeUndefined();
    await gw.gateway.search.syncForums();

    const posts = await search("Regius Professor Challenger", ["POST"]);
    expect(posts.errors).toBeUndefined();
    expect(posts.data.search.edges[0].node).toEqual({
      __typename: "Post", id: toGlobalId("Post", SOURCE, 134), author: { username: "demetria_gutmann" },
      thread: { id: toGlobalId("Thread", SOURCE, 51), title: "Online learning" },
    });
    const bySource = await search(`source:${SOURCE} Regius Professor Challenger`, ["POST"]);
    expect(bySource.data.search.totalCount).toBe(1);
    expect((await search("source:local Regius Professor Challenger", ["POST"])).data.search.totalCount).toBe(0);
    const threads = await search("online learning", ["THREAD"]);
    expect(threads.data.search.edges.map((e: any) => e.node)).toContainEqual({ __typename: "Thread", id: toGlobalId("Thread", SOURCE, 51), title: "Online learning" });
    // A second sync finds nothing new to index (the mark is past every row).
    expect(await gw.gateway.search.syncForums()).toBe(0);
  }, 60_000);
});
