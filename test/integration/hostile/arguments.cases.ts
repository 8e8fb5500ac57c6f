import { describe, expect, it } from "vitest";
import { NODE_TYPES, toGlobalId } from "../../../src/model/ids.js";
import { admin, expectFieldError, expectNoLeak, query, unchanged, world, type Answer } from "./world.js";

/**
 * Unicode and control characters in every string argument of the schema, and global IDs of every shape.
 * Arguments go in variables (what real clients send; JSON can carry NUL and lone surrogates that a GraphQL
 * string literal cannot). Each case checks the answer's code and argument name, and that nothing stored changed.
 */

export const HOSTILE_STRINGS: ReadonlyArray<[string, string]> = [
  ["empty", ""],
  ["NUL", "\u0000"],
  ["embedded NUL", "a\u0000b"],
  ["C0 controls and ESC sequences", "\u0001\u0007\u001b[31mred\u001b[0m\u007f"],
  ["CRLF header injection", "x\r\n\r\nX-Injected: 1"],
  ["RTL override", "\u202egnp.exe"],
  ["lone high surrogate", "\ud800"],
  ["reversed surrogate pair", "\udfff\ud800"],
  ["BOM, zero-width, line/paragraph separators", "\ufeff\u200b\u2028\u2029"],
  ["emoji and combining marks", "👍🏽e\u0301\u0338"],
  ["SQL", "'; DROP TABLE posts; --"],
  ["LIKE wildcards and escapes", "%_\\%\\_"],
  ["markup", "<script>alert(1)</script>"],
  ["path traversal", "../../../etc/passwd"],
  ["100 KB", "x".repeat(100_000)],
];

const TID = toGlobalId("Thread", "local", 1);
const AID = toGlobalId("Author", "local", 1);
const FID = toGlobalId("Forum", "local", 1);
const SID = toGlobalId("Source", "meridian", "meridian");

/** Every ID argument: each must answer BAD_USER_INPUT naming it for a malformed ID. */
const ID_ARGUMENTS: ReadonlyArray<[string, string, string]> = [
  ["thread(id:)", "query ($v: ID!) { thread(id: $v) { title } }", "id"],
  ["post(id:)", "query ($v: ID!) { post(id: $v) { body } }", "id"],
  ["forum(id:)", "query ($v: ID!) { forum(id: $v) { name } }", "id"],
  ["author(id:)", "query ($v: ID!) { author(id: $v) { name } }", "id"],
  ["source(id:)", "query ($v: ID!) { source(id: $v) { name } }", "id"],
  ["node(id:)", "query ($v: ID!) { node(id: $v) { id } }", "id"],
  ["nodes(ids:)", "query ($v: ID!) { nodes(ids: [$v]) { id } }", "ids[0]"],
];

/** Every cursor argument. */
const CURSOR_ARGUMENTS: ReadonlyArray<[string, string, string]> = [
  ["articles(after:)", "query ($v: String) { articles(first: 2, after: $v) { totalCount } }", "after"],
  ["articles(before:)", "query ($v: String) { articles(last: 2, before: $v) { totalCount } }", "before"],
  ["river(after:)", "query ($v: String) { river(first: 2, after: $v) { totalCount } }", "after"],
  ["Forum.threads(after:)", `query ($v: String) { forum(id: "${FID}") { threads(first: 2, after: $v) { totalCount } } }`, "after"],
  ["Thread.posts(after:)", `query ($v: String) { thread(id: "${TID}") { posts(first: 2, after: $v) { totalCount } } }`, "after"],
  ["Thread.posts(before:)", `query ($v: String) { thread(id: "${TID}") { posts(last: 2, before: $v) { totalCount } } }`, "before"],
  ["Author.posts(after:)", `query ($v: String) { author(id: "${AID}") { posts(first: 2, after: $v) { totalCount } } }`, "after"],
  ["Source.articles(after:)", `query ($v: String) { source(id: "${SID}") { articles(first: 2, after: $v) { totalCount } } }`, "after"],
  ["Article.citedBy(after:)", "query ($v: String) { articles(first: 1) { nodes { citedBy(first: 2, after: $v) { totalCount } } } }", "after"],
];

function errorsOf(answer: Answer): any[] {
  return answer.json?.errors ?? [];
}

