import type { DiscourseClient } from "./client.js";
import { CategoriesWire, type CategoryWire } from "./wire.js";

/**
 * Every category of a Discourse site, read the way CategoryList (app/models/category_list.rb) answers:
 *
 * - unpaginated (most sites): everything on page 1, children nested in their parent's `subcategory_list` and
 *   a third level nested inside those; a page > 1 is empty;
 * - paginated (lazy_load_categories, or more than 1 000 categories): 20 top-level categories a page, each
 *   followed by at most 5 of its children, flat, no `subcategory_list`; `subcategory_ids` names them all.
 *   Children not listed are read with `parent_category_id=` (paged the same way).
 */
export interface ListedCategory {
  wire: CategoryWire;
  /** The slug path, e.g. "support/android": unique on the site (two parents may each have a child "android"). */
  slugPath: string;
  /** Topic counts of the category and all its descendants (a category's topic list includes its children's). */
  topicCountWithChildren: number | null;
}

/** Top-level categories per page of a paginated category list (CategoryList::CATEGORIES_PER_PAGE). */
const CATEGORIES_PER_PAGE = 20;
/** Most /categories.json requests one read makes (20 pages of 20 top-level categories and their children). */
const MAX_REQUESTS = 40;

export async function readCategories(client: DiscourseClient): Promise<ListedCategory[]> {
  const byId = new Map<number, CategoryWire>();
  const add = (c: CategoryWire, parent: number | null) => {
    if (!byId.has(c.id)) byId.set(c.id, { ...c, parent_category_id: c.parent_category_id ?? parent });
    for (const child of c.subcategory_list ?? []) add(child, c.id);
  };
  let requests = 0;
  const readPages = async (query: string, parent: number | null) => {
    for (let page = 1; requests < MAX_REQUESTS; page++) {
      requests += 1;
      const answer = await client.get(`/categories.json?include_subcategories=true${query}${page > 1 ? `&page=${page}` : ""}`, CategoriesWire);
      const categories = answer?.data.category_list.categories ?? [];
      for (const c of categories) add(c, parent);
      // A full page of top-level categories may have a next one; an unpaginated site answers page 2 empty.
      const topLevel = categories.filter((c) => (c.parent_category_id ?? parent) === parent).length;
      if (topLevel < CATEGORIES_PER_PAGE) return;
    }
  };
  await readPages("", null);
  // Children a paginated list left out (more than 5 per parent, or a third level), each parent read once.
  const done = new Set<number>();
  const missing = () => [...byId.values()].filter((c) => !done.has(c.id) && (c.subcategory_ids ?? []).some((child) => !byId.has(child)));
  for (let pending = missing(); pending.length > 0 && requests < MAX_REQUESTS; pending = missing()) {
    for (const parent of pending) {
      if (requests >= MAX_REQUESTS) break;
      done.add(parent.id);
      await readPages(`&parent_category_id=${parent.id}`, parent.id);
    }
  }
  return [...byId.values()].map((wire) => ({ wire, slugPath: slugPath(wire, byId), topicCountWithChildren: countWithChildren(wire, byId) }));
}

function slugPath(c: CategoryWire, byId: Map<number, CategoryWire>): string {
  const parts = [c.slug];
  const seen = new Set([c.id]);
  for (let p = c.parent_category_id; p != null && !seen.has(p); ) {
    const parent = byId.get(p);
    if (!parent) break;
    parts.unshift(parent.slug);
    seen.add(p);
    p = parent.parent_category_id;
  }
  return parts.join("/");
}

function countWithChildren(c: CategoryWire, byId: Map<number, CategoryWire>, seen = new Set<number>()): number | null {
  if (c.topic_count === undefined) return null;
  seen.add(c.id);
  let total = c.topic_count;
  for (const child of byId.values()) {
    if (child.parent_category_id === c.id && !seen.has(child.id)) total += countWithChildren(child, byId, seen) ?? 0;
  }
  return total;
}
