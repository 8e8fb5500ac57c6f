import { createHash } from "node:crypto";

/**
 * Last-Modified that changes whenever the representation changes. The newest entry date is not enough: an entry
 * added with an older date (a feed backfilling, a slow source) leaves it where it was, and a reader that sends only
 * If-Modified-Since would get 304 and never see the entry. So each feed URL remembers the validator it last served
 * and since when (whole seconds, as HTTP dates have); a different validator moves the time on to now, and always
 * at least one second past the previous one, so a change within the same second still gets a later date.
 *
 * Kept in memory: after a restart the first response dates from then, which can only turn a 304 into a 200.
 * Bounded: the oldest URL is forgotten past `maxUrls` (that URL's next response is dated afresh, the same way).
 */
export interface ModifiedClock {
  /** The Last-Modified for `url` whose representation has this validator. */
  lastModified(url: string, validator: string, newestEntry: Date | null): Date;
}

export function createModifiedClock(now: () => number = Date.now, maxUrls = 10_000): ModifiedClock {
  const seen = new Map<string, { hash: string; since: number }>();
  return {
    lastModified(url, validator, newestEntry) {
      const hash = createHash("sha256").update(validator).digest("base64url");
      const previous = seen.get(url);
      let since = previous?.since ?? 0;
      if (!previous || previous.hash !== hash) {
        const second = Math.floor(now() / 1000) * 1000;
        since = previous ? Math.max(second, previous.since + 1000) : second;
        seen.delete(url);
        seen.set(url, { hash, since });
        if (seen.size > maxUrls) seen.delete(seen.keys().next().value!);
      }
      return new Date(Math.max(since, newestEntry ? Math.floor(newestEntry.getTime() / 1000) * 1000 : 0));
    },
  };
}
