import { Parser } from "htmlparser2";

/** Caps on what one page can make the extractor hold or return. */
export const EXTRACT_LIMITS = {
  /** Characters of HTML looked at; the fetcher's byte cap is the real bound, this keeps the extractor safe alone. */
  html: 1_000_000,
  title: 1000,
  summary: 5000,
  /** The first-paragraph summary fallback: a preview, not the article. */
  paragraph: 500,
  name: 300,
  /** A byline read from page text (microdata, rel=author, class=byline) longer than this is a paragraph, not a name. */
  bylineText: 100,
  type: 100,
  language: 35,
  url: 4096,
  jsonLdBlocks: 32,
  jsonLdNodes: 500,
  /** Parse.ly's `parsely-page` JSON is a few hundred bytes; a bigger one is not parsed. */
  parselyJson: 10_000,
} as const;

/** Text for display: control characters and runs of whitespace become one space, lone surrogates U+FFFD, capped. */
export function plainText(raw: unknown, max: number): string | null {
  if (typeof raw !== "string") return null;
  const text = raw
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point here
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return null;
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/**
 * Text from a tag that some CMS escaped twice (`content="&amp;quot;Blue House&amp;quot;"` reads as
 * `&quot;Blue House&quot;` after the one decoding HTML does): the leftover entities are decoded once more, as
 * mozilla/readability does with metadata. Seen on the Telegraph's description and MSN's (`&nbsp;`).
 */
export function displayText(raw: unknown, max: number): string | null {
  const text = plainText(raw, Infinity);
  if (text === null) return null;
  return plainText(/&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/i.test(text) ? decodeEntities(text) : text, max);
}

/**
 * Decodes HTML character references once; a `<` stays a literal `<` (escaped before the parser sees it), so the
 * result is text, not markup. JSON-LD strings are JSON, yet publishers routinely HTML-escape them too.
 */
export function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  let decoded = "";
  const parser = new Parser({ ontext: (part) => void (decoded += part) }, { decodeEntities: true });
  parser.end(value.replace(/</g, "&lt;"));
  return decoded;
}

/**
 * A person's name as a byline gives it: "By Ana Sandoiu" (NYT's `byl`, Quanta, the Washington Post) and
 * "Par Sébastien Farcis" are the name after the lead-in; a URL (article:author is often a profile link) is no name.
 */
export function bylineName(raw: unknown, max: number = EXTRACT_LIMITS.name): string | null {
  const text = plainText(raw, Infinity)?.replace(/^(?:by|BY|By|par|Par|PAR|von|por|Por)[:\s]\s*/, "") ?? null;
  if (text === null || text.length > max || /^(https?:)?\/\//i.test(text)) return null;
  return /\p{L}/u.test(text) ? text : null;
}

const TITLE_SEPARATORS = ["|", "-", "–", "—", "·", "•"];

/**
 * "Story | Site" → "Story", only when "Site" is a site name the page declares elsewhere (`siteNames`: og:site_name,
 * the JSON-LD publisher, application-name — Aktuálně.cz's og:site_name carries a slogan, its publisher does not).
 */
export function stripSiteSuffix(title: string | null, siteNames: Array<string | null>): string | null {
  if (title === null) return title;
  for (const siteName of siteNames) {
    if (siteName === null) continue;
    for (const separator of TITLE_SEPARATORS) {
      const suffix = ` ${separator} ${siteName}`;
      if (title.length > suffix.length && title.slice(-suffix.length).toLowerCase() === suffix.toLowerCase()) {
        return title.slice(0, -suffix.length).trim();
      }
    }
  }
  return title;
}

export function baseUrl(baseHref: string | null, pageUrl: string): URL | null {
  const page = httpUrl(pageUrl, null);
  // <base href> changes what relative links mean (HTML, "document base URL"), but only to another http(s) URL.
  return (baseHref !== null ? httpUrl(baseHref, page) : null) ?? page;
}

function httpUrl(raw: string, base: URL | null): URL | null {
  const text = raw.trim();
  if (text === "" || text.length > EXTRACT_LIMITS.url) return null;
  try {
    const url = base ? new URL(text, base) : new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

export function absoluteUrl(raw: unknown, base: URL | null): string | null {
  if (typeof raw !== "string") return null;
  const href = httpUrl(raw, base)?.href ?? null;
  return href !== null && href.length <= EXTRACT_LIMITS.url ? href : null;
}

export function languageTag(raw: unknown): string | null {
  const text = plainText(raw, EXTRACT_LIMITS.language)?.replace(/_/g, "-") ?? null;
  return text !== null && /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i.test(text) ? text : null;
}
