import { Parser } from "htmlparser2";

/**
 * OPML 1.0/2.0 subscription lists (http://opml.org/spec2.opml): reading the exports of feed readers, turning
 * them into crosswire source configs, and writing crosswire's own sources back out.
 */

export interface OpmlSubscription {
  title: string;
  xmlUrl: string;
  htmlUrl: string | null;
  type: string | null;
  /** Titles of the enclosing folder outlines, outermost first, joined with " / "; null at the top level. */
  category: string | null;
}

export class OpmlError extends Error {
  override name = "OpmlError";
}

export interface OpmlSourceConfig {
  id: string;
  name: string;
  url: string;
  homepage?: string;
  pollIntervalSeconds: number;
  enabled: boolean;
}

export interface SkippedSubscription {
  title: string;
  url: string;
  reason: string;
}

/** Reasons `subscriptionsToSources` gives for skipping a subscription (besides in-file duplicates, which name the first copy). */
export const SKIP_REASON = {
  NO_URL: "the outline has no feed URL (empty xmlUrl)",
  NOT_HTTP: "not an absolute http(s) URL",
  CREDENTIALS: "URLs with credentials (user:password@) are refused",
  ALREADY_SUBSCRIBED: "duplicate: a source with this URL already exists",
} as const;

const MAX_ID_LENGTH = 64;
// The source config schema caps names at 200 characters.
const MAX_NAME_LENGTH = 200;

// ---------------------------------------------------------------------------------------------------------
// Parsing

type Frame =
  | { kind: "root" | "head" | "body" | "feed" | "transparent" | "ignored" }
  | { kind: "folder"; title: string | null };

/**
 * Folder levels a subscription's category names (the outermost ones). Every feed outline used to join the titles of
 * every folder above it: 10,000 feeds under 10,000 folders made 10,000 categories of 10,000 titles each, quadratic
 * in time and memory (issue 18, item 1). Real exports nest 2-4 levels; deeper documents are still read.
 */
export const MAX_CATEGORY_LEVELS = 8;

/**
 * Reads an OPML document. Throws OpmlError with a sentence when the text is not a usable OPML document.
 * An empty `<body>` is valid and gives [].
 */
export function parseOpml(text: string): OpmlSubscription[] {
  const subscriptions: OpmlSubscription[] = [];
  const stack: Frame[] = [];
  let rootName: string | null = null;
  let rootClosed = false;
  let sawBody = false;

  const parser = new Parser(
    {
      onprocessinginstruction(name, data) {
        // htmlparser2 does not process DTDs, so declared entities would stay unexpanded "&name;" text in titles
        // and URLs. A subscription list never needs them (billion laughs, XXE): refuse the document instead.
        // Declarations arrive as "!DOCTYPE …" (holding the first <!ENTITY of an internal subset) and "!ENTITY …".
        if (name.startsWith("!") && data.toUpperCase().includes("!ENTITY")) {
          throw new OpmlError(
            "OPML must not declare DTD entities (<!ENTITY …>); crosswire does not expand them. Remove the DOCTYPE and try again",
          );
        }
      },
      onopentag(name, attributes) {
        const lower = name.toLowerCase();
        const parent = stack[stack.length - 1];
        if (parent === undefined) {
          if (rootClosed) {
            throw new OpmlError(`OPML is not well-formed: element <${name}> follows the end of the root element <${rootName}>`);
          }
          if (lower !== "opml") throw new OpmlError(`not an OPML document: the root element is <${name}>`);
          rootName = name;
          stack.push({ kind: "root" });
          return;
        }
        if (parent.kind === "root") {
          if (lower === "body") {
            sawBody = true;
            stack.push({ kind: "body" });
          } else {
            stack.push({ kind: lower === "head" ? "head" : "ignored" });
          }
          return;
        }
        const inOutlineTree =
          parent.kind === "body" || parent.kind === "folder" || parent.kind === "feed" || parent.kind === "transparent";
        if (!inOutlineTree || lower !== "outline") {
          stack.push({ kind: "ignored" });
          return;
        }
        stack.push(readOutline(attributes, stack, subscriptions));
      },
      onclosetag() {
        stack.pop();
        if (stack.length === 0) rootClosed = true;
      },
    },
    { xmlMode: true, decodeEntities: true },
  );

  parser.write(text);
  // Everything up to the end of the text has been tokenized by now; the root only closes later if end() has to
  // close it implicitly, i.e. if the document is cut off.
  const truncated = rootName !== null && !rootClosed;
  parser.end();

  if (rootName === null) throw new OpmlError("not an OPML document: it has no root element");
  if (truncated) throw new OpmlError(`OPML is truncated: the root element <${rootName}> is never closed`);
  if (!sawBody) throw new OpmlError("OPML has no <body>");
  return subscriptions;
}

