import { readFileSync, writeFileSync, existsSync } from "node:fs";
import type { FeedSourceConfig } from "../model/news.js";
import type { Config } from "../config/index.js";
import { decodeText } from "../net/index.js";
import { OpmlError, parseOpml, subscriptionsToSources, type SkippedSubscription } from "./index.js";

const DEFAULT_POLL_SECONDS = 900;

function readSubscriptions(file: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new OpmlError(`cannot read OPML file "${file}": ${(err as Error).message}`);
  }
  return parseOpml(decodeText(bytes, null, "xml"));
}

/** Sources from the `opmlFile` config key, minus those the config already lists (by id or URL). */
export function sourcesFromOpmlFile(config: Config): { sources: FeedSourceConfig[]; skipped: SkippedSubscription[] } {
  if (!config.opmlFile) return { sources: [], skipped: [] };
  const existing = { ids: config.sources.map((s) => s.id), urls: config.sources.map((s) => s.url) };
  return subscriptionsToSources(readSubscriptions(config.opmlFile), existing, DEFAULT_POLL_SECONDS);
}

/**
 * `crosswire import-opml FILE`: adds the OPML file's subscriptions to the `sources` list of the JSON config
 * file (created if missing). A config without `sources` starts from the default sources, so importing
 * never silently drops them.
 */
export function importOpmlIntoConfig(opmlFile: string, configFile: string, defaults: FeedSourceConfig[]) {
  let document: Record<string, unknown> = {};
  if (existsSync(configFile)) {
    try {
      document = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new OpmlError(`config file "${configFile}" is not valid JSON: ${(err as Error).message}`);
    }
  }
  const current = Array.isArray(document.sources) ? (document.sources as FeedSourceConfig[]) : defaults;
  const existing = { ids: current.map((s) => s.id), urls: current.map((s) => s.url) };
  const result = subscriptionsToSources(readSubscriptions(opmlFile), existing, DEFAULT_POLL_SECONDS);
  document.sources = [...current, ...result.sources];
  writeFileSync(configFile, `${JSON.stringify(document, null, 2)}\n`);
  return result;
}
