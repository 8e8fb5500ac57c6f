import MarkdownIt from "markdown-it";
import { htmlToText, sanitizeHtml } from "../../src/html/index.js";
import type { CitationRecord } from "../../src/model/forum.js";
import { extractLinks } from "../../src/urls/index.js";

/**
 * A post body as it is stored: the Markdown the user wrote, the HTML made from it once (markdown-it with raw HTML
 * off, so `<script>` in a body is text; then the gateway's one sanitizer, src/html), its plain text, and the links
 * it cites. Reads never parse Markdown or HTML again.
 */
export interface RenderedBody {
  markdown: string;
  html: string;
  text: string;
  citations: CitationRecord[];
}

// html: false renders raw HTML as escaped text; linkify turns bare URLs into links (people paste them bare).
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

export type BodyProblem = { code: "EMPTY_BODY" | "BODY_TOO_LONG" | "TOO_MANY_LINKS"; message: string };

export interface BodyLimits {
  maxBodyChars: number;
  maxLinks: number;
}

/**
 * Renders a body, or says why it is refused. The length is checked before markdown-it reads a character (1 MB of
 * nested lists is the input that costs), the link count after (only rendering knows what is a link).
 */
export function renderBody(source: string, limits: BodyLimits): RenderedBody | BodyProblem {
  if (source.length > limits.maxBodyChars) {
    return { code: "BODY_TOO_LONG", message: `The body is ${source.length} characters; at most ${limits.maxBodyChars} are allowed.` };
  }
  if (source.trim().length === 0) return { code: "EMPTY_BODY", message: "The body is empty." };
  const html = sanitizeHtml(markdown.render(source));
  const text = htmlToText(html);
  if (text.length === 0 && !/<img\b/.test(html)) return { code: "EMPTY_BODY", message: "The body has no visible text." };
  // Counted past the cap, so that a body over it is refused rather than silently losing citation cards.
  const citations = extractLinks(html, limits.maxLinks + 1);
  if (citations.length > limits.maxLinks) {
    return { code: "TOO_MANY_LINKS", message: `The body links ${citations.length} distinct URLs; at most ${limits.maxLinks} are allowed.` };
  }
  return { markdown: source, html, text, citations };
}
