import { createHash } from "node:crypto";
import type { ParsedItem } from "../../src/model/news.js";

/**
 * Which thread and which post a feed entry is. Forum software puts both ids in the entry's link; when it
 * does not, the thread is found by title. The rules, first match wins:
 *
 * Thread key
 *   1. a `t` query parameter: phpBB `viewtopic.php?t=4&p=18`, vBulletin `showthread.php?t=4`     → "4"
 *   2. a XenForo path `/threads/<slug>.<id>/` (or `/threads/<id>/`)                                → "<id>"
 *   3. a Flarum path `/d/<id>` or `/d/<id>-<slug>`                                                   → "<id>"
 *   4. the title: after the last " • " (phpBB prefixes the board name), without leading "Re:"s,
 *      lower-cased, spaces collapsed; a thread already known by that title keeps its key, else
 *      "title-" + a hash of it.
 * Post key
 *   1. a `p` query parameter or a `#p<id>` fragment (phpBB)                                           → "<id>"
 *   2. `post-<id>` in the path or fragment, or `/posts/<id>` (XenForo)                               → "<id>"
 *   3. otherwise a hash of the guid (else the link, else title and date).
 */

export function threadKeyFromLink(link: string | null): string | null {
  const url = parse(link);
  if (!url) return null;
  const t = url.searchParams.get("t");
  if (t && /^\d{1,15}$/.test(t)) return t;
  const xenforo = /\/threads\/(?:[^/]*\.)?(\d{1,15})(?:\/|$)/.exec(url.pathname);
  if (xenforo) return xenforo[1]!;
  const flarum = /\/d\/(\d{1,15})(?:-[^/]*)?(?:\/|$)/.exec(url.pathname);
  return flarum ? flarum[1]! : null;
}

export function postKey(item: ParsedItem): string {
  for (const candidate of [item.link, item.guid]) {
    const url = parse(candidate);
    if (!url) continue;
    const p = url.searchParams.get("p") ?? /^#p(\d{1,15})$/.exec(url.hash)?.[1];
    if (p && /^\d{1,15}$/.test(p)) return p;
    const xenforo = /(?:post-|\/posts\/)(\d{1,15})/.exec(url.pathname + url.hash);
    if (xenforo) return xenforo[1]!;
  }
  return hash(item.guid ?? item.link ?? `${item.title ?? ""}|${item.publishedAt ?? ""}`);
}

/** The thread title an entry names: the part after the board prefix, without "Re:". */
export function threadTitle(entryTitle: string | null): string {
  const afterBoard = (entryTitle ?? "").split(" • ").pop() ?? "";
  return afterBoard.replace(/^(\s*(re|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+/i, "").trim() || "(untitled)";
}

export function titleKey(title: string): string {
  return `title-${hash(title.toLowerCase().replace(/\s+/g, " ").trim())}`;
}

function hash(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 12);
}

function parse(link: string | null): URL | null {
  if (!link) return null;
  try {
    return new URL(link);
  } catch {
    return null;
  }
}
