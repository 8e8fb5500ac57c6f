import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import type Keyv from "keyv";

/**
 * Apollo's automatic persisted queries keep query text by hash; this puts that cache in our keyv store, so
 * the hashes survive restarts and, on Redis, are shared by every gateway process.
 */
export function apqCache(keyv: Keyv): KeyValueCache<string> {
  return {
    async get(key) {
      return (await keyv.get<string>(`apq:${key}`)) ?? undefined;
    },
    async set(key, value, options) {
      await keyv.set(`apq:${key}`, value, options?.ttl ? options.ttl * 1000 : undefined);
    },
    async delete(key) {
      return keyv.delete(`apq:${key}`);
    },
  };
}
