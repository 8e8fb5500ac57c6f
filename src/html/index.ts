import { compile } from "html-to-text";
import sanitize from "sanitize-html";
import { boundHtml } from "./bound.js";

export { boundHtml, MAX_HTML_CHARS, MAX_HTML_DEPTH } from "./bound.js";

/**
 * The one HTML policy for everything that leaves the gateway (GraphQL fields, and later feed output).
 * An allowlist: text structure, links and images only; no scripts, no event handlers, no style attributes
 * (inline styles can hide text or overlay the page), and only http(s)/mailto URLs.
 */
const POLICY: sanitize.IOptions = {
  allowedTags: [
    "p", "br", "blockquote", "q", "cite", "em", "strong", "b", "i", "u", "s", "sub", "sup", "small",
    "a", "ul", "ol", "li", "code", "pre", "h2", "h3", "h4", "h5", "h6", "hr", "img", "figure", "figcaption",
  ],
  allowedAttributes: {
    a: ["href", "title"],
    img: ["src", "alt", "title", "width", "height"],
    blockquote: ["cite"],
    q: ["cite"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["http", "https"] },
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // Links in user content are the user's, not ours: no referrer, no SEO credit, no window.opener access.
  transformTags: {
    a: sanitize.simpleTransform("a", { rel: "nofollow ugc noopener noreferrer" }),
  },
};
POLICY.allowedAttributes = { ...(POLICY.allowedAttributes as Record<string, string[]>), a: ["href", "title", "rel"] };

/**
 * HTML is bounded before it is read (./bound.ts: size and nesting depth): htmlparser2 (under sanitize-html) slows
 * down with the square of nesting depth (1 MB of unclosed `<div>`s took 22 s), and html-to-text recurses per level.
 */
export function sanitizeHtml(html: string): string {
  return sanitize(boundHtml(html), POLICY);
}

// html-to-text rebuilds its options on every convert(); compiled once, a call is about 10x cheaper.
const toText = compile({
  wordwrap: false,
  selectors: [
    { selector: "a", options: { ignoreHref: true } },
    { selector: "img", format: "skip" },
    { selector: "blockquote", options: { trimEmptyLines: true } },
  ],
});

/**
 * Whether readers take an RSS title for HTML: an end tag or a character/entity reference in it (feedparser's
 * test): sources/rss reads such an RSS title as HTML, and src/syndication writes one HTML-escaped.
 */
export function looksLikeHtml(text: string): boolean {
  return /<\/[A-Za-z][\w-]*\s*>|&#?\w+;/.test(text);
}

/** Text made safe to put into HTML, in element content or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Plain text of an HTML fragment (for search, snippets, and clients that render no HTML). */
export function htmlToText(html: string): string {
  return toText(boundHtml(html)).trim();
}

/** What is stored for a piece of untrusted HTML at write time: the sanitized HTML and its plain text, derived once. */
export interface RenderedHtml {
  html: string;
  text: string;
}

export function renderHtml(raw: string): RenderedHtml {
  const lent = lentRenders.get(raw);
  if (lent) return lent.rendered;
  const html = sanitizeHtml(raw);
  return { html, text: toText(html).trim() };
}

/**
 * Renders computed by another thread (the parse workers render news summaries, sources/rss/parse-worker.ts) for
 * HTML this thread is about to render, by the raw HTML: renderHtml is a pure function, so its result for the same
 * string is the same wherever it ran. Held only while `use` runs (one feed's store step), so nothing accumulates.
 */
const lentRenders = new Map<string, { rendered: RenderedHtml; holders: number }>();

export async function lendRenders<T>(renders: ReadonlyArray<readonly [string, RenderedHtml]>, use: () => Promise<T>): Promise<T> {
  for (const [raw, rendered] of renders) {
    const held = lentRenders.get(raw);
    if (held) held.holders += 1;
    else lentRenders.set(raw, { rendered, holders: 1 });
  }
  try {
    return await use();
  } finally {
    for (const [raw] of renders) {
      const held = lentRenders.get(raw)!;
      if (--held.holders === 0) lentRenders.delete(raw);
    }
  }
}
