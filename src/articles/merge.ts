import { createHash } from "node:crypto";
import type { ArticleRecord, ParsedItem } from "../model/news.js";
import { httpUrlOrNull } from "../urls/index.js";
import { boundHtml, escapeHtml, renderHtml } from "../html/index.js";

/** What a feed item or an unfurled page does to an article record: pure functions, no store. */

/**
 * What an unfurled page says merged into the stored record `before` (a new record when null): fields a feed
 * supplied are kept; the page only fills the gaps, and each field it fills is marked "page". Null: nothing changed.
 */
export function mergePageFields(before: ArticleRecord | null, key: string, page: PageFields, now: Date): ArticleRecord | null {
  const fromPage: Partial<Record<PageField, string | null>> = {
    url: httpUrlOrNull(page.url),
    title: page.title,
    summaryHtml: page.summary === null ? null : escapeHtml(page.summary),
    author: page.author,
    // A page's own dates are the page's word only up to when we read it: a date in the future would keep an
    // unfurled page at the top of every newest-first list (issue 18: "now + 2 days").
    publishedAt: notAfter(page.publishedAt, now),
    updatedAt: notAfter(page.modifiedAt, now),
    imageUrl: httpUrlOrNull(page.imageUrl),
  };
  const record: ArticleRecord = before
    ? { ...before, provenance: { ...(before.provenance ?? {}) } }
    : {
        key, url: null, canonicalUrl: key.startsWith("http") ? key : null, title: null, summaryHtml: null, author: null,
        publishedAt: null, updatedAt: null, imageUrl: null, categories: [], sourceIds: [], guids: {},
        contentHash: "", firstSeenAt: now.toISOString(), changedAt: null, provenance: {},
      };
  let changed = !before;
  for (const field of PAGE_FIELDS) {
    const value = fromPage[field];
    const owner = record.provenance![field] ?? (record[field] !== null ? "feed" : undefined);
    if (value == null || owner === "feed" || record[field] === value) continue;
    record[field] = value;
    record.provenance![field] = "page";
    changed = true;
  }
  if (!changed) return null;
  return withRenderedSummary(record);
}

function notAfter(date: string | null, now: Date): string | null {
  if (date === null) return null;
  const t = Date.parse(date);
  return Number.isFinite(t) && t > now.getTime() ? now.toISOString() : date;
}

export interface PageFields {
  url: string;
  title: string | null;
  summary: string | null;
  author: string | null;
  publishedAt: string | null;
  modifiedAt: string | null;
  imageUrl: string | null;
}
type PageField = "url" | "title" | "summaryHtml" | "author" | "publishedAt" | "updatedAt" | "imageUrl";
const PAGE_FIELDS: PageField[] = ["url", "title", "summaryHtml", "author", "publishedAt", "updatedAt", "imageUrl"];


export function articleKey(sourceId: string, item: ParsedItem, canonical: string | null): string {
  if (canonical) return canonical;
  if (item.guid) return `urn:crosswire:${sourceId}:guid:${sha1(item.guid)}`;
  return `urn:crosswire:${sourceId}:hash:${sha1(`${item.title ?? ""}\n${item.summaryHtml ?? ""}`)}`;
}


export function sameTitle(a: string | null, b: string | null): boolean {
  const squash = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim().toLowerCase();
  return squash(a) === squash(b);
}

export function mergeArticle(
  before: ArticleRecord | null, key: string, sourceId: string, item: ParsedItem, canonical: string | null, now: Date,
): ArticleRecord {
  const hash = sha1(JSON.stringify([item.title, item.summaryHtml, item.author, item.publishedAt, item.updatedAt, item.imageUrl, item.categories]));
  if (!before) {
    return {
      key, url: httpUrlOrNull(item.link), canonicalUrl: canonical, title: item.title, summaryHtml: item.summaryHtml, author: item.author,
      publishedAt: item.publishedAt, updatedAt: item.updatedAt, imageUrl: httpUrlOrNull(item.imageUrl), categories: item.categories,
      sourceIds: [sourceId], guids: item.guid ? { [sourceId]: item.guid } : {}, contentHash: hash,
      firstSeenAt: now.toISOString(), changedAt: null,
    };
  }
  const sourceIds = before.sourceIds.includes(sourceId) ? before.sourceIds : [...before.sourceIds, sourceId];
  const guids = item.guid ? { ...before.guids, [sourceId]: item.guid } : before.guids;
  // Only the source that first carried the story edits its fields (or the first feed to carry a story known
  // only from its page); others only add themselves to it.
  const owner = before.sourceIds.length === 0 || before.sourceIds[0] === sourceId;
  if (!owner || before.contentHash === hash) return { ...before, sourceIds, guids };
  // Fields the feed now supplies are the feed's, even where the page had filled them before.
  const provenance = before.provenance ? { ...before.provenance } : undefined;
  if (provenance) {
    for (const [field, value] of Object.entries({ title: item.title, summaryHtml: item.summaryHtml, author: item.author, publishedAt: item.publishedAt, imageUrl: item.imageUrl })) {
      if (value !== null) delete provenance[field];
    }
  }
  return {
    ...before, sourceIds, guids, ...(provenance ? { provenance } : {}),
    url: before.url ?? httpUrlOrNull(item.link), canonicalUrl: before.canonicalUrl ?? canonical,
    title: item.title ?? before.title, summaryHtml: item.summaryHtml ?? before.summaryHtml, author: item.author ?? before.author,
    publishedAt: item.publishedAt ?? before.publishedAt, updatedAt: item.updatedAt ?? now.toISOString(),
    imageUrl: httpUrlOrNull(item.imageUrl) ?? before.imageUrl, categories: item.categories.length ? item.categories : before.categories,
    contentHash: hash, changedAt: now.toISOString(),
  };
}

/**
 * Bounds the stored summary (src/html/bound.ts: size and nesting depth) and derives its sanitized HTML and plain
 * text once, here, so that no read sanitizes: sanitize-html costs ~10 ms per 100 KB of plain markup, and a page of
 * 20 such summaries read per request held the event loop for every other caller.
 */
export function withRenderedSummary(record: ArticleRecord): ArticleRecord {
  if (record.summaryHtml === null) {
    record.summarySafeHtml = null;
    record.summaryText = null;
    return record;
  }
  record.summaryHtml = boundHtml(record.summaryHtml);
  const rendered = renderHtml(record.summaryHtml);
  record.summarySafeHtml = rendered.html;
  record.summaryText = rendered.text;
  return record;
}

/** The summary's sanitized HTML: stored at write time; derived (bounded) only for records written before that. */
export function summarySafeHtmlOf(record: ArticleRecord): string | null {
  if (record.summaryHtml === null) return null;
  return record.summarySafeHtml ?? withRenderedSummary({ ...record }).summarySafeHtml!;
}

/** The summary's plain text: stored at write time; derived (bounded) only for records written before that. */
export function summaryTextOf(record: ArticleRecord): string | null {
  if (record.summaryHtml === null) return null;
  return record.summaryText ?? withRenderedSummary({ ...record }).summaryText!;
}

export function sameArticle(a: ArticleRecord, b: ArticleRecord): boolean {
  return a.contentHash === b.contentHash && a.sourceIds.length === b.sourceIds.length && JSON.stringify(a.guids) === JSON.stringify(b.guids);
}

export function itemTime(item: ParsedItem): number {
  return Date.parse(item.updatedAt ?? item.publishedAt ?? "") || 0;
}

export function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
