import { Tokenizer } from "htmlparser2";
import { EXTRACT_LIMITS, plainText } from "./values.js";

/**
 * One pass of htmlparser2's Tokenizer over the HTML. It never throws on broken markup, decodes entities in
 * attributes and text, and hands <script> bodies over raw, which is what JSON.parse needs.
 * Its Parser is not used here: the Parser keeps open elements in an array it `unshift`s on every start tag, so a
 * page of 200,000 unclosed <div>s (1 MB) took 22 s in it; the Tokenizer keeps no stack and is linear. The few
 * texts read from the body (bylines, the first paragraph) are captured by counting open/close tags of the one
 * element's name, at most four captures at once, each capped in length.
 */
export interface ScannedPage {
  /**
   * Lower-cased meta key → first non-empty content. Keys: the `property` and `name` tokens as written
   * ("og:title", "dc.creator"), `itemprop:<name>` for microdata (`<meta itemprop>`, and the content/datetime of
   * any element with an itemprop, e.g. `<time itemprop=datePublished datetime>`), `http-equiv:<name>`.
   */
  meta: Map<string, string>;
  title: string | null;
  canonical: string | null;
  baseHref: string | null;
  lang: string | null;
  jsonLd: string[];
  /** The text of the first microdata author: its nested `itemprop=name`, else the whole element's text. */
  microdataAuthor: string | null;
  /** The text of the first `<a rel=author>`. */
  relAuthor: string | null;
  /** The text of the first element whose class contains "byline" and reads like one (short, has letters). */
  bylineText: string | null;
  /** The first paragraph of at least PARAGRAPH_MIN characters, inside `<article>` if the page has one. */
  paragraph: string | null;
}

