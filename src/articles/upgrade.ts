import type Keyv from "keyv";
import type { SqlDatabase } from "../db/sql.js";
import type { ArticleRecord } from "../model/news.js";
import { canonicalUrl } from "../urls/index.js";
import { chunks, isListed, writeRows, type Mapping, type RowWrite } from "./rows.js";

/**
 * The one-time copy of a keyv-era article store (`a:<key>` records, `g:<source>:<guid>` → key, `l:<link>` → key,
 * `i:*` / `i:<source>` indexes) into rows, losing nothing: every record the indexes name, and with the embedded
 * keyv file every `a:`, `g:` and `l:` entry, with its expiry. With Redis (no key listing here) guid and link
 * mappings are rebuilt from the records. Marked done by the counter `keyv-upgraded`; the keyv entries stay where
 * they are (nothing reads them again). Runs under the setup lock (ArticleStore.open).
 */
const DONE = "keyv-upgraded";

interface RawKeyv {
  database: { all<T>(sql: string, params?: readonly unknown[]): T[] };
  namespace?: string;
}

export async function upgradeFromKeyv(db: SqlDatabase, keyv: Keyv): Promise<number> {
  if (await db.get("SELECT value FROM article_counters WHERE name = ?", [DONE])) return 0;
  const raw = rawStore(keyv);
  const listed = raw ? null : await indexedKeys(keyv);
  const recordKeys = raw ? listKeys(raw, "a:") : listed!;
  const records: Array<{ record: ArticleRecord; expiresMs: number | null }> = [];
  for (const part of chunks(recordKeys, 500)) {
    const values = await keyv.getMany<ArticleRecord>(part.map((k) => `a:${k.key}`));
    values.forEach((record, i) => record && records.push({ record, expiresMs: part[i]!.expiresMs }));
  }
  const known = new Map(records.map((r) => [r.record.key, r.record]));
  // The records' own guids first: a g: entry (below) names the same or an older mapping of a collapsed entry.
  const guids = derivedGuids(records.map((r) => r.record));
  const links = raw ? new Map<string, string>() : derivedLinks(records.map((r) => r.record));
  if (raw) {
    for (const { key: rest } of listKeys(raw, "g:")) {
      const key = await keyv.get<string>(`g:${rest}`);
      const sourceId = key ? known.get(key)?.sourceIds.find((s) => rest.startsWith(`${s}:`)) : undefined;
      if (key && sourceId) guids.set(rest, { sourceId, guid: rest.slice(sourceId.length + 1), key });
    }
    for (const { key: link } of listKeys(raw, "l:")) {
      const key = await keyv.get<string>(`l:${link}`);
      if (key) links.set(link, key);
    }
  }
  await db.transaction(async (tx) => {
    for (const part of chunks(records, 500)) {
      const writes: RowWrite[] = part.map(({ record, expiresMs }) => ({ before: null, after: record, expiresMs: isListed(record) ? null : expiresMs }));
      await writeRows(tx, writes);
    }
    for (const part of chunks([...guids.values()], 500)) await writeRows(tx, [], part);
    for (const part of chunks([...links], 500)) await writeRows(tx, [], [], part.map(([link, key]) => ({ link, key })));
    await tx.run("INSERT INTO article_counters (name, value) VALUES (?, ?)", [DONE, records.length]);
  });
  return records.length;
}

/** The embedded keyv file (src/cache/sqlite-store.ts), whose keys can be listed; null for Redis. */
function rawStore(keyv: Keyv): RawKeyv | null {
  const store = (keyv as unknown as { store?: unknown }).store as Partial<RawKeyv> | undefined;
  return store && typeof store.database?.all === "function" ? (store as RawKeyv) : null;
}

/** Keys under a prefix (without it), with their expiry: a range scan of the keyv table's primary key. */
function listKeys(raw: RawKeyv, prefix: string): Array<{ key: string; expiresMs: number | null }> {
  const full = `${raw.namespace ? `${raw.namespace}:` : ""}${prefix}`;
  const end = full.slice(0, -1) + String.fromCharCode(full.charCodeAt(full.length - 1) + 1);
  const rows = raw.database.all<{ key: string; expires_at: number | null }>(
    "SELECT key, expires_at FROM keyv WHERE key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?)", [full, end, Date.now()],
  );
  return rows.map((r) => ({ key: r.key.slice(full.length), expiresMs: r.expires_at }));
}

/** Without a key listing: every article the all-sources index and each of its sources' indexes name. */
async function indexedKeys(keyv: Keyv): Promise<Array<{ key: string; expiresMs: null }>> {
  const all = (await keyv.get<Array<{ k: string }>>("i:*")) ?? [];
  const keys = new Set(all.map((e) => e.k));
  const sources = new Set<string>();
  for (const part of chunks([...keys], 500)) {
    for (const r of await keyv.getMany<ArticleRecord>(part.map((k) => `a:${k}`))) r?.sourceIds.forEach((s) => sources.add(s));
  }
  for (const sourceId of sources) for (const e of (await keyv.get<Array<{ k: string }>>(`i:${sourceId}`)) ?? []) keys.add(e.k);
  return [...keys].map((key) => ({ key, expiresMs: null }));
}

function derivedGuids(records: readonly ArticleRecord[]): Map<string, Mapping> {
  const out = new Map<string, Mapping>();
  for (const r of records) for (const [sourceId, guid] of Object.entries(r.guids ?? {})) out.set(`${sourceId}:${guid}`, { sourceId, guid, key: r.key });
  return out;
}

function derivedLinks(records: readonly ArticleRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) if (r.url && canonicalUrl(r.url) !== r.key) out.set(r.url, r.key);
  return out;
}
