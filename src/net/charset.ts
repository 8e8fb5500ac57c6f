import iconv from "iconv-lite";

/**
 * Bytes of a fetched document as text. The charset is taken from, in order: a byte-order mark, the Content-Type
 * header's charset, then for XML the `<?xml … encoding="…"?>` declaration (first 1024 bytes) or for HTML a
 * `<meta charset>` / `<meta http-equiv … charset=…>` (first 4096 bytes), then UTF-8. A name iconv-lite does not know
 * is skipped in favour of the next source. The BOM is stripped. For XML the declaration in the returned string is
 * rewritten to say UTF-8, since the text is no longer in the encoding it names.
 *
 * A declared charset is checked, not trusted: servers send `charset=utf-8` for bytes in windows-1252 (a recorded
 * feed from uol.com.br does). When the bytes are not valid in the charset a source names, the next source is
 * tried, then UTF-8, then windows-1252 (the web's fallback, WHATWG Encoding), as feed readers do; only when every
 * candidate fails is the first one used, with U+FFFD for what it cannot read.
 */
export function decodeText(bytes: Buffer, charsetFromHeader: string | null, kind: "xml" | "html" | "json"): string {
  const bom = sniffBom(bytes);
  const candidates = bom
    ? [bom]
    : [usable(charsetFromHeader), kind === "xml" ? sniffXml(bytes) : kind === "html" ? sniffHtml(bytes) : null, "utf-8", "windows-1252"];
  const names = [...new Set(candidates.filter((c): c is string => c !== null))];
  const first = names[0] ?? "utf-8";
  const charset = names.find((name) => decodesCleanly(bytes, name)) ?? first;
  let text = iconv.decode(bytes, charset);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return kind === "xml" ? declareUtf8(text) : text;
}

/** Whether every byte reads as a character in `charset`. */
function decodesCleanly(bytes: Buffer, charset: string): boolean {
  if (charset === "utf-8") {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      return true;
    } catch {
      return false;
    }
  }
  // A legacy charset has no U+FFFD of its own: one in the output is a byte sequence the charset does not have.
  return !iconv.decode(bytes, charset).includes("\uFFFD");
}

function sniffBom(bytes: Buffer): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return null;
}

function sniffXml(bytes: Buffer): string | null {
  // UTF-16 without a BOM shows itself by the NULs around "<?" (XML 1.0 Appendix F).
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) return "utf-16le";
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) return "utf-16be";
  const head = bytes.subarray(0, 1024).toString("latin1");
  const declared = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1];
  return asciiCompatible(usable(declared ?? null));
}

function sniffHtml(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString("latin1");
  const declared = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
  return asciiCompatible(usable(declared ?? null));
}

// A declaration we could read as latin1 is not in UTF-16 whatever it says (the HTML spec makes the same call).
function asciiCompatible(charset: string | null): string | null {
  return charset?.startsWith("utf-16") ? "utf-8" : charset;
}

// ISO-8859-1 and ASCII labels mean windows-1252 on the web (WHATWG Encoding): real documents with those labels
// carry “smart quotes” and € in 0x80–0x9F, where ISO-8859-1 has only invisible control characters.
const WINDOWS_1252_LABELS = new Set(["iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1", "us-ascii", "ascii"]);

function usable(label: string | null): string | null {
  if (!label) return null;
  const name = label.trim().replace(/^["']|["']$/g, "").toLowerCase();
  if (WINDOWS_1252_LABELS.has(name)) return "windows-1252";
  if (name === "utf8") return "utf-8";
  return iconv.encodingExists(name) ? name : null;
}

function declareUtf8(text: string): string {
  const declaration = /^(\s*<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])([^"']*)\2/;
  return text.replace(declaration, (whole, start: string, _quote, name: string) =>
    /^utf-?8$/i.test(name) ? whole : `${start}"UTF-8"`,
  );
}
