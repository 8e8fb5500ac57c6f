import type { Config } from "../config/index.js";
import { escapeHtml } from "../html/index.js";
import type { SourceHealthRecord } from "../model/news.js";
import { tagUri } from "./links.js";
import type { FeedEntry } from "./model.js";
import { plainText } from "./text.js";

/**
 * A source feed whose upstream is failing says so, where feed readers show it (issue 21), instead of going
 * silently quiet:
 *   - the feed's description (RSS `<description>`, Atom `<subtitle>`, JSON Feed `description`) opens with a
 *     sentence, from the first failure on (DEGRADED or FAILING): readers show it on the feed's info page;
 *   - once the source is FAILING (3 failures in a row, or never read), a dated entry at the top of the first page:
 *     most readers show only entries, so this is the one place every reader's user sees it. Its guid stays the
 *     same for one outage (it names the last success), so a reader lists it once, updated at each attempt.
 * A source that is OK, PENDING or disabled adds nothing.
 */
export interface HealthNote {
  /** Put before the feed's own description. */
  sentence: string;
  /** The dated entry (FAILING only, first page only). */
  entry: FeedEntry | null;
}

export function healthNote(
  config: Config,
  source: { id: string; name: string; enabled: boolean; link: string },
  health: SourceHealthRecord | null,
  firstPage: boolean,
): HealthNote | null {
  if (!health || !source.enabled || (health.status !== "DEGRADED" && health.status !== "FAILING")) return null;
  const attempt = health.lastAttemptAt ? new Date(health.lastAttemptAt) : new Date(0);
  const since = health.lastSuccessAt ? `last read ${day(health.lastSuccessAt)}` : "never read yet";
  const reason = health.lastError ?? "the feed did not answer";
  const sentence = plainText(`The upstream feed of ${source.name} is failing (${health.consecutiveFailures} attempt${health.consecutiveFailures === 1 ? "" : "s"} in a row, ${since}): ${reason}`, 400);
  if (health.status !== "FAILING" || !firstPage) return { sentence, entry: null };
  const html = `<p>${escapeHtml(`crosswire could not read the feed of ${source.name} ${health.consecutiveFailures} time${health.consecutiveFailures === 1 ? "" : "s"} in a row (${since}).`)}</p>` +
    `<p>${escapeHtml(`Last attempt: ${reason}`)}</p>` +
    `<p>${escapeHtml("The articles below were stored before; new ones appear here as soon as the feed answers again.")}</p>`;
  return {
    sentence,
    entry: {
      guid: tagUri(config, `health/${source.id}/${health.lastSuccessAt ?? "never"}`),
      title: plainText(`${source.name}: the upstream feed is failing`),
      link: source.link,
      externalUrl: null,
      published: health.lastSuccessAt ? new Date(health.lastSuccessAt) : attempt,
      updated: attempt,
      author: "crosswire",
      categories: [],
      contentHtml: html,
      summaryText: sentence,
    },
  };
}

const day = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
