import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../../src/paths.js";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { toGlobalId } from "../../src/model/ids.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, unsignedToken, userToken } from "../helpers/tokens.js";

const PUBLIC = "https://feeds.crosswire.test";
const FORUM = toGlobalId("Forum", "local", 1);
const THREAD = toGlobalId("Thread", "local", 1);
const LIVE_BLOG = "https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3241";
const ADMIN = "admin-token-for-write-tests-0001";

const PAYLOAD = `post { id position body bodyText editedAt author { username name } }
  thread { id title } citations { url canonicalUrl status article { title } }
  userErrors { code field message } clientMutationId`;
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { ${PAYLOAD} } }`;
const CREATE_THREAD = `mutation ($input: CreateThreadInput!) { createThread(input: $input) { ${PAYLOAD} } }`;
const EDIT_POST = `mutation ($input: EditPostInput!) { editPost(input: $input) { ${PAYLOAD} } }`;
const DELETE_POST = `mutation ($input: DeletePostInput!) { deletePost(input: $input) { ${PAYLOAD} } }`;

let gw: TestGateway;
let db: LocalForumSource["database"];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const postCount = async () => (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM posts"))!.n;

beforeAll(async () => {
  gw = await startTestGateway({
    adminToken: ADMIN,
    syndication: { publicUrl: PUBLIC },
    auth: { hs256Secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, writesPerMinute: 1000 },
  });
  db = (gw.gateway.forums.get("local") as LocalForumSource).database;
});
afterAll(async () => gw?.close());

describe("writing to the local forum over HTTP", () => {
  it("creates a thread whose first post's citation resolves to the known article in the mutation's answer, with the author made from the token's claims", async () => {
    const token = await userToken("u-alice-1", { name: "Alice Example" });
    const { status, body } = await gw.graphql(CREATE_THREAD, {
      input: { forumId: FORUM, title: "Talks, day two", body: `Quoting the live blog: ${LIVE_BLOG}&utm_source=x`, clientMutationId: "t-1" },
    }, bearer(token));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const payload = body.data.createThread;
    expect(payload.userErrors).toEqual([]);
    expect(payload.clientMutationId).toBe("t-1");
    expect(payload.thread.title).toBe("Talks, day two");
    expect(payload.post.position).toBe(1);
    expect(payload.post.author).toEqual({ username: "u-alice-1", name: "Alice Example" });
    expect(payload.citations).toHaveLength(1);
    expect(payload.citations[0].canonicalUrl).toBe(LIVE_BLOG);
    expect(payload.citations[0].status).toBe("RESOLVED");
    expect(payload.citations[0].article.title).toBeTruthy();
  });

  it("announces postAdded and threadCited once each within 1 s of the write, makes the post searchable at once, and puts it in the thread's Atom feed at once", async () => {
    const seen: Array<{ topic: string; ms: number }> = [];
    const started = Date.now();
    const stop = gw.gateway.live.events.observe((topic) => seen.push({ topic, ms: Date.now() - started }));
    const atomBefore = await fetch(`${gw.url}/feeds/threads/${THREAD}.atom`);
    const etagBefore = atomBefore.headers.get("etag");
    const { body } = await gw.graphql(CREATE_POST, {
      input: { threadId: THREAD, body: `Zanzibarquokka update, see ${LIVE_BLOG}` },
    }, bearer(await userToken("u-bob-2")));
    const post = body.data.createPost.post;
    await gw.gateway.live.events.settled();
    stop();
    const topics = seen.map((s) => s.topic);
    expect(topics.filter((t) => t === "postAdded:local:1")).toHaveLength(1);
    expect(topics.filter((t) => t === "threadCited:local:1")).toHaveLength(1);
    expect(Math.max(...seen.map((s) => s.ms))).toBeLessThan(1000);

    const found = await gw.graphql(`{ search(query: "zanzibarquokka") { nodes { ... on Post { id } } } }`);
    expect(found.body.data.search.nodes).toEqual([{ id: post.id }]);
    const atom = await fetch(`${gw.url}/feeds/threads/${THREAD}.atom`);
    expect(await atom.text()).toContain("Zanzibarquokka update");
    expect(atom.headers.get("etag")).not.toBe(etagBefore);
  });

  it("answers a retried mutation (same clientMutationId, or the same Idempotency-Key header) with the first post, writing it once", async () => {
    const token = await userToken("u-carol-3");
    const input = { threadId: THREAD, body: "Only once, please.", clientMutationId: "retry-1" };
    const first = await gw.graphql(CREATE_POST, { input }, bearer(token));
    const before = await postCount();
    const again = await gw.graphql(CREATE_POST, { input }, bearer(token));
    expect(again.body.data.createPost.post.id).toBe(first.body.data.createPost.post.id);
    expect(await postCount()).toBe(before);

    const headers = { ...bearer(token), "idempotency-key": "header-key-1" };
    const a = await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: "Header key." } }, headers);
    const b = await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: "Header key." } }, headers);
    expect(b.body.data.createPost.post.id).toBe(a.body.data.createPost.post.id);
    expect(await postCount()).toBe(before + 1);
  });

  it("stores Markdown as sanitized HTML: raw HTML with scripts shows as text, and no <script> or on* attribute is stored", async () => {
    const { body } = await gw.graphql(CREATE_POST, {
      input: { threadId: THREAD, body: `**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))` },
    }, bearer(await userToken("u-dan-4")));
    const post = body.data.createPost.post;
    expect(post.body).toContain("<strong>bold</strong>");
    expect(post.bodyText).toContain("<script>alert(1)</script>");
    const stored = await db.get<{ body_html: string }>("SELECT body_html FROM posts WHERE id = (SELECT MAX(id) FROM posts)");
    // Escaped as text (&lt;script&gt;), never as tags; markdown-it refuses the javascript: link, leaving it as text.
    expect(stored!.body_html).not.toMatch(/<script|<img|href="javascript/i);
    expect(stored!.body_html).toContain("&lt;script&gt;");
  });

  it("refuses bad bodies with typed userErrors and writes nothing: whitespace only, 1 MB, 10,000 links, 21 links", async () => {
    const token = await userToken("u-erin-5");
    const before = await postCount();
    const cases: Array<[string, string]> = [
      [" \n\t  \n", "EMPTY_BODY"],
      ["x".repeat(1_000_000 - 200), "BODY_TOO_LONG"],
      [Array.from({ length: 10_000 }, (_, i) => `https://a.example/${i}`).join(" "), "BODY_TOO_LONG"],
      [Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`).join(" "), "TOO_MANY_LINKS"],
    ];
    for (const [text, code] of cases) {
      const { status, body } = await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: text } }, bearer(token));
      expect(status).toBe(200);
      expect(body.data.createPost.post).toBeNull();
      expect(body.data.createPost.userErrors.map((e: { code: string }) => e.code)).toEqual([code]);
      expect(body.data.createPost.userErrors[0].field).toEqual(["input", "body"]);
    }
    expect(await postCount()).toBe(before);
  });

  it("refuses posts to a deleted or a locked thread (THREAD_DELETED, THREAD_LOCKED) and writes nothing", async () => {
    const token = await userToken("u-fay-6");
    await db.run("UPDATE threads SET deleted_at = ? WHERE id = 2", [new Date().toISOString()]);
    await db.run("UPDATE threads SET locked = 1 WHERE id = 3");
    const before = await postCount();
    const deleted = await gw.graphql(CREATE_POST, { input: { threadId: toGlobalId("Thread", "local", 2), body: "hello" } }, bearer(token));
    const locked = await gw.graphql(CREATE_POST, { input: { threadId: toGlobalId("Thread", "local", 3), body: "hello" } }, bearer(token));
    expect(deleted.body.data.createPost.userErrors[0].code).toBe("THREAD_DELETED");
    expect(locked.body.data.createPost.userErrors[0].code).toBe("THREAD_LOCKED");
    expect(await postCount()).toBe(before);
  });

  it("lets the author edit, refuses another user (NOT_THE_AUTHOR), and lets the admin token delete, leaving a tombstone at the same position", async () => {
    const owner = await userToken("u-gus-7");
    const created = (await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: "First draft https://b.example/one" } }, bearer(owner))).body.data.createPost.post;
    const edited = (await gw.graphql(EDIT_POST, { input: { id: created.id, body: "Second draft https://b.example/two" } }, bearer(owner))).body.data.editPost;
    expect(edited.userErrors).toEqual([]);
    expect(edited.post.editedAt).not.toBeNull();
    expect(edited.citations.map((c: { canonicalUrl: string }) => c.canonicalUrl)).toEqual(["https://b.example/two"]);

    const other = await gw.graphql(EDIT_POST, { input: { id: created.id, body: "mine now" } }, bearer(await userToken("u-hal-8")));
    expect(other.body.data.editPost.userErrors[0].code).toBe("NOT_THE_AUTHOR");

    const admin = await gw.graphql(DELETE_POST, { input: { id: created.id } }, bearer(ADMIN));
    expect(admin.body.data.deletePost.userErrors).toEqual([]);
    expect(admin.body.data.deletePost.post.position).toBe(created.position);
    expect(admin.body.data.deletePost.post.bodyText).toBe("");
    const cites = await db.all("SELECT * FROM post_citations WHERE post_id = ?", [Number(Buffer.from(created.id, "base64url").toString().split(":")[2])]);
    expect(cites).toEqual([]);
    const again = await gw.graphql(EDIT_POST, { input: { id: created.id, body: "back" } }, bearer(owner));
    expect(again.body.data.editPost.userErrors[0].code).toBe("POST_DELETED");
  });

  it("refuses the admin token for new posts (FORBIDDEN): it may edit and delete, not speak", async () => {
    const { body } = await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: "admin" } }, bearer(ADMIN));
    expect(body.errors[0].extensions.code).toBe("FORBIDDEN");
  });
});

describe("JWT checks", () => {
  const refused: Array<[string, () => Promise<string>]> = [
    ["no token", async () => ""],
    ["an expired token", () => userToken("u-x", { expiresIn: Math.floor(Date.now() / 1000) - 3600 })],
    ["a token for another audience", () => userToken("u-x", { audience: "someone-else" })],
    ["a token signed with another secret", () => userToken("u-x", { secret: "another-secret-of-enough-length-0123456789" })],
    ["an unsigned token (alg: none)", async () => unsignedToken("u-x")],
    ["a token from another issuer", () => userToken("u-x", { issuer: "https://evil.example" })],
  ];
  for (const [what, make] of refused) {
    it(`refuses ${what} with UNAUTHENTICATED and writes nothing`, async () => {
      const before = await postCount();
      const token = await make();
      const { body } = await gw.graphql(CREATE_POST, { input: { threadId: THREAD, body: "sneaky" } }, token ? bearer(token) : {});
      expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      expect(body.data).toBeNull();
      expect(await postCount()).toBe(before);
      expect(await db.get("SELECT id FROM authors WHERE subject = 'u-x'")).toBeUndefined();
    });
  }
});

describe("write rate", () => {
  it("answers the 11th write in a minute with HTTP 429, Retry-After and RATE_LIMITED, writing nothing", async () => {
    const limited = await startTestGateway({ auth: { hs256Secret: TEST_SECRET, writesPerMinute: 10 } });
    try {
      const token = await userToken("u-rate-9");
      for (let i = 0; i < 10; i++) {
        const ok = await limited.graphql(CREATE_POST, { input: { threadId: THREAD, body: `post ${i}` } }, bearer(token));
        expect(ok.body.data.createPost.userErrors).toEqual([]);
      }
      const res = await fetch(`${limited.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(token) },
        body: JSON.stringify({ query: CREATE_POST, variables: { input: { threadId: THREAD, body: "one too many" } } }),
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as { errors: Array<{ extensions: { code: string; retryAfterSeconds: number } }> };
      expect(body.errors[0]!.extensions.code).toBe("RATE_LIMITED");
      const ldb = (limited.gateway.forums.get("local") as LocalForumSource).database;
      expect((await ldb.get<{ n: number }>("SELECT COUNT(*) AS n FROM posts WHERE body_markdown = 'one too many'"))!.n).toBe(0);
    } finally {
      await limited.close();
    }
  });
});

