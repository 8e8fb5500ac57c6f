/**
 * Snippets leave the gateway as HTML whose only tag is `<mark>`. FTS5 cuts the snippet from the indexed plain
 * text and wraps matches in two private-use characters (U+E000, U+E001, removed from all indexed text); here
 * the text is HTML-escaped first and only then are the markers turned into tags, so text that reads
 * `<script>` arrives as `&lt;script&gt;`.
 */
import { escapeHtml } from "../html/index.js";

export const MARK_OPEN = "\uE000";
export const MARK_CLOSE = "\uE001";

const MARKS = /[\uE000\uE001]/g;

export function stripMarks(text: string): string {
  return text.replace(MARKS, "");
}

function escapeSnippet(text: string): string {
  return escapeHtml(text).replace(/'/g, "&#39;");
}

/** Escaped snippet text with `<mark>…</mark>` around the matched words; markers that do not pair are dropped. */
export function snippetHtml(raw: string): string {
  let out = "";
  let open = false;
  for (const part of escapeSnippet(raw).split(/([\uE000\uE001])/)) {
    if (part === MARK_OPEN) {
      if (!open) out += "<mark>";
      open = true;
    } else if (part === MARK_CLOSE) {
      if (open) out += "</mark>";
      open = false;
    } else {
      out += part;
    }
  }
  return open ? `${out}</mark>` : out;
}
