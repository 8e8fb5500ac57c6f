/**
 * Well-known breakage that feed readers read anyway, repaired in the text before rss-parser (xml2js/sax in
 * strict mode) sees it. Each repair is named, so the feed's health can say what was repaired. None of them makes
 * the parser expand anything: a DTD's entities (billion laughs, XXE) are still refused by sax, and `&name;`
 * references are left exactly as they are.
 */
export interface Repaired {
  text: string;
  repairs: string[];
}

// `&` that does not start a character or entity reference (`AT&T`, `Plants & Animals`, `?a=1&b=2`).
const BARE_AMPERSAND = /&(?!#\d{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z_][\w.-]{0,31};)/g;

// The root <rss> start tag, after the prolog (XML declaration, processing instructions, comments, doctype).
const ROOT_RSS = /^(\uFEFF?(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*\s*)<rss(?=[\s>])([^>]*)>/;

export function repairXml(source: string): Repaired {
  const repairs: string[] = [];
  let text = source;
  // 1. Atom type="xhtml" text constructs as escaped HTML (why: see xhtmlAsHtml).
  const xhtml = xhtmlAsHtml(text);
  if (xhtml !== text) text = xhtml;
  // 2. A bare `&` outside CDATA sections becomes `&amp;` (feedparser and browsers read it so).
  let bare = 0;
  text = outsideCdata(text, (part) => part.replace(BARE_AMPERSAND, () => (bare++, "&amp;")));
  if (bare) repairs.push(`${bare} bare "&" read as "&amp;"`);
  // 3. `<rss>` without a version attribute: rss-parser picks its reader by that attribute and refuses the feed.
  const root = ROOT_RSS.exec(text.slice(0, 65536));
  if (root && !/\bversion\s*=/.test(root[2]!)) {
    text = text.replace(ROOT_RSS, (_whole, prolog: string, attrs: string) => `${prolog}<rss version="2.0"${attrs}>`);
    repairs.push("<rss> without a version read as RSS 2.0");
  }
  return { text, repairs };
}

/**
 * The document with its unclosed elements closed at the end (a truncated or hand-cut feed: `</rss` missing or
 * cut short). Called only after the parser reported an unclosed root, so a well-formed feed never pays for it.
 */
export function closeUnclosed(source: string): string {
  const text = source.replace(/<[^<>]*$/, ""); // a tag cut short at the end
  const stack: string[] = [];
  const tags = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<[?!][^>]*>|<(\/?)([\w:.-]+)[^>]*?(\/?)>/g;
  for (const m of text.matchAll(tags)) {
    if (!m[2]) continue;
    if (m[1]) {
      const at = stack.lastIndexOf(m[2]);
      if (at >= 0) stack.length = at;
    } else if (!m[3]) stack.push(m[2]);
  }
  return text + stack.reverse().map((name) => `</${name}>`).join("");
}

function outsideCdata(text: string, fix: (part: string) => string): string {
  return text.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/).map((part, i) => (i % 2 ? part : fix(part))).join("");
}

/**
 * Atom `type="xhtml"` content, summary and title handed to rss-parser as `type="html"` escaped text. Why:
 * rss-parser reads XML through xml2js, which turns an element into an object keyed by child name, so text and
 * child elements land in separate fields and their order is lost ("The <a>interface</a> is…" came back as
 * "The is… interface"). The XHTML is copied character for character (namespace prefixes dropped, the wrapping
 * `<div>` removed as RFC 4287 §3.1.1.3 says), so nothing is reordered; it is well-formed XML, hence valid HTML.
 */
function xhtmlAsHtml(text: string): string {
  if (!/type\s*=\s*["']xhtml["']/.test(text)) return text;
  const element = /<((?:[\w-]+:)?(?:content|summary|title|subtitle|rights))(\s[^>]*?\btype\s*=\s*["']xhtml["'][^>]*)>([\s\S]*?)<\/\1>/g;
  return text.replace(element, (_whole, name: string, attrs: string, inner: string) => {
    let html = inner.trim().replace(/<(\/?)[\w-]+:/g, "<$1");
    const wrapper = /^<div\b[^>]*>([\s\S]*)<\/div>$/.exec(html);
    if (wrapper) html = wrapper[1]!;
    const cdata = `<![CDATA[${html.replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
    return `<${name}${attrs.replace(/\btype\s*=\s*["']xhtml["']/, 'type="html"')}>${cdata}</${name}>`;
  });
}
