import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadUserInputError } from "../../../src/model/errors.js";
import { decodeIdArgument, NODE_TYPES, parseGlobalId, toGlobalId } from "../../../src/model/ids.js";
import { canonicalUrl, extractLinks } from "../../../src/urls/index.js";

/**
 * Property-based tests (fast-check) for the canonical-URL normalizer and the global ID codec. Seeds are fixed
 * so a run is reproducible; a failing property prints its shrunk counterexample.
 */

const SEED = 20261125;
const run = <T>(property: fc.IProperty<T>, numRuns = 2000) => fc.assert(property, { seed: SEED, numRuns });

const TRACKING_NAMES = ["utm_source", "utm_medium", "utm_campaign", "UTM_Content", "utm_x1", "fbclid", "gclid"];
const isTracking = (name: string) => /^utm_\w+$/i.test(name) || name === "fbclid" || name === "gclid";
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Any string at all: arbitrary code points, ASCII soup, and strings that start like URLs. */
const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "binary-ascii", maxLength: 300 }),
  fc.tuple(fc.constantFrom("http://", "https://", "HTTP://", "https:", "//", " http://", "\u0000http://", "javascript:", "file:///"), fc.string({ unit: "binary", maxLength: 200 })).map(([a, b]) => a + b),
);

const token = fc.stringMatching(/^[a-z0-9]{1,6}$/);
/** http(s) URLs with plain path segments and query values (no percent-encoded reserved characters). */
const plainUrl = fc
  .record({
    scheme: fc.constantFrom("http", "https", "HTTP", "HtTpS"),
    host: fc.domain(),
    port: fc.option(fc.constantFrom(80, 443, 8080), { nil: undefined }),
    path: fc.array(token, { maxLength: 4 }),
    slash: fc.boolean(),
    query: fc.array(fc.tuple(fc.oneof(token, fc.constantFrom(...TRACKING_NAMES)), fc.stringMatching(/^[a-z0-9]{0,6}$/)), { maxLength: 5 }),
    fragment: fc.option(token, { nil: undefined }),
    user: fc.option(token, { nil: undefined }),
  })
  .map((p) => {
    const auth = p.user ? `${p.user}:pw@` : "";
    const port = p.port ? `:${p.port}` : "";
    const q = p.query.length ? `?${p.query.map(([k, v]) => `${k}=${v}`).join("&")}` : "";
    return `${p.scheme}://${auth}${p.host}${port}/${p.path.join("/")}${p.slash && p.path.length ? "/" : ""}${q}${p.fragment ? `#${p.fragment}` : ""}`;
  });
/** URLs with arbitrary text in query values (encoded by URLSearchParams, so `&`, `=`, `/` arrive percent-encoded). */
const encodedUrl = fc
  .tuple(fc.webUrl({ validSchemes: ["http", "https"], withQueryParameters: true, withFragments: true }), fc.array(fc.tuple(fc.oneof(token, fc.constantFrom(...TRACKING_NAMES)), fc.string({ maxLength: 12 })), { maxLength: 4 }))
  .map(([base, params]) => {
    const url = new URL(base);
    for (const [k, v] of params) url.searchParams.append(k, v);
    return url.href;
  });
/** A query value that smuggles a tracking parameter inside an encoded separator. */
const smuggledTracking = fc
  .tuple(fc.domain(), token, fc.constantFrom(...TRACKING_NAMES), token)
  .map(([host, before, name, value]) => {
    const url = new URL(`https://${host}/story`);
    url.searchParams.append("q", `${before}&${name}=${value}`);
    return url.href;
  });

