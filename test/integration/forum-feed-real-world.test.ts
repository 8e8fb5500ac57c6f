import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FeedForumSource } from "../../sources/forum-feed/index.js";
import { parseGlobalId, toGlobalId } from "../../src/model/ids.js";
import { fromRoot } from "../../src/paths.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/** forum-feed on board feeds recorded from real forums (test/fixtures/real-world/forum-feeds/SOURCES.md). */
const fixture = (name: string) => fromRoot("test", "fixtures", "real-world", "forum-feeds", name);
const key = (id: string) => (parseGlobalId(id) as { key: string }).key;

const BOARD_QUERY = `query ($id: ID!) {
  forum(id: $id) {
    threads(first: 10) {
      totalCount
      nodes { id title createdAt lastPostedAt author { username } posts(first: 5) { nodes { id position createdAt author { name } body bodyText citations { url } } } }
    }
  }
}`;

describe("forum-feed on recorded real board feeds", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const poll = (id: string) => (gw.gateway.forums.get(id) as FeedForumSource).poll();
  const board = async (id: string) => {
    const { body } = await gw.graphql(BOARD_QUERY, { id: toGlobalId("Forum", id, "board") });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data.forum.threads;
  };

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/forum/feed.php", fixture("phpbb-classicshell-board.atom.xml"), { "content-type": "application/atom+xml; charset=UTF-8" });
    server.serveFile("/forums/news-and-announcements.4/index.rss", fixture("xenforo-hypixel-news.rss.xml"), { "content-type": "application/rss+xml; charset=utf-8" });
    gw = await startTestGateway({
      net: { allowPrivateNetworks: true },
      news: { demoFeeds: false, poll: false },
      forums: [
        { kind: "feed", id: "classicshell", name: "Classic Shell", url: server.url("/forum/feed.php") },
        { kind: "feed", id: "hypixel-news", name: "Hypixel News", url: server.url("/forums/news-and-announcements.4/index.rss") },
      ],
    });
    expect(await poll("classicshell")).toMatchObject({ kind: "stored", added: 15 });
    expect(await poll("hypixel-news")).toMatchObject({ kind: "stored", added: 1 });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("groups phpBB's board entries into topics by t=, newest activity first, posts oldest first with their authors and offsets", async () => {
    const threads = await board("classicshell");
    expect(threads.totalCount).toBe(8);
    expect(threads.nodes.map((t: any) => key(t.id))).toEqual(["8456", "8455", "8454", "8221", "8453", "8147", "8452", "8451"]);
    const ie6 = threads.nodes[0];
    // The board prefix ("Chitchat • ") and "Re: " are not part of the topic's title.
    expect(ie6.title).toBe("Internet explorer 6 icons");
    expect(ie6.author.username).toBe("ilovewindowsxp");
    expect(ie6.posts.nodes.map((p: any) => [p.position, key(p.id), p.author.name, p.createdAt])).toEqual([
      [1, "35852", "ilovewindowsxp", "2018-06-05T02:59:13.000Z"], // 19:59:13-07:00
      [2, "35854", "largo", "2018-06-05T11:26:05.000Z"],
    ]);
    const display = threads.nodes.find((t: any) => key(t.id) === "8452");
    expect(display.title).toBe("Classic Start Menu too small on high res display");
    expect(display.posts.nodes.map((p: any) => p.author.name)).toEqual(["davestewart", "Jcee", "davestewart"]);
    // An entry without board prefix or category still joins its topic.
    expect(threads.nodes.find((t: any) => key(t.id) === "8147").posts.nodes.map((p: any) => p.author.name)).toEqual(["davestewart", "Lone_Gunman"]);
  });

  it("keeps phpBB bodies readable and cites the links people posted", async () => {
    const threads = await board("classicshell");
    const largo = threads.nodes[0].posts.nodes[1];
    expect(largo.bodyText).toContain("can be here:");
    expect(largo.citations.map((c: any) => c.url)).toContain("http://www.iconarchive.com/search?q=internet+explorer");
    for (const thread of threads.nodes) for (const post of thread.posts.nodes) expect(post.body).not.toMatch(/<script|onerror|javascript:/);
  });

  it("reads XenForo's forum feed: one thread per item, keyed by the /threads/<slug>.<id>/ link, with its creator and date", async () => {
    const threads = await board("hypixel-news");
    expect(threads.totalCount).toBe(1);
    const [summer] = threads.nodes;
    expect(key(summer.id)).toBe("4994707");
    expect(summer.title).toBe("Summer Event and Sale 2022");
    expect(summer.author.username).toBe("Hypixel Team");
    expect(summer.createdAt).toBe("2022-06-23T18:42:00.000Z");
    const [post] = summer.posts.nodes;
    expect(post.position).toBe(1);
    expect(post.bodyText).toContain("The Hypixel Suummer Event is upon us");
    expect(post.citations.map((c: any) => c.url)).toContain("https://store.hypixel.net/sum2022main");
  });
});
