import { createHash } from "node:crypto";
import type Keyv from "keyv";
import type { ArticleRecord, ParsedItem, SourceHealthRecord } from "../model/news.js";
import { canonicalUrl } from "../urls/index.js";
import { escapeHtml } from "../html/index.js";
import { localExclusive, type Exclusive } from "../cluster/lock.js";

/**
 * Articles, their per-source indexes and source health, kept in keyv (the embedded SQLite file by
 * default; any keyv store later). Articles are never deleted when they drop off a feed.
 *
 * Keys: `a:<articleKey>` article · `g:<sourceId>:<guid>` guid → articleKey · `i:<sourceId>` and `i:*`
 * index of [sortTime, articleKey] newest first · `h:<sourceId>` health.
 */
export interface IndexEntry {
  /** Sort time in ms: publishedAt, else first seen. */
  t: number;
  k: string;
}

export interface UpsertResult {
  added: number;
  updated: number;
  unchanged: number;
  /** Items in the feed that named an article already named earlier in the same feed. */
  duplicates: number;
  itemCount: number;
}

export const ALL_SOURCES = "*";

/** Told after the write (src/live publishes subscription events from these). */
export interface ArticleStoreHooks {
  /** Articles a feed brought that its source did not carry before: new stories, or ones known only from another source or the page. */
  onArticlesAdded?: (sourceId: string, records: ArticleRecord[]) => void;
  /** A health record written that differs from the stored one in status, failure count or error sentence. */
  onHealthChanged?: (sourceId: string, health: SourceHealthRecord) => void;
}

export class ArticleStore {
  /**
   * `onArticlesChanged` is told every article record written (added or changed), after the write (the search index).
   * `exclusive` runs each write (a read-modify-write of articles and indexes) alone: in-process by default, a Redis
   * lease when several gateways share the store (src/cache). `hooks` hear of new articles and health changes (src/live).
   */
  constructor(
    private readonly keyv: Keyv,
    readonly onArticlesChanged?: (records: ArticleRecord[]) => void,
    private readonly exclusive: Exclusive = localExclusive(),
    readonly hooks: ArticleStoreHooks = {},
  ) {}

  /** The url adapter's writer: see mergePageInto. */
  mergePage(key: string, page: PageFields, now: Date): Promise<void> {
    return this.exclusive(() => mergePageInto(this, this.keyv, key, page, now));
  }

  async getMany(keys: readonly string[]): Promise<Array<ArticleRecord | null>> {
    if (keys.length === 0) return [];
    const values = await this.keyv.getMany<ArticleRecord>(keys.map((k) => `a:${k}`));
    return values.map((v) => v ?? null);
  }

  async index(sourceId: string): Promise<IndexEntry[]> {
    return (await this.keyv.get<IndexEntry[]>(`i:${sourceId}`)) ?? [];
  }

  async indexes(sourceIds: readonly string[]): Promise<IndexEntry[][]> {
    if (sourceIds.length === 0) return [];
    const values = await this.keyv.getMany<IndexEntry[]>(sourceIds.map((id) => `i:${id}`));
    return values.map((v) => v ?? []);
  }

  async health(sourceIds: readonly string[]): Promise<Array<SourceHealthRecord | null>> {
    if (sourceIds.length === 0) return [];
    const values = await this.keyv.getMany<SourceHealthRecord>(sourceIds.map((id) => `h:${id}`));
    return values.map((v) => v ?? null);
  }

  async setHealth(sourceId: string, health: SourceHealthRecord): Promise<void> {
    const hook = this.hooks.onHealthChanged;
    const before = hook ? (await this.health([sourceId]))[0] : null;
    await this.keyv.set(`h:${sourceId}`, health);
    if (hook && (!before || before.status !== health.status || before.consecutiveFailures !== health.consecutiveFailures || before.lastError !== health.lastError)) {
      hook(sourceId, health);
    }
  }

  /**
   * Stores a feed's items for one source: new items are added, changed ones updated in place (never
   * duplicated), unchanged ones left alone. Identity: the guid already seen from this source, else the
   * canonical link, else the guid, else a hash of title and summary.
   */
  upsert(sourceId: string, items: readonly ParsedItem[], now = new Date()): Promise<UpsertResult> {
    return this.exclusive(() => this.upsertAlone(sourceId, items, now));
  }

