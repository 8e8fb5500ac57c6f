import type { z } from "zod";
import { FeedSourceSchema, ForumSourceSchema, type ForumSourceConfig } from "../config/index.js";
import { BadUserInputError, CrosswireError, ErrorCode } from "../model/errors.js";
import type { FeedSourceConfig } from "../model/news.js";
import { FetchError } from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import { DISCOVERY_MAX_BYTES, feedTitle, sniffFeed } from "../news/discovery.js";

/**
 * Checks of what the admin API is given, shared by src/app/stored-sources.ts: the config file's own schemas
 * (so a stored source is exactly what the config file could hold), id slugs, and the fetch errors' mapping.
 */

/** Parses with a config schema; a failure is BAD_USER_INPUT naming the field as the admin API calls it. */
function parseWith<S extends z.ZodType>(schema: S, value: unknown, argument: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [argument, ...issue.path.map(String)].join(".");
  throw new BadUserInputError(field, issue.message);
}

export function validFeedSource(value: Record<string, unknown>): FeedSourceConfig {
  return parseWith(FeedSourceSchema, value, "input") as FeedSourceConfig;
}

export function validForum(value: Record<string, unknown>): ForumSourceConfig {
  return parseWith(ForumSourceSchema, value, "input");
}

/** An id from a name or the URL's host: lower-case letters, digits and '-', unique against `taken`. */
export function slugId(name: string | null | undefined, url: string, taken: (id: string) => boolean): string {
  const slug = (text: string) => text.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 56).replace(/-+$/, "");
  const base = slug(name ?? "") || slug(new URL(url).hostname.replace(/^www\./, "")) || "feed";
  if (!taken(base) && base !== "local") return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/** A fetch that failed, as the admin sees it: SOURCE_FETCH_FAILED with the fetcher's sentence and code. */
export function fetchFailed(err: unknown): never {
  if (err instanceof FetchError) {
    throw new CrosswireError(ErrorCode.SOURCE_FETCH_FAILED, err.message, { fetchCode: err.code, url: err.url, ...(err.status ? { status: err.status } : {}) });
  }
  throw err;
}

/** The forum's base URL answers as its kind should (Discourse: /site.json or /about.json; a forum feed: a feed); its title, when it says. */
export async function checkForum(fetcher: Fetcher, kind: "discourse" | "feed", url: string): Promise<string | null> {
  if (kind === "feed") {
    const result = await fetcher.fetch({ url, maxBytes: DISCOVERY_MAX_BYTES }).catch(fetchFailed);
    const format = sniffFeed(result);
    if (format !== "RSS" && format !== "ATOM") {
      throw new CrosswireError(ErrorCode.FEED_NOT_FOUND, `${url} is not an RSS or Atom feed (a forum feed needs one)`, { url });
    }
    return feedTitle(result.bytes, format);
  }
  const base = url.replace(/\/+$/, "");
  let lastError: unknown;
  for (const path of ["/about.json", "/site.json"]) {
    try {
      const result = await fetcher.fetch({ url: `${base}${path}`, accept: "application/json", maxBytes: DISCOVERY_MAX_BYTES });
      const body = JSON.parse(result.bytes.toString("utf8")) as { about?: { title?: unknown }; categories?: unknown };
      if (body.about && typeof body.about === "object") return typeof body.about.title === "string" ? body.about.title.slice(0, 200) : null;
      if (Array.isArray(body.categories)) return null;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError instanceof FetchError) fetchFailed(lastError);
  throw new CrosswireError(ErrorCode.SOURCE_FETCH_FAILED, `${base} does not answer as a Discourse site: neither /about.json nor /site.json is Discourse's JSON`, { url: base });
}

export const sourceExists = (message: string, id: string) => new CrosswireError(ErrorCode.SOURCE_EXISTS, message, { id });
export const notFound = (id: string) => new CrosswireError(ErrorCode.SOURCE_NOT_FOUND, `no stored source or forum has the id "${id.slice(0, 100)}"`, { id });
export const readOnly = (id: string) =>
  new CrosswireError(ErrorCode.SOURCE_READ_ONLY, `"${id}" comes from the config file and is read-only through the API: change it in the config file`, { id });
