import { DomUtils, parseDocument } from "htmlparser2";
import type { Element } from "domhandler";
import { boundHtml } from "../../src/html/index.js";
import { extractLinks } from "../../src/urls/index.js";
import type { CitationRecord } from "../../src/model/forum.js";

/**
 * Discourse's cooked HTML, read the way a reader outside the forum needs it:
 *
 * - every URL attribute made absolute against the forum's base URL (Discourse writes `/u/lezak`,
 *   `/t/slug/4944/3`, `/uploads/short-url/…`, `/images/emoji/…` and protocol-relative `//cdn…/uploads/…`);
 * - the links the post cites, without what belongs to the forum itself: links to the forum's own host,
 *   uploads on its CDN or storage (lightbox images, attachments), @mentions and #hashtags. Those are not
 *   stories the post cites, and with unfurl on they would be fetched.
 */

const URL_ATTRIBUTES = ["href", "src", "data-download-href", "data-orig-src", "data-src", "poster", "cite"];
/** Anchor classes Discourse gives its own links (Discourse's PrettyText: mentions, hashtags, lightbox, attachments). */
const FORUM_LINK_CLASSES = new Set(["mention", "mention-group", "hashtag", "hashtag-cooked", "lightbox", "attachment", "badge-category", "badge-wrapper"]);
/** Hosts Discourse serves uploads, avatars and emoji from on behalf of a site (its CDN, its S3 buckets). */
const UPLOAD_HOSTS = [/(^|\.)discourse-cdn\.com$/, /^cdck-file-uploads[\w.-]*\.amazonaws\.com$/];
/** Upload paths of a Discourse site on any host: /uploads/<db>/original|optimized/…, /uploads/short-url/…, avatars, emoji. */
const UPLOAD_PATH = /^\/(?:[^/]+\/)?(?:uploads\/(?:short-url\/|default\/|[^/]+\/(?:original|optimized)\/)|user_avatar\/|letter_avatar(?:_proxy)?\/|images\/emoji\/)/;

export interface CookedPost {
  /** The cooked HTML with every URL absolute (not sanitized: the gateway sanitizes on the way out). */
  html: string;
  citations: CitationRecord[];
}

function absolute(value: string, base: URL): string {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed.startsWith("#") || /^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return value;
  try {
    return new URL(trimmed, base).href;
  } catch {
    return value;
  }
}

/** `srcset="a.png 1x, b.png 2x"`: each candidate's URL made absolute. */
function absoluteSrcset(value: string, base: URL): string {
  return value
    .split(",")
    .map((candidate) => {
      const [url = "", ...descriptor] = candidate.trim().split(/\s+/);
      return [absolute(url, base), ...descriptor].join(" ");
    })
    .join(", ");
}

/** Whether a URL is the forum's own (its host, or a Discourse upload/avatar/emoji wherever it is stored). */
export function isForumUrl(url: string, base: URL): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.hostname.toLowerCase() === base.hostname.toLowerCase()) return true;
  return UPLOAD_HOSTS.some((host) => host.test(parsed.hostname.toLowerCase())) || UPLOAD_PATH.test(parsed.pathname);
}

function isForumAnchor(el: Element): boolean {
  const classes = (el.attribs.class ?? "").split(/\s+/);
  return classes.some((c) => FORUM_LINK_CLASSES.has(c));
}

export function readCooked(cooked: string, base: URL): CookedPost {
  const doc = parseDocument(boundHtml(cooked));
  const elements = DomUtils.findAll(() => true, doc.children);
  for (const el of elements) {
    for (const name of URL_ATTRIBUTES) {
      const value = el.attribs[name];
      if (value !== undefined) el.attribs[name] = absolute(value, base);
    }
    if (el.attribs.srcset !== undefined) el.attribs.srcset = absoluteSrcset(el.attribs.srcset, base);
  }
  const html = DomUtils.getOuterHTML(doc.children);
  // Citations: the forum's own anchors are taken out (with their text, which is a name or a file name), the
  // rest read like any post body (anchors and bare URLs), then the forum's own hosts and uploads dropped.
  for (const el of elements) if (el.name === "a" && isForumAnchor(el)) DomUtils.removeElement(el);
  const citations = extractLinks(DomUtils.getOuterHTML(doc.children)).filter((link) => !isForumUrl(link.url, base));
  return { html, citations };
}