describe("posts written by another program", () => {
  it("are picked up by the sync with their citations extracted, and announced", async () => {
    const at = new Date().toISOString();
    await db.run("INSERT INTO posts (thread_id, author_id, position, body_html, created_at) VALUES (1, 1, 9999, ?, ?)", [
      `<p>Imported: <a href="${LIVE_BLOG}">live</a></p>`, at,
    ]);
    const id = (await db.get<{ id: number }>("SELECT MAX(id) AS id FROM posts"))!.id;
    const seen: string[] = [];
    const stop = gw.gateway.live.events.observe((topic) => seen.push(topic));
    await gw.gateway.search.syncForums();
    await gw.gateway.live.events.settled();
    stop();
    const { body } = await gw.graphql(`query ($id: ID!) { post(id: $id) { citations { canonicalUrl status } } }`, { id: toGlobalId("Post", "local", id) });
    expect(body.data.post.citations).toEqual([{ canonicalUrl: LIVE_BLOG, status: "RESOLVED" }]);
    expect(seen).toContain("threadCited:local:1");
  });
});

describe("docs/writing.md", () => {
  it("its curl example posts as reader42 with the documented token and secret, citing a RESOLVED article, and a second run writes nothing", async () => {
    const doc = readFileSync(fromRoot("docs", "writing.md"), "utf8");
    const block = /```bash\n([\s\S]*?)```/.exec(doc)![1]!.replace(/http:\/\/localhost:4000/g, gw.url);
    // Asynchronously: the gateway answering curl runs in this process.
    const run = async () => JSON.parse((await promisify(execFile)("bash", ["-eo", "pipefail", "-c", block], { timeout: 10_000 })).stdout);
    const first = await run();
    expect(first.errors).toBeUndefined();
    expect(first.data.createPost.post.author).toEqual({ username: "reader42" });
    expect(first.data.createPost.citations[0].status).toBe("RESOLVED");
    const before = await postCount();
    expect((await run()).data.createPost.post).toEqual(first.data.createPost.post);
    expect(await postCount()).toBe(before);
  });
});

describe("the Playground", () => {
  it("opens with a 'Write a post' tab holding the createPost example and the Authorization header's place", async () => {
    const html = await (await fetch(`${gw.url}/playground`)).text();
    expect(html).toContain("Write a post");
    expect(html).toContain("createPost(input:");
    expect(html).toContain(`"headers":{"Authorization":"Bearer &lt;paste a user JWT here&gt;"}`); // HTML-escaped in the page config
  });
});
