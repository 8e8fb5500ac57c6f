import { boundHtml } from "../../src/html/bound.js";
import { Parser } from "htmlparser2";
/**
 * Reading values out of parser output. Parser objects are never spread or merged into ours (xml2js output
 * can carry own `__proto__` keys): each field is read, type-checked and copied.
 */
const MAX_TEXT = 100_000;

export function text(value: unknown): string | null {
  let v = value;
  if (Array.isArray(v)) v = v[0];
  if (typeof v === "object" && v !== null && Object.prototype.hasOwnProperty.call(v, "_")) v = (v as { _: unknown })._;
  if (typeof v !== "string") return null;
  const trimmed = v.trim();
  return trimmed.length ? trimmed.slice(0, MAX_TEXT) : null;
}

export function list(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const entry of value) {
    const t = text(entry) ?? (typeof entry === "object" && entry !== null ? text((entry as { $?: { term?: unknown } }).$?.term) : null);
    if (t && !out.includes(t)) out.push(t.slice(0, 200));
    if (out.length >= 20) break;
  }
  return out;
}

/**
 * A title as plain text, decoded once. `html`: the title is HTML (RSS and RDF titles in practice, Atom
 * type="html"): references decoded, markup dropped, as readers show it. Otherwise (Atom type="text", JSON Feed)
 * the text stays as written. Whitespace collapsed either way.
 */
export function plainTitle(raw: string, html: boolean): string | null {
  let out = raw;
  if (html && /[<&]/.test(raw)) {
    out = "";
    let skip = 0;
    const parser = new Parser(
      {
        onopentag(name) {
          if (name === "script" || name === "style") skip += 1;
        },
        onclosetag(name) {
          if ((name === "script" || name === "style") && skip > 0) skip -= 1;
        },
        ontext(piece) {
          if (skip === 0) out += piece;
        },
      },
      { decodeEntities: true },
    );
    // Bounded first (src/html/bound.ts): htmlparser2's Parser is quadratic in nesting depth, and the cut to 2,000
    // characters below comes after the parse.
    parser.write(boundHtml(raw));
    parser.end();
  }
  const squashed = out.replace(/\s+/g, " ").trim();
  return squashed.length ? squashed.slice(0, 2000) : null;
}

/** A link made absolute against `base` (xml:base, else the feed's URL); an unresolvable link is kept as written. */
export function resolveLink(link: string | null, base: string | null): string | null {
  if (link === null) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return link;
  if (!base) return link;
  try {
    return new URL(link, base).href;
  } catch {
    return link;
  }
}