  private async upsertAlone(sourceId: string, items: readonly ParsedItem[], now: Date): Promise<UpsertResult> {
    const guidKeys = items.map((item) => (item.guid ? `g:${sourceId}:${item.guid}` : null));
    const known = await this.keyv.getMany<string>(guidKeys.filter((k): k is string => k !== null));
    const knownByGuidKey = new Map<string, string>();
    guidKeys.filter((k): k is string => k !== null).forEach((k, i) => known[i] && knownByGuidKey.set(k, known[i]!));

    // Within one feed, two items naming the same article are one story: keep the most recent version.
    // Each item's canonical link is computed once here (it is the costliest step per item) and carried along.
    const chosen = new Map<string, { item: ParsedItem; canonical: string | null }>();
    let duplicates = 0;
    items.forEach((item, i) => {
      const canonical = item.link ? canonicalUrl(item.link) : null;
      const key = (guidKeys[i] && knownByGuidKey.get(guidKeys[i]!)) ?? articleKey(sourceId, item, canonical);
      const previous = chosen.get(key);
      if (previous) duplicates += 1;
      if (!previous || itemTime(item) >= itemTime(previous.item)) chosen.set(key, { item, canonical });
    });

    const keys = [...chosen.keys()];
    const existing = await this.getMany(keys);
    const writes: Array<{ key: string; value: unknown }> = [];
    const result: UpsertResult = { added: 0, updated: 0, unchanged: 0, duplicates, itemCount: items.length };
    const touched: IndexEntry[] = [];
    const written: ArticleRecord[] = [];
    const added: ArticleRecord[] = [];
    keys.forEach((key, i) => {
      const { item, canonical } = chosen.get(key)!;
      const before = existing[i] ?? null;
      const after = mergeArticle(before, key, sourceId, item, canonical, now);
      if (item.guid) writes.push({ key: `g:${sourceId}:${item.guid}`, value: key });
      if (before && sameArticle(before, after)) {
        result.unchanged += 1;
      } else {
        writes.push({ key: `a:${key}`, value: after });
        written.push(after);
        if (!before || !before.sourceIds.includes(sourceId)) added.push(after);
        if (before) result.updated += 1;
        else result.added += 1;
      }
      touched.push({ t: sortTime(after), k: key });
    });
    const [sourceIndex, allIndex] = await this.indexes([sourceId, ALL_SOURCES]);
    writes.push({ key: `i:${sourceId}`, value: mergeIndex(sourceIndex!, touched) });
    writes.push({ key: `i:${ALL_SOURCES}`, value: mergeIndex(allIndex!, touched) });
    await this.keyv.setMany(writes);
    if (written.length) this.onArticlesChanged?.(written);
    if (added.length) this.hooks.onArticlesAdded?.(sourceId, added);
    return result;
  }
}

/**
 * Merges what an unfurled page says into the article stored under `key` (creating it if no feed knows it).
 * Fields a feed supplied are kept; the page only fills the gaps, and each field it fills is marked "page".
 */
export async function mergePageInto(
  store: ArticleStore,
  keyv: Keyv,
  key: string,
  page: PageFields,
  now: Date,
): Promise<void> {
  const [before] = await store.getMany([key]);
  const fromPage: Partial<Record<PageField, string | null>> = {
    url: page.url,
    title: page.title,
    summaryHtml: page.summary === null ? null : escapeHtml(page.summary),
    author: page.author,
    publishedAt: page.publishedAt,
    updatedAt: page.modifiedAt,
    imageUrl: page.imageUrl,
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
  if (!changed) return;
  const writes: Array<{ key: string; value: unknown }> = [{ key: `a:${key}`, value: record }];
  if (!before) {
    const [allIndex] = await store.indexes([ALL_SOURCES]);
    writes.push({ key: `i:${ALL_SOURCES}`, value: mergeIndex(allIndex!, [{ t: sortTime(record), k: key }]) });
  }
  await keyv.setMany(writes);
  store.onArticlesChanged?.([record]);
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

function mergeArticle(
  before: ArticleRecord | null, key: string, sourceId: string, item: ParsedItem, canonical: string | null, now: Date,
): ArticleRecord {
  const hash = sha1(JSON.stringify([item.title, item.summaryHtml, item.author, item.publishedAt, item.updatedAt, item.imageUrl, item.categories]));
  if (!before) {
    return {
      key, url: item.link, canonicalUrl: canonical, title: item.title, summaryHtml: item.summaryHtml, author: item.author,
      publishedAt: item.publishedAt, updatedAt: item.updatedAt, imageUrl: item.imageUrl, categories: item.categories,
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
    url: before.url ?? item.link, canonicalUrl: before.canonicalUrl ?? canonical,
    title: item.title ?? before.title, summaryHtml: item.summaryHtml ?? before.summaryHtml, author: item.author ?? before.author,
    publishedAt: item.publishedAt ?? before.publishedAt, updatedAt: item.updatedAt ?? now.toISOString(),
    imageUrl: item.imageUrl ?? before.imageUrl, categories: item.categories.length ? item.categories : before.categories,
    contentHash: hash, changedAt: now.toISOString(),
  };
}

function sameArticle(a: ArticleRecord, b: ArticleRecord): boolean {
  return a.contentHash === b.contentHash && a.sourceIds.length === b.sourceIds.length && JSON.stringify(a.guids) === JSON.stringify(b.guids);
}

function mergeIndex(index: IndexEntry[], touched: IndexEntry[]): IndexEntry[] {
  const byKey = new Map(index.map((e) => [e.k, e]));
  for (const entry of touched) byKey.set(entry.k, entry);
  return [...byKey.values()].sort(compareEntries);
}

/** Newest first; ties broken by key so the order (and so cursors) is stable. */
export function compareEntries(a: IndexEntry, b: IndexEntry): number {
  return b.t - a.t || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
}

function sortTime(a: ArticleRecord): number {
  return Date.parse(a.publishedAt ?? a.firstSeenAt);
}

function itemTime(item: ParsedItem): number {
  return Date.parse(item.updatedAt ?? item.publishedAt ?? "") || 0;
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
