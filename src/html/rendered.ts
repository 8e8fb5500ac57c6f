import { renderHtml, type RenderedHtml } from "./index.js";

/**
 * Rendered (sanitized + plain text) forum post bodies, kept once per post version for the whole process (issue 18,
 * item 1). Articles store theirs at write time (src/articles/store.ts); forum posts are written by others (the
 * local forum's database, Discourse, a board feed) and reach the gateway as raw HTML on every read, so the render is
 * kept here instead: one render per post version, not one per request. Bounded by characters held (raw + rendered),
 * least recently used first out; a key is reused only when the raw HTML is the same string.
 */
// 4 M characters: at most ~8 MB of UTF-16 strings, ~40 posts of the 100 KB a body may have (src/html/bound.ts).
export const RENDERED_CACHE_CHARS = 4 * 1024 * 1024;

interface Entry extends RenderedHtml {
  raw: string;
  size: number;
}

export class RenderedHtmlCache {
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  constructor(private readonly maxChars = RENDERED_CACHE_CHARS) {}

  get(key: string, raw: string): RenderedHtml {
    const found = this.entries.get(key);
    if (found && found.raw === raw) {
      // Map order is insertion order: re-inserting marks the entry as the most recently used.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    if (found) this.drop(key, found);
    const rendered = renderHtml(raw);
    const entry: Entry = { ...rendered, raw, size: raw.length + rendered.html.length + rendered.text.length };
    if (entry.size <= this.maxChars) {
      this.entries.set(key, entry);
      this.chars += entry.size;
      for (const [oldest, old] of this.entries) {
        if (this.chars <= this.maxChars) break;
        this.drop(oldest, old);
      }
    }
    return rendered;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.chars -= entry.size;
  }
}

/** The process's cache of post bodies (resolvers/forum.ts). */
export const postBodies = new RenderedHtmlCache();