function readOutline(attributes: Record<string, string>, stack: Frame[], out: OpmlSubscription[]): Frame {
  const xmlUrl = attribute(attributes, "xmlUrl");
  const title = nonBlank(attribute(attributes, "title")) ?? nonBlank(attribute(attributes, "text"));
  const type = nonBlank(attribute(attributes, "type"));

  if (xmlUrl !== null) {
    const url = xmlUrl.trim();
    out.push({
      title: title ?? url,
      xmlUrl: url,
      htmlUrl: nonBlank(attribute(attributes, "htmlUrl")),
      type,
      category: categoryOf(stack),
    });
    return { kind: "feed" };
  }
  const lowerType = type?.toLowerCase();
  // Links and includes point at other documents; they are neither feeds nor folders.
  if (lowerType === "link" || lowerType === "include") return { kind: "transparent" };
  return { kind: "folder", title };
}

function categoryOf(stack: Frame[]): string | null {
  const titles: string[] = [];
  // The outermost frames only (untitled folders count towards the scan too, so each outline costs the same at any depth).
  for (const frame of stack.slice(0, MAX_CATEGORY_LEVELS * 4)) {
    if (titles.length >= MAX_CATEGORY_LEVELS) break;
    if (frame.kind === "folder" && frame.title !== null) titles.push(frame.title);
  }
  return titles.length > 0 ? titles.join(" / ") : null;
}

/** The spec's attribute names are case-sensitive, but real exports write `xmlurl`, `XMLURL`, …: exact name first. */
function attribute(attributes: Record<string, string>, name: string): string | null {
  const exact = attributes[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(attributes)) {
    if (key.toLowerCase() === lower) return value;
  }
  return null;
}

function nonBlank(value: string | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

// ---------------------------------------------------------------------------------------------------------
// Subscriptions → source configs

/**
 * Turns subscriptions into crosswire source configs. Subscriptions whose xmlUrl is not an absolute http(s) URL,
 * or whose trimmed URL is in `existing.urls` or earlier in `subs`, are skipped and reported. Ids are slugs of
 * the title (host of the URL when the title has no usable letters), unique against `existing.ids` (compared
 * case-insensitively) and each other by suffixing -2, -3, …
 */
export function subscriptionsToSources(
  subs: OpmlSubscription[],
  existing: { ids: string[]; urls: string[] },
  pollIntervalSeconds: number,
): { sources: OpmlSourceConfig[]; skipped: SkippedSubscription[] } {
  if (!Number.isInteger(pollIntervalSeconds) || pollIntervalSeconds <= 0) {
    throw new RangeError(`pollIntervalSeconds must be a positive integer, got ${pollIntervalSeconds}`);
  }
  const takenIds = new Set(existing.ids.map((id) => id.toLowerCase()));
  const existingUrls = new Set(existing.urls.map((url) => url.trim()));
  const firstTitleByUrl = new Map<string, string>();
  const sources: OpmlSourceConfig[] = [];
  const skipped: SkippedSubscription[] = [];

  for (const sub of subs) {
    const url = sub.xmlUrl.trim();
    const title = sub.title.trim();
    const skip = (reason: string) => skipped.push({ title, url, reason });

    if (url === "") {
      skip(SKIP_REASON.NO_URL);
      continue;
    }
    const parsed = httpUrl(url);
    if (parsed === null) {
      skip(SKIP_REASON.NOT_HTTP);
      continue;
    }
    if (parsed.username !== "" || parsed.password !== "") {
      skip(SKIP_REASON.CREDENTIALS);
      continue;
    }
    if (existingUrls.has(url)) {
      skip(SKIP_REASON.ALREADY_SUBSCRIBED);
      continue;
    }
    const first = firstTitleByUrl.get(url);
    if (first !== undefined) {
      skip(`duplicate: the same URL appears earlier in this OPML (as "${first}")`);
      continue;
    }
    firstTitleByUrl.set(url, title);

    const id = uniqueId(slugify(title) || slugify(parsed.hostname.replace(/^www\./, "")) || "feed", takenIds);
    takenIds.add(id);
    const source: OpmlSourceConfig = {
      id,
      name: truncate(title || url, MAX_NAME_LENGTH),
      url,
      pollIntervalSeconds,
      enabled: true,
    };
    const homepage = sub.htmlUrl?.trim();
    if (homepage && httpUrl(homepage) !== null) source.homepage = homepage;
    sources.push(source);
  }
  return { sources, skipped };
}

/** Same rule as the source config schema: http(s)://, no whitespace anywhere, parseable. */
function httpUrl(value: string): URL | null {
  const lower = value.slice(0, 8).toLowerCase();
  if (!lower.startsWith("http://") && !lower.startsWith("https://")) return null;
  if (/\s/.test(value)) return null;
  try {
    const url = new URL(value);
    return url.hostname === "" ? null : url;
  } catch {
    return null;
  }
}

// Letters NFKD does not decompose into ASCII.
const TRANSLITERATIONS: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ł: "l", þ: "th", ð: "d", ı: "i" };

