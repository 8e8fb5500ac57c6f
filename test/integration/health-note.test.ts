import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { XMLLINT, xmllint } from "../helpers/xmllint.js";

const ADMIN = "admin-token-for-health-notes";
const RSS = { "content-type": "application/rss+xml" };
/** Debian's python3-feedparser: what a real feed reader makes of our output (the pyenv python3 lacks it). */
const PYTHON = "/usr/bin/python3";
const FEEDPARSER = spawnSync(PYTHON, ["-c", "import feedparser"]).status === 0;

function readWithFeedparser(body: string): { subtitle: string; entries: Array<{ title: string; published: string | null; summary: string }> } {
  const script = [
    "import sys, json, feedparser",
    "d = feedparser.parse(sys.stdin.buffer.read())",
    "print(json.dumps({'bozo': d.bozo, 'subtitle': d.feed.get('subtitle', ''), 'entries': [{'title': e.get('title'), 'published': e.get('published'), 'summary': e.get('summary', '')} for e in d.entries]}))",
  ].join("\n");
  const run = spawnSync(PYTHON, ["-c", script], { input: body, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  const parsed = JSON.parse(run.stdout);
  expect(Boolean(parsed.bozo), "feedparser found the feed malformed").toBe(false);
  return parsed;
}

describe("a source feed whose upstream fails says so where readers show it", () => {
  let server: FixtureServer;
  let gw: TestGateway;
  const refresh = async () => {
    const { body } = await gw.graphql(`mutation ($id: ID!) { refreshSource(id: $id) { health { status consecutiveFailures } } }`, { id: toGlobalId("Source", "fx", "fx") }, { authorization: `Bearer ${ADMIN}` });
    expect(body.errors).toBeUndefined();
    return body.data.refreshSource.health;
  };
  const served = async (format: "rss" | "atom" | "json") => {
    const res = await fetch(`${gw.url}/feeds/sources/fx.${format}`);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    server = await startFixtureServer();
    server.serveFile("/feed", fromRoot("test", "fixtures", "rss", "rss2-basic.xml"), RSS);
    gw = await startTestGateway({
      forum: { seedDemo: false },
      news: { demoFeeds: false, poll: false },
      net: { allowAddresses: ["127.0.0.1"], timeoutMs: 2_000 },
      adminToken: ADMIN,
      sources: [{ id: "fx", name: "Fixture News", url: server.url("/feed") }],
    });
    expect(await refresh()).toEqual({ status: "OK", consecutiveFailures: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  it("OK: no note, 3 entries", async () => {
    const atom = await served("atom");
    expect(atom).not.toContain("failing");
    expect(atom.match(/<entry>/g)).toHaveLength(3);
  });

  it("DEGRADED after one failure: the description says so, no extra entry", async () => {
    server.route("/feed", { status: 500, body: "boom" });
    expect(await refresh()).toEqual({ status: "DEGRADED", consecutiveFailures: 1 });
    const atom = await served("atom");
    expect(atom).toMatch(/<subtitle>The upstream feed of Fixture News is failing \(1 attempt in a row, last read \d{4}-\d\d-\d\d \d\d:\d\d UTC\): .*500/);
    expect(atom.match(/<entry>/g)).toHaveLength(3);
  });

  it("FAILING after three: a dated first entry in RSS, Atom and JSON Feed, read as such by xmllint and feedparser", async () => {
    await refresh();
    expect(await refresh()).toEqual({ status: "FAILING", consecutiveFailures: 3 });
    const [rss, atom, json] = [await served("rss"), await served("atom"), await served("json")];
    if (XMLLINT) {
      expect(xmllint(rss)).toBe("");
      expect(xmllint(atom)).toBe("");
    }
    const feed = JSON.parse(json);
    expect(feed.description).toMatch(/^The upstream feed of Fixture News is failing \(3 attempts in a row/);
    expect(feed.items).toHaveLength(4);
    expect(feed.items[0]).toMatchObject({ title: "Fixture News: the upstream feed is failing", id: expect.stringMatching(/^tag:.*health\/fx\//) });
    expect(feed.items[0].content_html).toContain("could not read the feed of Fixture News 3 times in a row");
    if (!FEEDPARSER) return;
    for (const body of [rss, atom]) {
      const read = readWithFeedparser(body);
      expect(read.subtitle).toContain("The upstream feed of Fixture News is failing (3 attempts in a row");
      expect(read.entries).toHaveLength(4);
      expect(read.entries[0]!.title).toBe("Fixture News: the upstream feed is failing");
      expect(read.entries[0]!.published).toBeTruthy();
      expect(read.entries[0]!.summary).toMatch(/3 attempts in a row.*answered HTTP 500.*3 stored articles kept/);
    }
  });

  it("keeps one guid for one outage (a reader lists it once), and drops the note when the feed answers again", async () => {
    const guid = async () => JSON.parse(await served("json")).items[0].id as string;
    const before = await guid();
    await refresh();
    expect(await guid()).toBe(before);
    server.serveFile("/feed", fromRoot("test", "fixtures", "rss", "rss2-basic.xml"), RSS);
    expect(await refresh()).toEqual({ status: "OK", consecutiveFailures: 0 });
    const atom = await served("atom");
    expect(atom).not.toContain("failing");
    expect(atom.match(/<entry>/g)).toHaveLength(3);
  });
});
