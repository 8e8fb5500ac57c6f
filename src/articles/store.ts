import { createHash } from "node:crypto";
import type Keyv from "keyv";
import type { ArticleRecord, ParsedItem, SourceHealthRecord } from "../model/news.js";
import { canonicalUrl, httpUrlOrNull } from "../urls/index.js";
import { boundHtml, escapeHtml, renderHtml } from "../html/index.js";
import { own } from "../model/dict.js";
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

  /** The url adapter's writer: see mergePageInto. `keepMs`: how long a page no feed carried and no post cited is kept. */
  mergePage(key: string, page: PageFields, now: Date, keepMs?: number): Promise<void> {
    return this.exclusive(() => mergePageInto(this, this.keyv, key, page, now, keepMs));
  }

  /**
   * A post cites this article: a page known only from an unfurl is published (joins the river, article lists,
   * search and feeds) and kept for good. Nothing happens to an article a feed carried or already published.
   */
  publishCited(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      const records = (await this.getMany(keys)).filter((r): r is ArticleRecord => r !== null && !isListed(r));
      if (records.length === 0) return;
      const published = records.map((r) => ({ ...r, cited: true }));
      const [allIndex] = await this.indexes([ALL_SOURCES]);
      await this.keyv.setMany([
        ...published.map((r) => ({ key: `a:${r.key}`, value: r })),
        { key: `i:${ALL_SOURCES}`, value: mergeIndex(allIndex!, published.map((r) => ({ t: sortTime(r), k: r.key }))) },
      ]);
      this.onArticlesChanged?.(published);
    });
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
   * duplicated), unchanged ones left alone. Identity: see identify().
   */
  upsert(sourceId: string, items: readonly ParsedItem[], now = new Date()): Promise<UpsertResult> {
    return this.exclusive(() => this.upsertAlone(sourceId, items, now));
  }

  private async upsertAlone(sourceId: string, items: readonly ParsedItem[], now: Date): Promise<UpsertResult> {
    const canonicals = items.map((item) => (item.link ? canonicalUrl(item.link) : null));
    const keys0 = await this.identify(sourceId, items, canonicals);
    // Within one feed, two items with one identity (the same guid, or no guid and the same link) are one story:
    // keep the most recent version.
    const chosen = new Map<string, { item: ParsedItem; canonical: string | null }>();
    let duplicates = 0;
    items.forEach((item, i) => {
      const key = keys0[i]!;
      const previous = chosen.get(key);
      if (previous) duplicates += 1;
      if (!previous || itemTime(item) >= itemTime(previous.item)) chosen.set(key, { item, canonical: canonicals[i]! });
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
      if (!before || after.summaryHtml !== before.summaryHtml || before.summaryText === undefined) withRenderedSummary(after);
      if (item.guid) writes.push({ key: `g:${sourceId}:${item.guid}`, value: key });
      // An entry that does not own its canonical URL (another entry of the feed shares the link) is still found by
      // its own link: article(url:) looks up `l:` first.
      if (item.link && key !== canonical) writes.push({ key: `l:${item.link}`, value: key });
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

  /**
   * Removes a source's articles (admin `removeSource(deleteArticles: true)`): an article only this source carried is
   * deleted (from the all-sources index too); one other sources carry as well loses this source and stays. The
   * source's index, guid keys and health go. Resolves with the number of articles deleted.
   */
  removeBySource(sourceId: string): Promise<number> {
    return this.exclusive(async () => {
      const [sourceIndex, allIndex] = await this.indexes([sourceId, ALL_SOURCES]);
      const keys = sourceIndex!.map((e) => e.k);
      const records = await this.getMany(keys);
      const gone = new Set<string>();
      const writes: Array<{ key: string; value: unknown }> = [];
      const deletes = [`i:${sourceId}`, `h:${sourceId}`];
      keys.forEach((key, i) => {
        const record = records[i];
        if (!record) return;
        const guid = record.guids[sourceId];
        if (guid !== undefined) deletes.push(`g:${sourceId}:${guid}`);
        const sourceIds = record.sourceIds.filter((id) => id !== sourceId);
        if (sourceIds.length === 0 && !record.cited) {
          gone.add(key);
          deletes.push(`a:${key}`);
        } else {
          const guids = { ...record.guids };
          delete guids[sourceId];
          writes.push({ key: `a:${key}`, value: { ...record, sourceIds, guids } });
        }
      });
      writes.push({ key: `i:${ALL_SOURCES}`, value: allIndex!.filter((e) => !gone.has(e.k)) });
      await this.keyv.setMany(writes);
      await this.keyv.deleteMany(deletes);
      return gone.size;
    });
  }

  /** The exact link an entry was stored under, when it does not own its canonical URL (see identify). */
  keyForLink(url: string): Promise<string | null> {
    return keyForLink(this.keyv, url);
  }

  /**
   * Each item's article key. An item's identity is its guid/id within its source; the canonical link only joins
   * it to an article that no other entry of the same source owns (the same story from another source, or known from
   * its page), so entries sharing a link stay apart. In order:
   * 1. the key this source's guid was stored under — unless that article now carries another guid of this source
   *    (data written before this rule, when entries sharing a link were collapsed into one);
   * 2. the canonical link's article, if no entry of this source owns it, or this guid owns it, or its owner has
   *    left the feed and the title is the same (the feed changed its guids, not its entries);
   * 3. a key of its own: `urn:crosswire:<source>:guid:<sha1(guid)>`, else a hash of title and summary.
   * An item without a guid and with a link is the canonical link's article, as before.
   */
  private async identify(sourceId: string, items: readonly ParsedItem[], canonicals: Array<string | null>): Promise<string[]> {
    const guidKeys = items.map((item) => (item.guid ? `g:${sourceId}:${item.guid}` : null));
    const known = await this.keyv.getMany<string>(guidKeys.filter((k): k is string => k !== null));
    const knownByGuid = new Map<string, string>();
    let n = 0;
    items.forEach((item) => item.guid && known[n++] && knownByGuid.set(item.guid, known[n - 1]!));
    const wanted = [...new Set([...knownByGuid.values(), ...canonicals.filter((c): c is string => c !== null)])];
    const records = new Map<string, ArticleRecord | null>();
    (await this.getMany(wanted)).forEach((r, i) => records.set(wanted[i]!, r));
    const inFeed = new Set(items.map((i) => i.guid).filter((g): g is string => g !== null));
    const batchByGuid = new Map<string, string>();
    const claimed = new Map<string, string | null>(); // canonical → guid of the entry of this fetch that took it
    return items.map((item, i) => {
      const guid = item.guid;
      const canonical = canonicals[i]!;
      if (guid && batchByGuid.has(guid)) return batchByGuid.get(guid)!;
      let key: string | null = null;
      const knownKey = guid ? knownByGuid.get(guid) : undefined;
      if (knownKey) {
        const owner = own(records.get(knownKey)?.guids, sourceId);
        if (owner === undefined || owner === guid) key = knownKey;
      }
      if (!key && canonical) {
        if (claimed.has(canonical)) {
          if (!guid || claimed.get(canonical) === guid) key = canonical;
        } else {
          const record = records.get(canonical) ?? null;
          const owner = own(record?.guids, sourceId);
          if (!record || !guid || owner === undefined || owner === guid || (!inFeed.has(owner) && sameTitle(record.title, item.title))) {
            key = canonical;
          }
        }
        if (key === canonical && !claimed.has(canonical)) claimed.set(canonical, guid);
      }
      key ??= articleKey(sourceId, item, null);
      if (guid) batchByGuid.set(guid, key);
      return key;
    });
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
  keepMs?: number,
): Promise<void> {
  const [before] = await store.getMany([key]);
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
  if (!changed) return;
  withRenderedSummary(record);
  // A page only a client unfurled (no feed carried it, no post cited it) is not published: it stays out of the
  // all-sources index (river, article lists, feeds, the search index rebuilt from it) and out of the search hook,
  // and it expires with the unfurl cache. Anyone can unfurl any URL; only feeds and posts publish.
  const listed = isListed(record);
  await keyv.setMany([{ key: `a:${key}`, value: record, ...(listed || keepMs === undefined ? {} : { ttl: keepMs }) }]);
  if (listed) store.onArticlesChanged?.([record]);
}

/** Published: carried by a feed, or cited by a post (ArticleStore.publishCited). */
export function isListed(record: ArticleRecord): boolean {
  return record.sourceIds.length > 0 || record.cited === true;
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

/** The article key an exact feed link was stored under when that entry does not own the link's canonical URL. */
export async function keyForLink(keyv: Keyv, url: string): Promise<string | null> {
  return (await keyv.get<string>(`l:${url.trim()}`)) ?? null;
}

function sameTitle(a: string | null, b: string | null): boolean {
  const squash = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim().toLowerCase();
  return squash(a) === squash(b);
}

function mergeArticle(
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