export function propertyCases(): void {
  describe("property: canonicalUrl (src/urls)", () => {
    it("never throws, on any string", () => {
      run(fc.property(fc.oneof(anyString, plainUrl, encodedUrl), (s) => {
        canonicalUrl(s);
      }), 3000);
    });

    it("returns null or an absolute http(s) URL with a host, on any string", () => {
      run(fc.property(fc.oneof(anyString, plainUrl, encodedUrl), (s) => {
        const c = canonicalUrl(s);
        if (c === null) return;
        const parsed = new URL(c);
        expect(["http:", "https:"]).toContain(parsed.protocol);
        expect(parsed.hostname.length).toBeGreaterThan(0);
        expect(parsed.username + parsed.password + parsed.hash).toBe("");
      }), 3000);
    });

    it("is idempotent on any string and on plain http(s) URLs", () => {
      run(fc.property(fc.oneof(anyString, plainUrl), (s) => {
        const c = canonicalUrl(s);
        if (c !== null) expect(canonicalUrl(c)).toBe(c);
      }), 3000);
    });

    // MISBEHAVIOUR: normalize-url's sortQueryParameters decodes the whole query after sorting, and its
    // removeTrailingSlash works on the whole string. Counterexamples (each prints c, canonicalUrl(c)):
    //   http://a.aa/?ref=%26   -> http://a.aa/?ref=&     -> http://a.aa/?ref=
    //   http://a.aa?/          -> http://a.aa/?          -> http://a.aa
    //   https://x.example/p?x=%2F -> https://x.example/p?x=   (a different URL: data lost)
    it("FIXED: is idempotent on every http(s) URL, including percent-encoded query values", () => {
      run(fc.property(fc.oneof(encodedUrl, fc.constantFrom("http://a.aa/?ref=%26", "http://a.aa?/")), (s) => {
        const c = canonicalUrl(s);
        if (c !== null) expect(canonicalUrl(c)).toBe(c);
      }), 2000);
    });

    it("never keeps a tracking parameter (utm_*, fbclid, gclid) written as a parameter", () => {
      run(fc.property(fc.oneof(plainUrl, encodedUrl), (s) => {
        const c = canonicalUrl(s);
        if (c === null) return;
        expect([...new URL(c).searchParams.keys()].filter(isTracking)).toEqual([]);
      }), 3000);
    });

    // MISBEHAVIOUR (same root cause): `?q=a%26utm_source%3Dx` decodes to `?q=a&utm_source=x`, a tracking
    // parameter in the output that was not a parameter in the input.
    it("FIXED: never keeps a tracking parameter, even one smuggled in an encoded query value", () => {
      run(fc.property(smuggledTracking, (s) => {
        const c = canonicalUrl(s);
        if (c === null) return;
        expect([...new URL(c).searchParams.keys()].filter(isTracking)).toEqual([]);
      }), 500);
    });

    it("extractLinks never throws on any HTML, and every link it returns is canonical and tracking-free", () => {
      const html = fc.oneof(
        fc.string({ unit: "binary", maxLength: 400 }),
        fc.array(fc.oneof(plainUrl, anyString), { maxLength: 5 }).map((urls) => urls.map((u) => `<a href="${u}">x</a> ${u}`).join(" <p>")),
      );
      run(fc.property(html, (h) => {
        for (const link of extractLinks(h)) {
          expect(canonicalUrl(link.url)).toBe(link.canonicalUrl);
          expect([...new URL(link.canonicalUrl).searchParams.keys()].filter(isTracking)).toEqual([]);
        }
      }), 1000);
    });
  });

  describe("property: global IDs (src/model/ids)", () => {
    const type = fc.constantFrom(...NODE_TYPES);
    /** What a source id may be (config's SOURCE_ID pattern), plus the built-in ones. */
    const sourceId = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/), fc.constantFrom("local", "news"));
    /** Any well-formed text (colons included: the local key may contain ':'), short enough to fit the 512-character cap. */
    const key = fc
      .oneof(
        fc.string({ unit: "binary", minLength: 1, maxLength: 60 }),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
        fc.constantFrom(":", "::", "https://x.example/a:b?c=d#e", "urn:crosswire:fx:guid:0123456789abcdef", "0", "-1"),
        fc.integer().map(String),
      )
      .filter((k) => k.length > 0 && !LONE_SURROGATE.test(k));

    it("round-trips for any type, source id and key (keys of up to 60 code points, any unicode, with colons)", () => {
      run(fc.property(type, sourceId, key, (t, s, k) => {
        const id = toGlobalId(t, s, k);
        expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(parseGlobalId(id)).toEqual({ type: t, sourceId: s, key: k });
        expect(decodeIdArgument("id", id, t)).toEqual({ type: t, sourceId: s, key: k });
      }), 3000);
    });

    it("round-trips numeric keys given as numbers", () => {
      run(fc.property(type, sourceId, fc.integer({ min: 0 }), (t, s, n) => {
        expect(parseGlobalId(toGlobalId(t, s, n))).toEqual({ type: t, sourceId: s, key: String(n) });
      }));
    });

    // MISBEHAVIOUR: parseGlobalId caps IDs at 512 characters, but Article IDs carry the canonical URL as key and
    // canonicalUrl accepts URLs of up to 4096 characters: an article whose URL is longer than ~370 characters
    // gets an ID the API itself refuses (see the replay case "an article with a 600-character link").
    it("FIXED: round-trips Article IDs for every canonical URL the normalizer accepts (up to 4096 characters)", () => {
      const longUrl = fc.integer({ min: 300, max: 4000 }).map((n) => `https://news.example/${"a".repeat(n)}`);
      run(fc.property(longUrl, (url) => {
        const k = canonicalUrl(url)!;
        expect(parseGlobalId(toGlobalId("Article", "news", k))).toEqual({ type: "Article", sourceId: "news", key: k });
      }), 200);
    });

    it("parseGlobalId never throws on any string, and answers a sentence or a well-formed ID", () => {
      const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
      const input = fc.oneof(
        anyString,
        fc.base64String({ maxLength: 600 }),
        fc.string({ unit: "binary", maxLength: 100 }).map(b64),
        fc.tuple(fc.oneof(type, fc.string({ maxLength: 10 })), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b, c]) => b64(`${a}:${b}:${c}`)),
        fc.string({ unit: "binary-ascii", minLength: 500, maxLength: 700 }),
      );
      run(fc.property(input, (s) => {
        const parsed = parseGlobalId(s);
        if (typeof parsed === "string") {
          expect(parsed.length).toBeGreaterThan(0);
          expect(parsed.length).toBeLessThan(200);
          return;
        }
        expect(NODE_TYPES).toContain(parsed.type);
        expect(parsed.sourceId.length).toBeGreaterThan(0);
        expect(parsed.key.length).toBeGreaterThan(0);
      }), 4000);
    });

    it("decodeIdArgument throws nothing but BAD_USER_INPUT naming the argument, on any string", () => {
      run(fc.property(anyString, fc.option(type, { nil: undefined }), (s, expected) => {
        try {
          decodeIdArgument("id", s, expected);
        } catch (error) {
          expect(error).toBeInstanceOf(BadUserInputError);
          expect((error as BadUserInputError).extensions.code).toBe("BAD_USER_INPUT");
          expect((error as BadUserInputError).message).toMatch(/^Argument "id": /);
        }
      }), 3000);
    });
  });
}
