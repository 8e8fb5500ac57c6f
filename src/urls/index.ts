import { Parser } from "htmlparser2";
import LinkifyIt from "linkify-it";
import normalizeUrl from "normalize-url";
import { boundHtml } from "../html/index.js";

/**
 * Query parameters that only track a click and never change which story a URL names. Removing them is
 * what makes a story shared from a newsletter, a feed and a social post the same Article.
 */
export const TRACKING_PARAMETERS: ReadonlyArray<RegExp> = [
  /^utm_\w+$/i,
  ...["fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "ref_src", "ref_url", "cmpid", "ocid", "smid", "sr_share"].map((name) => new RegExp(`^${name}$`, "i")),
];

/**
 * `raw` when it is an absolute http(s) URL with a host, else null (issue 18, item 5). Every URL field a record
 * carries out of the gateway passes through this where the record is stored or built (src/articles/store.ts,
 * resolvers/mappers.ts): `javascript:` and `data:` links in a feed or a page are stored XSS for any frontend that
 * renders a link or an image. Whitespace and control characters inside are refused too (browsers strip them,
 * so `java\tscript:` would be read as `javascript:` after a lenient check).
 */
export function httpUrlOrNull(raw: string | null | undefined): string | null {
  if (typeof raw !== "string") return null;
  // A warm page asks about the same few hundred URLs on every request (URL.canParse and new URL were 3 % of its CPU).
  const known = verdicts.get(raw);
  if (known !== undefined) return known;
  const verdict = judgeHttpUrl(raw);
  if (raw.length <= MEMO_MAX_LENGTH) {
    if (verdicts.size >= MEMO_ENTRIES) verdicts.clear();
    verdicts.set(raw, verdict);
  }
  return verdict;
}

/** httpUrlOrNull's answers so far: a pure function of its input, bounded (entries, and the length of what is kept). */
const verdicts = new Map<string, string | null>();
const MEMO_ENTRIES = 10_000;
const MEMO_MAX_LENGTH = 1_024;

function judgeHttpUrl(raw: string): string | null {
  const text = raw.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (text.length === 0 || text.length > 4096 || /[\u0000-\u0020\u007f-\u009f]/.test(text)) return null;
  if (!/^https?:\/\//i.test(text) || !URL.canParse(text)) return null;
  const parsed = new URL(text);
  return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "" ? text : null;
}

/**
 * The canonical form of a URL, or null when it is not an absolute http(s) URL. Rules (README, "Canonical URLs"):
 * scheme and host lower-cased; default port dropped; user info and fragment dropped; tracking parameters
 * removed; remaining parameters sorted; a trailing slash removed (`/a/` → `/a`, and the bare root too);
 * `www.` and the scheme are kept (they can name different sites).
 */
export function canonicalUrl(raw: string): string | null {
  const text = raw.trim();
  if (text.length === 0 || text.length > 4096) return null;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  if (!parsed.hostname) return null;
  let normalized: string;
  try {
    normalized = normalizeUrl(parsed.href, {
      normalizeProtocol: false,
      forceHttps: false,
      stripAuthentication: true,
      stripHash: true,
      stripTextFragment: true,
      stripWWW: false,
      removeQueryParameters: [...TRACKING_PARAMETERS],
      removeTrailingSlash: true,
      removeSingleSlash: true,
      removeDirectoryIndex: false,
      // normalize-url's option drops every port (:8080 too); the URL parser already drops default ones.
      removeExplicitPort: false,
      // Sorting is done below: normalize-url's own sort decodes the query, which turns `%26utm_source%3D…` inside
      // a value into a real tracking parameter and makes the result change when normalized again.
      sortQueryParameters: false,
    });
  } catch {
    return null;
  }
  const url = new URL(normalized);
  if (url.search) {
    url.searchParams.sort();
    for (const key of [...url.searchParams.keys()]) if (TRACKING_PARAMETERS.some((p) => p.test(key))) url.searchParams.delete(key);
  }
  return url.href.replace(/\/$/, "").replace(/\/\?/, "?");
}

const linkify = new LinkifyIt();

/**
 * Citations kept per post: links past the 20th stay in the body but get no citation card. It bounds what a
 * thread page costs (src/server/limits.ts multiplies `Post.citations` by it) and what one post can make the
 * gateway unfurl. Measured: the 128 recorded Discourse posts in /work/shared/real-world cite at most 14
 * distinct links (mean 0.7); Discourse's own `max_oneboxes_per_post` is 50.
 */
export const MAX_CITATIONS_PER_POST = 20;

/**
 * Every http(s) link an HTML fragment cites, in order of appearance, deduplicated by canonical form:
 * `<a href>` targets and bare URLs written in the text (outside links); the first `max` (MAX_CITATIONS_PER_POST).
 */
export function extractLinks(html: string, max: number = MAX_CITATIONS_PER_POST): Array<{ url: string; canonicalUrl: string }> {
  const found: Array<{ url: string; canonicalUrl: string }> = [];
  const seen = new Set<string>();
  const add = (url: string) => {
    const canonical = canonicalUrl(url);
    if (canonical && !seen.has(canonical) && found.length < max) {
      seen.add(canonical);
      found.push({ url: url.trim(), canonicalUrl: canonical });
    }
  };
  let anchorDepth = 0;
  // htmlparser2 hands text over in pieces (split at every entity, e.g. the `&amp;` of a query string), so
  // the text between two tags is collected and searched for bare URLs in one piece.
  let text = "";
  const flush = () => {
    for (const match of linkify.match(text) ?? []) {
      if (match.schema === "http:" || match.schema === "https:" || match.schema === "") add(match.url);
    }
    text = "";
  };
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        flush();
        if (name !== "a") return;
        anchorDepth += 1;
        if (attributes.href) add(attributes.href);
      },
      onclosetag(name) {
        flush();
        if (name === "a" && anchorDepth > 0) anchorDepth -= 1;
      },
      ontext(piece) {
        if (anchorDepth === 0) text += piece;
      },
    },
    { decodeEntities: true },
  );
  // Same bounds as the sanitizer (src/html/bound.ts): the parser slows down with the square of nesting depth.
  parser.write(boundHtml(html));
  parser.end();
  flush();
  return found;
}
