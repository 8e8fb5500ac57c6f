import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { spawnServe } from "../helpers/gateway.js";

// These run the built CLI (`npm test` builds first), exactly as `npm start` does.
const CLI = fromRoot("dist", "src", "cli.js");

function startCli(env: Record<string, string>) {
  // The default sources are real feeds and cited links are real sites: tests never reach beyond loopback.
  return spawnServe({ HOST: "127.0.0.1", PORT: "0", CROSSWIRE_POLL: "false", CROSSWIRE_UNFURL: "false", ...env });
}

function postSlowly(port: number, body: string, onHalfSent: () => Promise<void>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: "/graphql", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    void onHalfSent().then(() => req.end(body.slice(half)), reject);
  });
}

describe("crosswire CLI", () => {
  it("on SIGTERM stops accepting, finishes the in-flight request, closes the store and exits 0", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "crosswire-cli-"));
    const cli = startCli({ CROSSWIRE_DATA_DIR: dataDir });
    const port = await cli.listening;
    const response = postSlowly(port, JSON.stringify({ query: "{ forums { name } }" }), async () => {
      await new Promise((r) => setTimeout(r, 100));
      cli.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      // the listener is closed: a new connection is refused while the old request is still open
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    });
    const { status, text } = await response;
    expect(status).toBe(200);
    expect(JSON.parse(text).data.forums).toHaveLength(3);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("stopped cleanly");
  });

  it("refuses to start on a bad config, naming the key, with exit code 2", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "crosswire-cli-")), "bad.json");
    writeFileSync(file, JSON.stringify({ pagination: { maxFirst: "lots" } }));
    const cli = startCli({ CROSSWIRE_CONFIG: file });
    await expect(cli.listening).rejects.toThrow();
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/Invalid configuration .*\n\s+- pagination\.maxFirst: /);
  });
});


describe("crosswire import-opml", () => {
  it("adds an OPML file's feeds to the config file, and the gateway started on it lists them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crosswire-opml-"));
    const configFile = path.join(dir, "crosswire.json");
    writeFileSync(configFile, JSON.stringify({ pagination: { maxFirst: 50 } }));
    const opml = fromRoot("test", "fixtures", "opml", "feedly-export.opml");
    const run = spawnSync(process.execPath, [CLI, "import-opml", opml, configFile], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/5 added, 0 skipped/);
    const written = JSON.parse(readFileSync(configFile, "utf8"));
    expect(written.pagination).toEqual({ maxFirst: 50 }); // the rest of the file is kept
    expect(written.sources).toHaveLength(4 + 5); // the default sources stay, the feeds are added

    const again = spawnSync(process.execPath, [CLI, "import-opml", opml, configFile], { encoding: "utf8" });
    expect(again.stdout).toMatch(/0 added, 5 skipped/);

    const cli = startCli({ CROSSWIRE_DATA_DIR: dir, CROSSWIRE_CONFIG: configFile, CROSSWIRE_DEMO_FEEDS: "false" });
    const port = await cli.listening;
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ sources { slug url health { status } } }" }),
    });
    const slugs = ((await res.json()) as any).data.sources.map((s: any) => s.slug);
    expect(slugs).toHaveLength(9);
    expect(slugs.slice(0, 4)).toEqual(["aljazeera", "bbc-world", "guardian-world", "npr-world"]);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });

  it("refuses a file that is not OPML with a sentence and exit code 2", () => {
    const run = spawnSync(process.execPath, [CLI, "import-opml", fromRoot("test", "fixtures", "opml", "not-opml.xml"), path.join(tmpdir(), "x.json")], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/not an OPML document/);
  });
});
