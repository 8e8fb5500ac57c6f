import path from "node:path";
import Keyv from "keyv";
import { SqliteKeyvStore } from "./sqlite-store.js";

export { SqliteKeyvStore };

/** The process-wide cache: keyv on an embedded SQLite file in the data directory. */
export function createCache(dataDir: string, namespace = "crosswire"): { keyv: Keyv; store: SqliteKeyvStore } {
  const store = new SqliteKeyvStore(path.join(dataDir, "cache.db"));
  store.purgeExpired();
  const keyv = new Keyv({ store, namespace });
  return { keyv, store };
}
