import path from "node:path";
import Keyv from "keyv";
import { SqliteKeyvStore } from "./sqlite-store.js";

export { SqliteKeyvStore };

/** The process-wide cache: keyv on an embedded SQLite file in the data directory. */
export function createCache(dataDir: string, namespace = "crosswire"): { keyv: Keyv; store: SqliteKeyvStore } {
  const store = new SqliteKeyvStore(path.join(dataDir, "cache.db"));
  store.purgeExpired();
  // Plain JSON: keyv's default serializer walks every value with a reviver to restore Buffers, which we
  // never store; it was about 5 % of CPU on a warm thread page (bench/README.md).
  const keyv = new Keyv({ store, namespace, serialize: JSON.stringify, deserialize: (text) => JSON.parse(text as string) });
  return { keyv, store };
}
