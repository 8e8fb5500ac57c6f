import type { FeedSourceConfig } from "../model/news.js";

/**
 * Categories (OPML folders, `Source.categories`) as filters: a category stands for the slugs of its sources,
 * then the sources filter does the rest (articles, river, feed routes). Compared case-insensitively, trimmed.
 */
export const MAX_CATEGORY_CHARS = 100;

/** Slugs of the sources in `category`, in source order; [] when no source has it. */
export function sourcesInCategory(sources: ReadonlyMap<string, { config: FeedSourceConfig }>, category: string): string[] {
  const wanted = category.trim().toLowerCase();
  return [...sources.values()].filter((s) => (s.config.categories ?? []).some((c) => c.trim().toLowerCase() === wanted)).map((s) => s.config.id);
}

/**
 * The sources filter once a category is added to it: the category's sources, or (both given) the sources in
 * both. A string says why nothing can match (an unknown or empty category), for the caller's error.
 */
export function withCategory(
  sources: ReadonlyMap<string, { config: FeedSourceConfig }>,
  slugs: readonly string[],
  category: string | null | undefined,
): string[] | string {
  if (category === null || category === undefined) return [...slugs];
  if (category.trim() === "" || category.length > MAX_CATEGORY_CHARS) return `expected a category name of 1 to ${MAX_CATEGORY_CHARS} characters`;
  const inCategory = sourcesInCategory(sources, category);
  if (inCategory.length === 0) return `no source is in the category "${category.trim()}"`;
  const both = slugs.length ? inCategory.filter((s) => slugs.includes(s)) : inCategory;
  return both.length ? both : `none of the sources given is in the category "${category.trim()}"`;
}
