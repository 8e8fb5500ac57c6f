import type Keyv from "keyv";
import type { SqlDatabase } from "../db/sql.js";
import type { ArticleRecord, ParsedItem, SourceHealthRecord } from "../model/news.js";
import { canonicalUrl } from "../urls/index.js";
import { localExclusive, type Exclusive } from "../cluster/lock.js";
import { identify } from "./identify.js";
import { changedSince, count, page, wholeList, type Change, type ChangePosition, type IndexEntry, type ListQuery } from "./lists.js";
import { itemTime, mergeArticle, mergePageFields, sameArticle, withRenderedSummary, type PageFields } from "./merge.js";
import { isListed, isLive, readLinkKey, readRecords, readStoredRecords, writeRows, type Mapping, type RowWrite } from "./rows.js";
import { ARTICLES_SETUP_LOCK, migrateArticles } from "./schema.js";
import { removeSource, purgeExpired } from "./remove.js";
import { upgradeFromKeyv } from "./upgrade.js";

export { ALL_SOURCES, compareEntries, type Change, type ChangePosition, type IndexEntry, type ListQuery } from "./lists.js";
export { articleKey, summarySafeHtmlOf, summaryTextOf, withRenderedSummary, type PageFields } from "./merge.js";
export { isListed } from "./rows.js";

/**
 * Articles as SQL rows (tables: ./schema.ts) in the SQL database the local forum uses: the embedded SQLite file by
 * default, PostgreSQL when clustered. Source health stays in keyv. Articles are never deleted when they drop off a
 * feed; a page only an unfurl knows expires (`keepMs`), and removeBySource drops a removed source's articles (with a
 * tombstone each in the write order, so every gateway's search index drops them too).
 * Lists are keyset queries (./lists.ts); a poll writes only new and changed rows, in one transaction.
 */
export interface UpsertResult {
  added: number;
  updated: number;
  unchanged: number;
  /** Items in the feed that named an article already named earlier in the same feed. */
  duplicates: number;
  itemCount: number;
}

/** Told after the write (src/live publishes subscription events from these). */
export interface ArticleStoreHooks {
  /** Articles a feed brought that its source did not carry before: new stories, or ones known only from another source or the page. */
  onArticlesAdded?: (sourceId: string, records: ArticleRecord[]) => void;
  /** A health record written that differs from the stored one in status, failure count or error sentence. */
  onHealthChanged?: (sourceId: string, health: SourceHealthRecord) => void;
  /**
   * Articles deleted (removeBySource, purgeExpired), after the commit: the search index drops them. Other gateways
   * learn of them from the tombstones in the write order (changedSince).
   */
  onArticlesDeleted?: (keys: string[]) => void;
}

const PURGE_EVERY_MS = 3_600_000;

export class ArticleStore {
  private opened: Promise<void> | null = null;
  private lastPurge = 0;

  /**
   * `db`: the SQL database of the rows (the local forum's). `keyv`: source health, and the articles of a data dir
   * written before the rows (copied once, ./upgrade.ts). `onArticlesChanged` is told every published article record
   * written (the search index). `exclusive` runs each write alone: in-process by default, a Redis lease when several
   * gateways share the store (src/cache). `hooks` hear of new articles and health changes (src/live).
   */
  constructor(
    private readonly keyv: Keyv,
    readonly db: SqlDatabase,
    readonly onArticlesChanged?: (records: ArticleRecord[]) => void,
    private readonly exclusive: Exclusive = localExclusive(),
    readonly hooks: ArticleStoreHooks = {},
  ) {}

  /** Creates the tables and copies a keyv-era store once (several gateways: under a lock). Every method waits for it. */
  open(): Promise<void> {
    this.opened ??= this.db.exclusive(ARTICLES_SETUP_LOCK, async (db) => {
      await migrateArticles(db);
      await upgradeFromKeyv(db, this.keyv);
    }).catch((err: unknown) => {
      this.opened = null;
      throw err;
    });
    return this.opened;
  }

