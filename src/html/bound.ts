import { Tokenizer } from "htmlparser2";

/**
 * Bounds untrusted HTML where it enters (issue 18, item 1): at most `MAX_HTML_CHARS` characters and at most
 * `MAX_HTML_DEPTH` open elements. Everything built on the markup later walks its tree: html-to-text recurses once
 * per level and overflowed the stack at ~4,000 nested `<q>` (28 KB); htmlparser2's Parser (under sanitize-html)
 * `unshift`s every open element onto its stack, which is quadratic in depth. Both are harmless with the depth
 * bounded, so this pass is the one place that has to be linear: it runs htmlparser2's Tokenizer (a flat state
 * machine, no tree) and removes the tags that would open deeper than the bound, and the end tags that close
 * them, keeping their text. Nothing else is changed: the result still goes through the sanitizer.
 */
export const MAX_HTML_CHARS = 256 * 1024;
/** Chromium's parser stops nesting at 512; real posts and summaries stay under ~30 (Discourse quotes in quotes). */
export const MAX_HTML_DEPTH = 100;

// Elements that never hold content: they open nothing, so they do not count towards depth.
const VOID = new Set([
  "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "image", "img", "input",
  "keygen", "link", "meta", "param", "source", "track", "wbr",
]);

export function boundHtml(html: string, maxDepth = MAX_HTML_DEPTH, maxChars = MAX_HTML_CHARS): string {
  const source = html.length > maxChars ? html.slice(0, maxChars) : html;
  // Fast path: no element can open deeper than the number of `<` in the text.
  if (countOf(source, "<", maxDepth + 1) <= maxDepth) return source;
  const open: string[] = [];
  // Elements dropped for depth, by name: their end tags are dropped too, so they cannot close a kept element early.
  const dropped = new Map<string, number>();
  const cuts: Array<[number, number]> = [];
  let tagStart = 0;
  let tagName = "";
  const openEnds = (end: number, selfClosing: boolean) => {
    if (VOID.has(tagName) || selfClosing) return;
    if (open.length < maxDepth) open.push(tagName);
    else {
      cuts.push([tagStart, end + 1]);
      dropped.set(tagName, (dropped.get(tagName) ?? 0) + 1);
    }
  };
  const noop = () => {};
  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: true },
    {
      onopentagname(start, end) {
        tagStart = start - 1;
        tagName = source.slice(start, end).toLowerCase();
      },
      onopentagend: (end) => openEnds(end, false),
      // HTML ignores `/>` on non-void elements: `<q/>` opens a `<q>` (htmlparser2 in HTML mode does the same).
      onselfclosingtag: (end) => openEnds(end, false),
      onclosetag(start, end) {
        const name = source.slice(start, end).toLowerCase();
        const gt = source.indexOf(">", end);
        const cut: [number, number] = [start - 2, gt < 0 ? source.length : gt + 1];
        const pending = dropped.get(name) ?? 0;
        if (pending > 0) {
          dropped.set(name, pending - 1);
          cuts.push(cut);
          return;
        }
        const at = open.lastIndexOf(name);
        if (at >= 0) open.length = at;
      },
      onattribdata: noop, onattribentity: noop, onattribend: noop, onattribname: noop, oncdata: noop,
      oncomment: noop, ondeclaration: noop, onend: noop, onprocessinginstruction: noop, ontext: noop, ontextentity: noop,
    },
  );
  tokenizer.write(source);
  tokenizer.end();
  if (cuts.length === 0) return source;
  const parts: string[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    parts.push(source.slice(from, start));
    from = end;
  }
  parts.push(source.slice(from));
  return parts.join("");
}

function countOf(text: string, char: string, stopAt: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0 && n < stopAt; i = text.indexOf(char, i + 1)) n++;
  return n;
}
