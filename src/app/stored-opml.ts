import { BadUserInputError } from "../model/errors.js";
import type { FeedSourceConfig } from "../model/news.js";
import type { OpmlImportReport, OpmlLineReport } from "../model/source-admin.js";
import { OpmlError, parseOpml, subscriptionsToSources } from "../opml/index.js";
import { validFeedSource } from "./stored-sources-input.js";

/** Stored sources an OPML import adds poll at the config file's default interval. */
const DEFAULT_POLL_SECONDS = 900;

/**
 * An OPML document (a feed reader's export) → the sources to store and a line per outline left out. Folders
 * become the source's category (nested folders as "Outer / Inner"). Duplicates (already subscribed, or repeated
 * in the file) are `skipped`; outlines that cannot be a source are `failed`; so are those past `room` (the
 * sources `storedSources.maxSources` still allows). Nothing is fetched: the sources are polled on their schedule.
 */
export function importOpmlText(opml: string, existing: { ids: string[]; urls: string[]; room: number }): OpmlImportReport {
  let subscriptions;
  try {
    subscriptions = parseOpml(opml);
  } catch (err) {
    if (err instanceof OpmlError) throw new BadUserInputError("opml", err.message);
    throw err;
  }
  // The first outline of a URL is the one stored (later ones are reported as duplicates): its folder counts.
  const categoryOf = new Map<string, string | null>();
  for (const s of subscriptions) if (!categoryOf.has(s.xmlUrl.trim())) categoryOf.set(s.xmlUrl.trim(), s.category);
  const { sources, skipped } = subscriptionsToSources(subscriptions, existing, DEFAULT_POLL_SECONDS);
  const report: OpmlImportReport = { added: [], skipped: [], failed: [] };
  for (const s of skipped) {
    const line: OpmlLineReport = { outline: s.title, url: s.url || null, reason: s.reason };
    (s.reason.startsWith("duplicate") ? report.skipped : report.failed).push(line);
  }
  for (const source of sources) {
    const line = { outline: source.name, url: source.url };
    if (report.added.length >= existing.room) {
      report.failed.push({ ...line, reason: "over storedSources.maxSources: not stored" });
      continue;
    }
    const category = categoryOf.get(source.url);
    try {
      const config: FeedSourceConfig = validFeedSource({ ...source, ...(category ? { categories: [category.slice(0, 100)] } : {}) });
      report.added.push(config);
    } catch (err) {
      report.failed.push({ ...line, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}