/** A paragraph shorter than this is a caption, a dateline or "Advertisement", not the story's opening. */
const PARAGRAPH_MIN = 80;
/** Elements whose text is never read as a byline or paragraph. */
const NO_TEXT = new Set(["script", "style", "noscript", "template", "svg", "math"]);
const BLOCKS = new Set([
  "p", "div", "section", "article", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
  "table", "blockquote", "figure", "form", "pre", "hr",
]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

interface Capture {
  kind: "author" | "name" | "rel" | "byline" | "p";
  tag: string;
  depth: number;
  text: string;
  max: number;
  done: (text: string) => void;
}

export function scanHtml(html: string): ScannedPage {
  const page: ScannedPage = {
    meta: new Map(), title: null, canonical: null, baseHref: null, lang: null, jsonLd: [],
    microdataAuthor: null, relAuthor: null, bylineText: null, paragraph: null,
  };
  const slice = (start: number, end: number) => html.slice(start, end);
  let tag = "";
  let attrs = new Map<string, string>();
  let attrName = "";
  let attrValue = "";
  // An <svg>'s <title> is an icon's tooltip; the page's title is the first one outside SVG/MathML.
  let foreignDepth = 0;
  let raw: { tag: "title" | "script"; parts: string[] } | null = null;
  let noText = 0;
  let articleDepth = 0;
  let paragraphOutside: string | null = null;
  let authorScope: Capture | null = null;
  let authorName = false;
  let bylinesTried = 0;
  const captures: Capture[] = [];
  // One capture of each kind at a time: 200,000 unclosed <p>s must not become 200,000 captures.
  const capturing = (kind: Capture["kind"]) => captures.some((c) => c.kind === kind);
  const capture = (kind: Capture["kind"], max: number, done: (text: string) => void): Capture => {
    const c: Capture = { kind, tag, depth: 1, text: "", max, done };
    captures.push(c);
    return c;
  };
  const finish = (c: Capture) => {
    captures.splice(captures.indexOf(c), 1);
    c.done(c.text);
  };
  const endRaw = () => {
    if (raw?.tag === "title") page.title = raw.parts.join("");
    if (raw?.tag === "script") page.jsonLd.push(raw.parts.join(""));
    raw = null;
  };
  const text = (value: string) => {
    if (raw) raw.parts.push(value);
    else if (noText === 0) for (const c of captures) if (c.text.length < c.max) c.text += value;
  };
  const readBody = (attr: (name: string) => string | undefined, selfClosing: boolean) => {
    const itemprops = tokens(attr("itemprop"));
    const value = attr("content") ?? attr("datetime");
    if (tag !== "meta" && value?.trim()) for (const p of itemprops) setFirst(page.meta, `itemprop:${p}`, value);
    if (authorScope !== null && !authorName && tag === "meta" && itemprops.includes("name") && value?.trim()) {
      authorName = true;
      page.microdataAuthor ??= value;
    }
    if (selfClosing || VOID.has(tag) || noText > 0) return;
    if (page.microdataAuthor === null && authorScope === null && itemprops.includes("author")) {
      authorScope = capture("author", EXTRACT_LIMITS.bylineText * 4, (t) => {
        if (page.microdataAuthor === null) page.microdataAuthor = t;
        authorScope = null;
      });
    } else if (authorScope !== null && !authorName && itemprops.includes("name")) {
      authorName = true;
      capture("name", EXTRACT_LIMITS.bylineText * 4, (t) => void (page.microdataAuthor ??= plainText(t, Infinity)));
    }
    if (tag === "a" && page.relAuthor === null && !capturing("rel") && tokens(attr("rel")).includes("author")) {
      capture("rel", EXTRACT_LIMITS.bylineText * 4, (t) => void (page.relAuthor ??= plainText(t, Infinity)));
    }
    if (page.bylineText === null && bylinesTried < 10 && !capturing("byline") && /byline/i.test(attr("class") ?? "")) {
      bylinesTried += 1;
      capture("byline", EXTRACT_LIMITS.bylineText * 4, (t) => {
        const line = plainText(t, Infinity);
        if (line && line.length <= EXTRACT_LIMITS.bylineText && /\p{L}{2}/u.test(line)) page.bylineText ??= line;
      });
    }
    if (tag === "p" && page.paragraph === null && (articleDepth > 0 || paragraphOutside === null)) {
      const inArticle = articleDepth > 0;
      capture("p", EXTRACT_LIMITS.paragraph * 4, (t) => {
        const para = t.length < PARAGRAPH_MIN ? null : plainText(t, Infinity);
        if (para === null || para.length < PARAGRAPH_MIN) return;
        if (inArticle) page.paragraph ??= para;
        else paragraphOutside ??= para;
      });
    }
  };
  const openTag = (selfClosing: boolean) => {
    const attr = (name: string) => attrs.get(name);
    // A <p> ends where the next block starts, closing tag or not (HTML's "p end tag omitted").
    const paragraph = captures.find((c) => c.kind === "p");
    if (paragraph && BLOCKS.has(tag)) finish(paragraph);
    for (const c of captures) if (c.tag === tag && !selfClosing && !VOID.has(tag)) c.depth += 1;
    switch (tag) {
      case "svg":
      case "math":
        if (!selfClosing) foreignDepth += 1;
        break;
      case "html":
        if (page.lang === null && attr("lang")?.trim()) page.lang = attr("lang") ?? null;
        break;
      case "title":
        if (!selfClosing && foreignDepth === 0 && page.title === null) raw = { tag: "title", parts: [] };
        break;
      case "meta":
        readMeta(page.meta, attr);
        break;
      case "link":
        if (page.canonical === null && attr("href")?.trim() && tokens(attr("rel")).includes("canonical")) {
          page.canonical = attr("href") ?? null;
        }
        break;
      case "base":
        if (page.baseHref === null && attr("href")?.trim()) page.baseHref = attr("href") ?? null;
        break;
      case "script":
        if (!selfClosing && page.jsonLd.length < EXTRACT_LIMITS.jsonLdBlocks && isJsonLdType(attr("type"))) {
          raw = { tag: "script", parts: [] };
        }
        break;
      case "article":
        if (!selfClosing) articleDepth += 1;
        break;
    }
    if (attrs.size > 0 || tag === "p") readBody(attr, selfClosing);
    if (NO_TEXT.has(tag) && !selfClosing) noText += 1;
  };
  const closeTag = (name: string) => {
    if ((name === "svg" || name === "math") && foreignDepth > 0) foreignDepth -= 1;
    if (NO_TEXT.has(name) && noText > 0) noText -= 1;
    if (name === "article" && articleDepth > 0) articleDepth -= 1;
    if (raw?.tag === name) endRaw();
    for (const c of [...captures].reverse()) if (c.tag === name && --c.depth === 0) finish(c);
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, {
    onopentagname(start, end) {
      tag = slice(start, end).toLowerCase();
      attrs = new Map();
    },
    onattribname(start, end) {
      attrName = slice(start, end).toLowerCase();
      attrValue = "";
    },
    onattribdata(start, end) {
      attrValue += slice(start, end);
    },
    onattribentity(codePoint) {
      attrValue += String.fromCodePoint(codePoint);
    },
    onattribend() {
      if (!attrs.has(attrName)) attrs.set(attrName, attrValue); // the first of duplicate attributes wins, as in HTML
    },
    onopentagend: () => openTag(false),
    onselfclosingtag: () => openTag(true),
    onclosetag: (start, end) => closeTag(slice(start, end).toLowerCase()),
    ontext: (start, end) => text(slice(start, end)),
    ontextentity: (codePoint) => text(String.fromCodePoint(codePoint)),
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onprocessinginstruction() {},
    onend() {},
  });
  tokenizer.write(html);
  tokenizer.end();
  endRaw(); // a <title> never closed runs to the end of the input, as it does in browsers
  // An element never closed (broken markup, a truncated page) still counts with the text it had.
  for (const c of [...captures].reverse()) finish(c);
  page.paragraph ??= paragraphOutside;
  return page;
}

function readMeta(meta: Map<string, string>, attr: (name: string) => string | undefined) {
  const content = attr("content") ?? attr("value");
  if (content === undefined || content.trim() === "") return;
  // RDFa allows several properties in one attribute ("og:title twitter:title"); some sites put OG in name=.
  const keys = `${attr("property") ?? ""} ${attr("name") ?? ""}`.toLowerCase().split(/\s+/);
  for (const p of tokens(attr("itemprop"))) keys.push(`itemprop:${p}`);
  const httpEquiv = attr("http-equiv")?.trim().toLowerCase();
  if (httpEquiv) keys.push(`http-equiv:${httpEquiv}`);
  for (const key of keys) if (key) setFirst(meta, key, content);
}

function setFirst(meta: Map<string, string>, key: string, value: string) {
  if (!meta.has(key)) meta.set(key, value);
}

function tokens(value: string | undefined): string[] {
  return (value ?? "").toLowerCase().split(/\s+/).filter(Boolean);
}

function isJsonLdType(type: string | undefined): boolean {
  return (type ?? "").split(";")[0]?.trim().toLowerCase() === "application/ld+json";
}
