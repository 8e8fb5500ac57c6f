import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import { extractExamples, markdownFiles, type Example } from "../helpers/doc-examples.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Every example of README.md and docs/**\/*.md runs here against a fresh gateway (the embedded default: demo
 * forum and demo feeds). The examples are read from the Markdown, never copied: a ```graphql block is POSTed
 * and must answer without errors; a ```sh / ```bash block with curl runs in bash with `localhost:4000`
 * pointed at the test gateway, and must exit 0, print JSON without `errors`, and print the status a
 * `# HTTP/1.1 <status>` comment in the block promises. A block that cannot run here (installing packages,
 * starting servers, a production deploy) carries `<!-- not-run: <reason> -->` on the line before it;
 * `<!-- known-failing: <issue> -->` runs it as `it.fails`, so the test says when it is fixed.
 */
const examples = markdownFiles().flatMap((file) => extractExamples(file, readFileSync(fromRoot(file), "utf8")));
const isShell = (e: Example) => e.lang !== "graphql";
const runnable = examples.filter((e) => e.mark?.kind !== "not-run");
const notRun = examples.filter((e) => e.mark?.kind === "not-run");
const title = (e: Example) => `${e.file}:${e.line} (${e.lang}) ${e.text.replace(/\s+/g, " ").slice(0, 90)}`;

function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-eo", "pipefail", "-c", script], { timeout: 20_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Each JSON document curl printed (one per request, possibly on one line). */
function jsonDocuments(stdout: string): unknown[] {
  const docs: unknown[] = [];
  for (const chunk of stdout.split(/\n(?=[{[])|(?<=})(?=\{)/)) {
    const text = chunk.trim();
    if (text.startsWith("{") || text.startsWith("[")) {
      try {
        docs.push(JSON.parse(text));
      } catch {
        /* not JSON (a feed, headers): checked by status comments instead */
      }
    }
  }
  return docs;
}

describe("README.md and docs/ examples", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(); // the embedded default: demo forum and demo feeds, nothing else
  });
  afterAll(async () => gw?.close());

  async function run(example: Example): Promise<void> {
    if (example.lang === "graphql") {
      expect(example.text).not.toMatch(/^\s*subscription\b/); // subscriptions cannot be POSTed: mark them not-run
      const { status, body } = await gw.graphql(example.text);
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      expect(status).toBe(200);
      return;
    }
    expect(example.text, "a shell block the test can run calls curl; mark others <!-- not-run: reason -->").toMatch(/\bcurl\b/);
    const base = gw.url.replace("http://", "");
    const script = example.text.replace(/(https?:\/\/)?localhost:4000/g, (_m, scheme: string | undefined) => `${scheme ?? ""}${base}`);
    const result = await bash(script);
    expect(result.code, result.stderr).toBe(0);
    for (const doc of jsonDocuments(result.stdout)) {
      expect((doc as { errors?: unknown }).errors, JSON.stringify(doc)).toBeUndefined();
    }
    for (const [, status] of example.text.matchAll(/#\s*HTTP\/1\.1 (\d{3})/g)) {
      expect(result.stdout).toContain(`HTTP/1.1 ${status}`);
    }
    if (!/-I\b|-o \/dev\/null/.test(example.text)) expect(result.stdout.trim().length).toBeGreaterThan(0);
  }

  it(`finds the examples: ${examples.length} in all, ${runnable.length} run, ${notRun.length} marked not-run, each with a reason`, () => {
    expect(runnable.length).toBeGreaterThanOrEqual(10);
    for (const e of notRun) expect(e.mark!.reason.length, title(e)).toBeGreaterThan(5);
    // The brief of issue 19: a shell block either calls curl (and runs) or says why it cannot run.
    for (const e of runnable.filter(isShell)) expect(e.text, title(e)).toMatch(/\bcurl\b/);
  });

  for (const example of runnable) {
    if (example.mark?.kind === "known-failing") it.fails(`${title(example)} [known failing: ${example.mark.reason}]`, () => run(example));
    else it(title(example), () => run(example));
  }
});

/** The README's first query is also checked for what it shows, not only for running. */
describe("README", () => {
  const readme = readFileSync(fromRoot("README.md"), "utf8");
  const curlBodies = () => [...readme.matchAll(/curl -s localhost:4000\/graphql[^\n]*(?:\\\n[^\n]*)?-d '([^']+)'/g)].map((m) => JSON.parse(m[1]!) as { query: string });
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.close());

  it("starts with the two commands: start the gateway, run every test, and stays under 250 lines", () => {
    const lines = readme.split("\n");
    expect(lines[0]).toBe("# crosswire");
    expect(lines.length).toBeLessThanOrEqual(250);
    const block = readme.slice(readme.indexOf("```sh") + 5, readme.indexOf("```", readme.indexOf("```sh") + 5)).trim().split("\n");
    expect(block).toHaveLength(2);
    expect(block[0]).toMatch(/^npm ci && npm start\s/);
    expect(block[1]).toMatch(/&& npm ci && npm test\s/);
  });

  it("links every page under docs/ (but docs/_incoming/, the notes helpers leave to be folded into the pages)", () => {
    const pages = markdownFiles().filter((f) => f.startsWith("docs/") && !f.startsWith("docs/_incoming/"));
    expect(pages.length).toBeGreaterThanOrEqual(12);
    for (const page of pages) expect(readme, page).toContain(`](${page}`);
  });

  it("its first query shows a demo thread's posts with citations resolved to articles, sources and other citing posts", async () => {
    const [join] = curlBodies();
    expect(join!.query).toContain("citations");
    const { body } = await gw.graphql(join!.query);
    expect(body.errors).toBeUndefined();
    const citations = body.data.thread.posts.edges.flatMap((e: any) => e.node.citations);
    const resolved = citations.filter((c: any) => c.article?.title && c.article.publishedAt && c.article.sources.length > 0);
    expect(resolved.length).toBeGreaterThanOrEqual(5);
    expect(resolved.some((c: any) => c.article.citedBy.totalCount >= 2)).toBe(true);
    expect(body.data.thread.citedArticles[0].citationCount).toBeGreaterThanOrEqual(2);
    // the README shows this answer: keep it true
    expect(readme).toContain(`"title":"${body.data.thread.title}"`);
    expect(readme).toContain(`"citationCount":${body.data.thread.citedArticles[0].citationCount},"article":{"title":"${body.data.thread.citedArticles[0].article.title}"}`);
  });

  it("its forum query lists two threads of the first board", async () => {
    const [, forum] = curlBodies();
    const { body } = await gw.graphql(forum!.query);
    expect(body.errors).toBeUndefined();
    expect(body.data.forums[0].threads.edges.length).toBe(2);
  });
});
