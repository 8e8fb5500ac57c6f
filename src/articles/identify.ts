import type { SqlQueries } from "../db/sql.js";
import type { ArticleRecord, ParsedItem } from "../model/news.js";
import { own } from "../model/dict.js";
import { articleKey, sameTitle } from "./merge.js";
import { readGuidKeys, readRecords } from "./rows.js";

export interface Identified {
  /** Each item's article key, in item order. */
  keys: string[];
  /** The guids of this source already stored, and their articles. */
  knownByGuid: Map<string, string>;
  /** The stored records read on the way (by key; absent: not stored). */
  records: Map<string, ArticleRecord>;
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
export async function identify(
  db: SqlQueries, sourceId: string, items: readonly ParsedItem[], canonicals: Array<string | null>,
): Promise<Identified> {
  const knownByGuid = await readGuidKeys(db, sourceId, items.map((i) => i.guid).filter((g): g is string => g !== null));
  const wanted = [...new Set([...knownByGuid.values(), ...canonicals.filter((c): c is string => c !== null)])];
  const records = await readRecords(db, wanted);
  const inFeed = new Set(items.map((i) => i.guid).filter((g): g is string => g !== null));
  const batchByGuid = new Map<string, string>();
  const claimed = new Map<string, string | null>(); // canonical → guid of the entry of this fetch that took it
  const keys = items.map((item, i) => {
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
  return { keys, knownByGuid, records };
}