function slugify(text: string): string {
  const ascii = text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[ßæœøđłþðı]/g, (ch) => TRANSLITERATIONS[ch] ?? "");
  const slug = ascii.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug.slice(0, MAX_ID_LENGTH).replace(/-+$/, "");
}

function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = base.slice(0, MAX_ID_LENGTH - suffix.length).replace(/-+$/, "") + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text); // code points, so a surrogate pair is never cut in half
  return chars.length <= max ? text : chars.slice(0, max).join("");
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

/**
 * Renders an OPML 2.0 document listing `sources` as `type="rss"` outlines: those without categories at the top
 * level, each categorised one inside a folder outline per category (a source in two categories is listed in
 * both, as feed readers export it), so importing the file gives the categories back.
 */
export function renderOpml(
  title: string,
  sources: Array<{ name: string; url: string; homepage?: string | null; categories?: readonly string[] }>,
  now: Date = new Date(),
): string {
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<opml version="2.0">`,
    `  <head>`,
    `    <title>${escapeText(title)}</title>`,
    `    <dateCreated>${now.toUTCString()}</dateCreated>`,
    `  </head>`,
    `  <body>`,
  ];
  const folders = new Map<string, typeof sources>();
  for (const source of sources) {
    if (!source.categories?.length) lines.push(feedOutline(source, "    "));
    for (const category of new Set(source.categories ?? [])) folders.set(category, [...(folders.get(category) ?? []), source]);
  }
  for (const [category, members] of folders) {
    lines.push(`    <outline text="${escapeAttribute(category)}" title="${escapeAttribute(category)}">`);
    for (const source of members) lines.push(feedOutline(source, "      "));
    lines.push(`    </outline>`);
  }
  lines.push(`  </body>`, `</opml>`, ``);
  return lines.join("\n");
}

function feedOutline(source: { name: string; url: string; homepage?: string | null }, indent: string): string {
  const name = source.name.trim() === "" ? source.url : source.name;
  let outline = `${indent}<outline type="rss" text="${escapeAttribute(name)}" title="${escapeAttribute(name)}" xmlUrl="${escapeAttribute(source.url)}"`;
  if (source.homepage) outline += ` htmlUrl="${escapeAttribute(source.homepage)}"`;
  return `${outline}/>`;
}

// Characters XML 1.0 cannot carry at all, not even as character references: C0 controls other than tab/LF/CR,
// U+FFFE/U+FFFF and unpaired surrogates. Dropping them is the only way to keep the output well-formed.
// eslint-disable-next-line no-control-regex -- stripping control characters is the point here
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escapeText(value: string): string {
  return value.replace(NOT_XML_CHAR, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(value: string): string {
  // Tab, LF and CR as references: literal ones would be normalized to spaces by conforming XML parsers.
  return escapeText(value)
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}
