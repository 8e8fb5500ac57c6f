import { Tokenizer } from "htmlparser2";
import { BodyReader, type BodyTexts, tokens } from "./body.js";
import { EXTRACT_LIMITS } from "./values.js";

/**
 * One pass of htmlparser2's Tokenizer over the HTML. It never throws on broken markup, decodes entities in
 * attributes and text, and hands <script> bodies over raw, which is what JSON.parse needs.
 * Its Parser is not used here: the Parser keeps open elements in an array it `unshift`s on every start tag, so a
 * page of 200,000 unclosed <div>s (1 MB) took 22 s in it; the Tokenizer keeps no stack and is linear. The few
 * texts read from the body (bylines, the first paragraph) are body.ts's.
 */
export interface ScannedPage extends BodyTexts {
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
}

// Long on purpose (~98 lines): one htmlparser2 Tokenizer pass whose handlers (meta, link, title, JSON-LD scripts,
// microdata captures) share the scan state; splitting the handlers would pass that state around for no gain in reading.
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
  const body = new BodyReader();
  const endRaw = () => {
    if (raw?.tag === "title") page.title = raw.parts.join("");
    if (raw?.tag === "script") page.jsonLd.push(raw.parts.join(""));
    raw = null;
  };
  const text = (value: string) => {
    if (raw) raw.parts.push(value);
    else body.text(value);
  };
  const openTag = (selfClosing: boolean) => {
    const attr = (name: string) => attrs.get(name);
    const itemprops = tokens(attr("itemprop"));
    // Microdata values outside <meta>: `<time itemprop=datePublished datetime>`, `<span itemprop=x content>`.
    const value = attr("content") ?? attr("datetime");
    if (tag !== "meta" && value?.trim()) for (const p of itemprops) setFirst(page.meta, `itemprop:${p}`, value);
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
    }
    body.open(tag, attr, selfClosing, itemprops);
  };
  const closeTag = (name: string) => {
    if ((name === "svg" || name === "math") && foreignDepth > 0) foreignDepth -= 1;
    if (raw?.tag === name) endRaw();
    body.close(name);
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
  return { ...page, ...body.end() };
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

function isJsonLdType(type: string | undefined): boolean {
  return (type ?? "").split(";")[0]?.trim().toLowerCase() === "application/ld+json";
}