  /** The url adapter's writer: see merge.ts mergePageFields. `keepMs`: how long a page no feed carried and no post cited is kept. */
  mergePage(key: string, pageFields: PageFields, now: Date, keepMs?: number): Promise<void> {
    return this.exclusive(async () => {
      await this.open();
      const before = (await readRecords(this.db, [key], now.getTime())).get(key) ?? null;
      const record = mergePageFields(before, key, pageFields, now);
      if (!record) return;
      // A page only a client unfurled (no feed carried it, no post cited it) is not published: it stays out of the
      // lists (river, article lists, feeds, search) and expires like the unfurl cache. Only feeds and posts publish.
      const listed = isListed(record);
      const expiresMs = listed || keepMs === undefined ? null : now.getTime() + keepMs;
      await this.db.transaction((tx) => writeRows(tx, [{ before, after: record, expiresMs }]));
      if (listed) this.onArticlesChanged?.([record]);
      if (now.getTime() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = now.getTime();
        const purged = await purgeExpired(this.db, now.getTime());
        if (purged.length) this.hooks.onArticlesDeleted?.(purged);
      }
    });
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
      const writes = records.map((before) => ({ before, after: { ...before, cited: true } }));
      await this.db.transaction((tx) => writeRows(tx, writes));
      this.onArticlesChanged?.(writes.map((w) => w.after));
    });
  }

  async getMany(keys: readonly string[]): Promise<Array<ArticleRecord | null>> {
    if (keys.length === 0) return [];
    await this.open();
    // Kept across requests while the database is unchanged (src/db/read-cache.ts): records are frozen there.
    const found = await this.db.reads.many("article", keys, (missing) => readStoredRecords(this.db, missing));
    const nowMs = Date.now();
    return keys.map((k) => {
      const stored = found.get(k);
      return stored && isLive(stored, nowMs) ? stored.record : null;
    });
  }

  /** A page of a newest-first list (lists.ts). */
  async page(query: ListQuery): Promise<IndexEntry[]> {
    await this.open();
    return page(this.db, query);
  }

  /** How many articles a list holds (in a window, when given). */
  async count(query: Omit<ListQuery, "limit" | "after">): Promise<number> {
    await this.open();
    return count(this.db, query);
  }

  /** Published articles written and articles deleted after a position, in write order (the search index's catch-up). */
  async changedSince(after: ChangePosition, limit: number): Promise<Change[]> {
    await this.open();
    return changedSince(this.db, after, limit);
  }

  /** Every entry of one source's list, or of all (ALL_SOURCES): tools and tests, never a request path. */
  async index(sourceId: string): Promise<IndexEntry[]> {
    await this.open();
    return wholeList(this.db, sourceId);
  }

  /** Drops page-only articles whose time is up; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    await this.open();
    const purged = await purgeExpired(this.db, now.getTime());
    if (purged.length) this.hooks.onArticlesDeleted?.(purged);
    return purged.length;
  }

  /**
   * A source is gone: it leaves every article it carried; articles no other source carries and no post cited are
   * deleted, with its guid mappings, and its health record. Returns how many articles were deleted.
   */
  removeBySource(sourceId: string): Promise<number> {
    return this.exclusive(async () => {
      await this.open();
      const { deleted, changed } = await removeSource(this.db, sourceId);
      await this.keyv.delete(`h:${sourceId}`);
      if (changed.length) this.onArticlesChanged?.(changed);
      if (deleted.length) this.hooks.onArticlesDeleted?.(deleted);
      return deleted.length;
    });
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
   * duplicated), unchanged ones left alone. Identity: see identify.ts.
   */
  upsert(sourceId: string, items: readonly ParsedItem[], now = new Date()): Promise<UpsertResult> {
    return this.exclusive(() => this.upsertAlone(sourceId, items, now));
  }

  /** The exact link an entry was stored under, when it does not own its canonical URL (see identify.ts). */
  async keyForLink(url: string): Promise<string | null> {
    await this.open();
    return readLinkKey(this.db, url.trim());
  }

  private async upsertAlone(sourceId: string, items: readonly ParsedItem[], now: Date): Promise<UpsertResult> {
    await this.open();
    const canonicals = items.map((item) => (item.link ? canonicalUrl(item.link) : null));
    const { keys: keys0, knownByGuid, records } = await identify(this.db, sourceId, items, canonicals);
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
    const unread = [...chosen.keys()].filter((k) => !records.has(k));
    for (const [k, r] of await readRecords(this.db, unread)) records.set(k, r);

    const result: UpsertResult = { added: 0, updated: 0, unchanged: 0, duplicates, itemCount: items.length };
    const writes: RowWrite[] = [];
    const guids = new Map<string, Mapping>();
    const links = new Map<string, string>();
    const added: ArticleRecord[] = [];
    for (const [key, { item, canonical }] of chosen) {
      const before = records.get(key) ?? null;
      const after = mergeArticle(before, key, sourceId, item, canonical, now);
      if (!before || after.summaryHtml !== before.summaryHtml || before.summaryText === undefined) withRenderedSummary(after);
      if (item.guid && knownByGuid.get(item.guid) !== key) guids.set(item.guid, { sourceId, guid: item.guid, key });
      if (before && sameArticle(before, after)) {
        result.unchanged += 1;
        continue;
      }
      // An entry that does not own its canonical URL (another entry of the feed shares the link) is still found by
      // its own link: article(url:) looks up article_links first.
      if (item.link && key !== canonical) links.set(item.link, key);
      writes.push({ before, after });
      if (!before || !before.sourceIds.includes(sourceId)) added.push(after);
      if (before) result.updated += 1;
      else result.added += 1;
    }
    if (writes.length || guids.size || links.size) {
      await this.db.transaction((tx) => writeRows(tx, writes, [...guids.values()], [...links].map(([link, key]) => ({ link, key }))));
    }
    const written = writes.map((w) => w.after);
    if (written.length) this.onArticlesChanged?.(written);
    if (added.length) this.hooks.onArticlesAdded?.(sourceId, added);
    return result;
  }
}
