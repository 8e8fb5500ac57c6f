import { EXTRACT_LIMITS, plainText } from "./values.js";

/**
 * The few texts read from a page's body, as readers do when metadata is missing: the microdata author, the text of
 * `<a rel=author>`, of a `class*=byline` element, and the first substantial paragraph. Fed tag by tag from the
 * Tokenizer in scan.ts, which keeps no element stack: each text is captured by counting open and close tags of
 * its one element's name, at most one capture of each kind at a time (200,000 unclosed <p>s must not become
 * 200,000 captures), each capped in length.
 */
export interface BodyTexts {
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
/** A <p> ends where one of these starts, closing tag or not (HTML's "p end tag omitted"). */
const BLOCKS = new Set([
  "p", "div", "section", "article", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
  "table", "blockquote", "figure", "form", "pre", "hr",
]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
/** Bytes of text kept per capture: a byline or paragraph longer than its limit is judged on this much. */
const CAPTURE_FACTOR = 4;

interface Capture {
  kind: "author" | "name" | "rel" | "byline" | "p";
  tag: string;
  depth: number;
  text: string;
  max: number;
  done: (text: string) => void;
}

export class BodyReader {
  readonly found: BodyTexts = { microdataAuthor: null, relAuthor: null, bylineText: null, paragraph: null };
  private captures: Capture[] = [];
  private noText = 0;
  private articleDepth = 0;
  private paragraphOutside: string | null = null;
  private inAuthor = false;
  private authorNamed = false;
  private bylinesTried = 0;

  open(tag: string, attr: (name: string) => string | undefined, selfClosing: boolean, itemprops: string[]): void {
    const paragraph = this.captures.find((c) => c.kind === "p");
    if (paragraph && BLOCKS.has(tag)) this.finish(paragraph);
    const container = !selfClosing && !VOID.has(tag);
    for (const c of this.captures) if (c.tag === tag && container) c.depth += 1;
    if (this.inAuthor && !this.authorNamed && itemprops.includes("name") && tag === "meta" && attr("content")?.trim()) {
      this.authorNamed = true;
      this.found.microdataAuthor ??= plainText(attr("content"), Infinity);
    }
    if (!container) return;
    if (tag === "article") this.articleDepth += 1;
    if (NO_TEXT.has(tag)) this.noText += 1;
    if (this.noText === 0) this.startCaptures(tag, attr, itemprops);
  }

  close(name: string): void {
    if (NO_TEXT.has(name) && this.noText > 0) this.noText -= 1;
    if (name === "article" && this.articleDepth > 0) this.articleDepth -= 1;
    for (const c of [...this.captures].reverse()) if (c.tag === name && --c.depth === 0) this.finish(c);
  }

  text(value: string): void {
    if (this.noText === 0) for (const c of this.captures) if (c.text.length < c.max) c.text += value;
  }

  /** An element never closed (broken markup, a truncated page) still counts with the text it had. */
  end(): BodyTexts {
    for (const c of [...this.captures].reverse()) this.finish(c);
    this.found.paragraph ??= this.paragraphOutside;
    return this.found;
  }

  private startCaptures(tag: string, attr: (name: string) => string | undefined, itemprops: string[]): void {
    const found = this.found;
    const name = (t: string) => plainText(t, Infinity);
    if (found.microdataAuthor === null && !this.inAuthor && itemprops.includes("author")) {
      this.inAuthor = true;
      this.capture("author", tag, EXTRACT_LIMITS.bylineText, (t) => {
        found.microdataAuthor ??= name(t);
        this.inAuthor = false;
        this.authorNamed = false;
      });
    } else if (this.inAuthor && !this.authorNamed && itemprops.includes("name")) {
      this.authorNamed = true;
      this.capture("name", tag, EXTRACT_LIMITS.bylineText, (t) => void (found.microdataAuthor ??= name(t)));
    }
    if (tag === "a" && found.relAuthor === null && tokens(attr("rel")).includes("author")) {
      this.capture("rel", tag, EXTRACT_LIMITS.bylineText, (t) => void (found.relAuthor ??= name(t)));
    }
    if (found.bylineText === null && this.bylinesTried < 10 && /byline/i.test(attr("class") ?? "")) {
      if (this.capture("byline", tag, EXTRACT_LIMITS.bylineText, (t) => {
        const line = name(t);
        if (line && line.length <= EXTRACT_LIMITS.bylineText && /\p{L}{2}/u.test(line)) found.bylineText ??= line;
      })) this.bylinesTried += 1;
    }
    if (tag === "p" && found.paragraph === null && (this.articleDepth > 0 || this.paragraphOutside === null)) {
      const inArticle = this.articleDepth > 0;
      this.capture("p", tag, EXTRACT_LIMITS.paragraph, (t) => {
        const para = t.length < PARAGRAPH_MIN ? null : name(t);
        if (para === null || para.length < PARAGRAPH_MIN) return;
        if (inArticle) found.paragraph ??= para;
        else this.paragraphOutside ??= para;
      });
    }
  }

  private capture(kind: Capture["kind"], tag: string, limit: number, done: (text: string) => void): boolean {
    if (this.captures.some((c) => c.kind === kind)) return false;
    this.captures.push({ kind, tag, depth: 1, text: "", max: limit * CAPTURE_FACTOR, done });
    return true;
  }

  private finish(c: Capture): void {
    this.captures.splice(this.captures.indexOf(c), 1);
    c.done(c.text);
  }
}

export function tokens(value: string | undefined): string[] {
  return (value ?? "").toLowerCase().split(/\s+/).filter(Boolean);
}