export function argumentCases(): void {
  describe("unicode and control characters in every string argument", () => {
    for (const [name, q, argumentName] of ID_ARGUMENTS) {
      it(`${name}: every hostile string is BAD_USER_INPUT naming "${argumentName}"`, async () => {
        await unchanged(world.strict, async () => {
          for (const [label, value] of HOSTILE_STRINGS) {
            const answer = await query(world.strict, q, { v: value });
            expectFieldError(answer, "BAD_USER_INPUT", argumentName);
            expect(errorsOf(answer), label).toHaveLength(1);
          }
        }, { executes: false });
      });
    }

    it("refreshSource(id:) with the admin token: every hostile string is BAD_USER_INPUT and no source is polled", async () => {
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS) {
          const answer = await admin(world.strict, "mutation ($v: ID!) { refreshSource(id: $v) { slug } }", { v: value });
          expectFieldError(answer, "BAD_USER_INPUT", "id");
          expect(answer.json.data, label).toBeNull();
        }
      }, { executes: false });
    });

    for (const [name, q, argumentName] of CURSOR_ARGUMENTS) {
      it(`${name}: every hostile cursor is BAD_USER_INPUT naming "${argumentName}"`, async () => {
        await unchanged(world.strict, async () => {
          for (const [label, value] of HOSTILE_STRINGS) {
            const answer = await query(world.strict, q, { v: value });
            expectFieldError(answer, "BAD_USER_INPUT", argumentName);
            expect(errorsOf(answer), label).toHaveLength(1);
          }
        });
      });
    }

    it("article(url:): a hostile URL is BAD_USER_INPUT naming url, or (when the URL parser accepts it) an unknown article", async () => {
      const urls = [
        ...HOSTILE_STRINGS.map(([, v]) => v),
        ...HOSTILE_STRINGS.map(([, v]) => `https://www.meridian-news.example/${v}`),
        ...HOSTILE_STRINGS.map(([, v]) => `https://${v}.example/`),
        "\u0000https://www.meridian-news.example/", "javascript:alert(1)", "file:///etc/passwd", "http://[::1]/", "http://user:pw@x.example/",
      ];
      await unchanged(world.strict, async () => {
        for (const url of urls) {
          const answer = await query(world.strict, "query ($v: String!) { article(url: $v) { title } }", { v: url });
          expectNoLeak(answer);
          expect(answer.status).toBe(200);
          if (errorsOf(answer).length) expectFieldError(answer, "BAD_USER_INPUT", "url");
          else expect(answer.json.data.article, JSON.stringify(url).slice(0, 80)).toBeNull();
        }
      });
    });

    it("unfurl(url:) with unfurling off: a hostile URL is BAD_USER_INPUT or UNFURL_FAILED, and nothing is fetched or stored", async () => {
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS) {
          for (const url of [value, `http://x.example/${value}`]) {
            const answer = await query(world.strict, "query ($v: String!) { unfurl(url: $v) { title } }", { v: url });
            expectNoLeak(answer);
            expect(errorsOf(answer).length, label).toBe(1);
            expect(["BAD_USER_INPUT", "UNFURL_FAILED"]).toContain(errorsOf(answer)[0].extensions.code);
          }
        }
      });
    });

    it("articles(filter: { text }): any string is searched literally (no SQL/LIKE injection), nothing stored", async () => {
      const all = (await query(world.strict, "{ articles(first: 1) { totalCount } }")).json.data.articles.totalCount;
      expect(all).toBeGreaterThan(0);
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS) {
          const answer = await query(world.strict, "query ($v: String) { articles(first: 5, filter: { text: $v }) { totalCount nodes { title } } }", { v: value });
          expect(answer.status, label).toBe(200);
          expect(errorsOf(answer), label).toEqual([]);
          const count = answer.json.data.articles.totalCount;
          // the empty filter is no filter; every other hostile string matches nothing in the demo news
          expect(count, label).toBe(value === "" ? all : 0);
        }
      });
    });

    it("articles(filter: { sources }): hostile slugs are BAD_USER_INPUT naming filter.sources", async () => {
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS) {
          const answer = await query(world.strict, "query ($v: [String!]) { articles(first: 1, filter: { sources: $v }) { totalCount } }", { v: [value, "meridian"] });
          expectFieldError(answer, "BAD_USER_INPUT", "filter.sources");
          expect(errorsOf(answer), label).toHaveLength(1);
        }
      });
    });

    it("DateTime arguments (filter.since/until, Source.articles(since:)) as literals: GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED", async () => {
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS) {
          for (const field of [
            `articles(first: 1, filter: { since: ${JSON.stringify(value)} }) { totalCount }`,
            `articles(first: 1, filter: { until: ${JSON.stringify(value)} }) { totalCount }`,
            `source(id: "${SID}") { articles(first: 1, since: ${JSON.stringify(value)}) { totalCount } }`,
          ]) {
            const answer = await query(world.strict, `{ ${field} }`);
            expect(answer.status, label).toBe(400);
            expect(["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"], label).toContain(errorsOf(answer)[0]?.extensions?.code);
            expectNoLeak(answer);
          }
        }
      }, { executes: false });
    });
  });

  describe("global IDs of every shape", () => {
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");
    const MALFORMED: ReadonlyArray<[string, string]> = [
      ["empty", ""],
      ["huge (100 KB of base64url characters)", "A".repeat(100_000)],
      ["just over 512 characters", "A".repeat(516)],
      ["not base64", "not an id!"],
      ["standard base64 with + and /", "+/+/"],
      ["padding in the middle", "VGhy=ZWFk"],
      ["base64 of garbage", b64("garbage")],
      ["base64 of random bytes", Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString("base64url")],
      ["base64 of Thread:", b64("Thread:")],
      ["base64 of Thread:local", b64("Thread:local")],
      ["base64 of Unknown:x:1", b64("Unknown:x:1")],
      ["base64 of a lower-case type", b64("thread:local:1")],
      ["base64 of __proto__:x:1", b64("__proto__:x:1")],
      ["base64 of a valid type with an empty key", b64("Thread:local:")],
      ["base64 of a valid type with an empty source", b64("Thread::1")],
      ["base64 of ::", b64("::")],
      ["unicode", "ñ☃👍"],
      ["NUL bytes", "\u0000\u0000"],
      ["base64 followed by NUL", `${TID}\u0000`],
      ["base64 with surrounding spaces", ` ${TID} `],
      ["base64 with a newline", `${TID}\n`],
    ];

    it.each(MALFORMED)("malformed (%s): BAD_USER_INPUT naming id, in thread(id:), node(id:) and nodes(ids:)", async (_label, id) => {
      await unchanged(world.strict, async () => {
        for (const [q, name] of [
          ["query ($v: ID!) { thread(id: $v) { title } }", "id"],
          ["query ($v: ID!) { node(id: $v) { id } }", "id"],
          ["query ($v: ID!) { nodes(ids: [$v]) { id } }", "ids[0]"],
        ] as const) {
          const answer = await query(world.strict, q, { v: id });
          expectFieldError(answer, "BAD_USER_INPUT", name);
          expect(answer.json.errors[0].message.length).toBeLessThan(300);
        }
      }, { executes: false });
    });

    it("a valid ID of another type is BAD_USER_INPUT saying which type it got, for every type", async () => {
      await unchanged(world.strict, async () => {
        for (const type of NODE_TYPES.filter((t) => t !== "Thread")) {
          const answer = await query(world.strict, "query ($v: ID!) { thread(id: $v) { title } }", { v: toGlobalId(type, "local", 1) });
          expectFieldError(answer, "BAD_USER_INPUT", "id");
          expect(answer.json.errors[0].message).toContain(`got the ID of a ${type}`);
        }
      });
    });

    it("well-formed IDs carrying hostile keys and source ids are unknown (null), not errors, and touch nothing", async () => {
      await unchanged(world.strict, async () => {
        for (const [label, value] of HOSTILE_STRINGS.filter(([, v]) => v !== "" && !v.includes(":") && v.length < 300)) {
          for (const type of NODE_TYPES) {
            for (const id of [toGlobalId(type, "local", value), toGlobalId(type, value, "1")]) {
              const answer = await query(world.strict, "query ($v: ID!) { node(id: $v) { id } nodes(ids: [$v, $v]) { id } }", { v: id });
              expect(answer.status, `${type} ${label}`).toBe(200);
              expect(answer.json, `${type} ${label}`).toEqual({ data: { node: null, nodes: [null, null] } });
            }
          }
        }
      });
    });

    it("keys that look like SQL, numbers out of range, or negative are unknown (null)", async () => {
      await unchanged(world.strict, async () => {
        for (const key of ["1 OR 1=1", "1; DELETE FROM posts", "99999999999999999999999999", "-1", "1.5", "0x10", "1e3", " 1", "+1"]) {
          const answer = await query(world.strict, "query ($v: ID!) { post(id: $v) { id } }", { v: toGlobalId("Post", "local", key) });
          expect(answer.json, key).toEqual({ data: { post: null } });
        }
      });
    });
  });
}
