import { htmlToText, sanitizeHtml } from "../html/index.js";

/**
 * Text that goes into feeds. Every string passes through `xmlSafe` (all three formats, so a JSON Feed carries the
 * same text as the XML ones); HTML passes through the one sanitizer first.
 */

// Characters XML 1.0 cannot carry at all, not even as character references (XML 1.0 §2.2): C0 controls other
// than tab/LF/CR, U+FFFE/U+FFFF, and unpaired surrogates (not characters at all, and invalid UTF-8 once encoded).
// eslint-disable-next-line no-control-regex -- stripping control characters is the point here
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const MAX_TITLE_LENGTH = 200;
export const MAX_SUMMARY_LENGTH = 300;

export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, "");
}

/** Cuts at `max` code points (never inside a surrogate pair), ending with an ellipsis when cut. */
export function cap(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/**
 * A title or name as plain text: markup removed (a title is text; `<script>` in a thread title is not a tag a
 * feed reader should ever see), whitespace collapsed, illegal characters dropped, capped.
 */
export function plainText(raw: string, max = MAX_TITLE_LENGTH): string {
  const text = /[<&]/.test(raw) ? htmlToText(sanitizeHtml(raw)) : raw;
  return textOf(text, max);
}

/**
 * An article title, which is plain text already (sources/rss reads every format's titles to plain text, decoded
 * once): `<` and `&` in it are characters ("Die Rückkehr von <i> und <b>" is a title) that each format escapes
 * in its own way when writing (render.ts). Running it through the HTML path again would drop them.
 */
export function articleTitle(raw: string, max = MAX_TITLE_LENGTH): string {
  return textOf(raw, max);
}

function textOf(text: string, max: number): string {
  // RSS titles are CDATA sections, and the `feed` library's XML writer (xml-js) splits only the first `]]>` of one;
  // a second would end the section early. A space keeps the text readable and the XML well-formed.
  return cap(xmlSafe(text).replace(/\s+/g, " ").replace(/]]>/g, "]] >").trim(), max);
}

/** A category: plain text without angle brackets, which the `feed` library would write raw into Atom attributes. */
export function categoryText(raw: string): string {
  return plainText(raw, 100).replace(/[<>]/g, "");
}

/** Sanitized HTML, safe for every format. */
export function safeHtml(raw: string): string {
  // The sanitizer escapes `>` in text and attributes, so `]]>` (which would end a CDATA section) cannot remain.
  return xmlSafe(sanitizeHtml(xmlSafe(raw)));
}

/**
 * Plain text of already sanitized HTML, whitespace collapsed. html-to-text is the slow step of a feed (about 2 ms a
 * call here, since `htmlToText` compiles its options on every call), so callers convert once and `cap` the result.
 */
export function plainOf(html: string): string {
  return html ? htmlToText(html).replace(/\s+/g, " ").trim() : "";
}

/** Plain-text excerpt of already sanitized HTML. */
export function excerpt(html: string, max = MAX_SUMMARY_LENGTH): string {
  return cap(plainOf(html), max);
}

export { escapeHtml, looksLikeHtml } from "../html/index.js";
