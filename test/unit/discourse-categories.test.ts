import { describe, expect, it } from "vitest";
import type { DiscourseClient } from "../../sources/forum-discourse/client.js";
import { readCategories } from "../../sources/forum-discourse/categories.js";

/**
 * Category lists in the two shapes CategoryList (app/models/category_list.rb) answers. The shapes are derived from
 * that code (no recording has a third level or a paginated list); field names are Discourse's.
 */
const cat = (id: number, slug: string, extra: Record<string, unknown> = {}) => ({ id, name: slug, slug, topic_count: 1, read_restricted: false, ...extra });

function clientAnswering(answers: Record<string, unknown>): DiscourseClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async get(path, schema) {
      asked.push(path);
      const body = answers[path] ?? { category_list: { categories: [] } };
      return { data: schema.parse(body), fetched: true };
    },
  };
}

describe("forum-discourse: reading a site's categories", () => {
  it("lists third-level categories nested in subcategory_list, and gives two children with one slug distinct slug paths", async () => {
    const client = clientAnswering({
      "/categories.json?include_subcategories=true": { category_list: { categories: [
        cat(1, "support", { subcategory_list: [cat(11, "android", { subcategory_list: [cat(111, "tablets")] })] }),
        cat(2, "feedback", { subcategory_list: [cat(21, "android")] }),
      ] } },
    });
    const listed = await readCategories(client);
    expect(listed.map((c) => [c.wire.id, c.slugPath])).toEqual([
      [1, "support"], [11, "support/android"], [111, "support/android/tablets"], [2, "feedback"], [21, "feedback/android"],
    ]);
    // A category's topic list includes its descendants' topics: so does its count.
    expect(listed.find((c) => c.wire.id === 1)!.topicCountWithChildren).toBe(3);
    expect(client.asked).toHaveLength(1); // fewer than 20 top-level categories: no second page asked
  });

  it("reads every page of a paginated list, and the children the pages leave out by parent_category_id", async () => {
    const top = Array.from({ length: 20 }, (_, i) => cat(100 + i, `c${i}`));
    const client = clientAnswering({
      "/categories.json?include_subcategories=true": { category_list: { categories: [
        ...top.map((c, i) => (i === 0 ? { ...c, subcategory_ids: [500, 501] } : c)),
        cat(500, "first-child", { parent_category_id: 100 }),
      ] } },
      "/categories.json?include_subcategories=true&page=2": { category_list: { categories: [cat(200, "last-top")] } },
      "/categories.json?include_subcategories=true&parent_category_id=100": { category_list: { categories: [
        cat(500, "first-child", { parent_category_id: 100 }), cat(501, "sixth-child", { parent_category_id: 100 }),
      ] } },
    });
    const listed = await readCategories(client);
    const ids = listed.map((c) => c.wire.id);
    expect(ids).toContain(200);
    expect(ids).toContain(501);
    expect(listed.find((c) => c.wire.id === 501)!.slugPath).toBe("c0/sixth-child");
    expect(client.asked).toEqual([
      "/categories.json?include_subcategories=true",
      "/categories.json?include_subcategories=true&page=2",
      "/categories.json?include_subcategories=true&parent_category_id=100",
    ]);
  });
});
