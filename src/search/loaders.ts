import DataLoader from "dataloader";
import type { Page, PageRequest } from "../model/paging.js";
import type {
  RelatedRecord, RelatedRequest, SearchIndex, SearchPage, SearchRequest, StoriesRequest, StoryRecord, ThreadRef,
} from "./index.js";

/** Per-request loaders over the search index: one statement per batch, whatever the number of keys. */
export interface SearchLoaders {
  search: DataLoader<SearchRequest, SearchPage, string>;
  story: DataLoader<string, StoryRecord | null>;
  /** Article key → its story (null until grouping has seen the article). */
  storyByArticle: DataLoader<string, StoryRecord | null>;
  storyArticles: DataLoader<PageRequest, Page<string>, string>;
  storyThreads: DataLoader<PageRequest, Page<ThreadRef>, string>;
  stories: DataLoader<StoriesRequest, Page<StoryRecord>, string>;
  related: DataLoader<RelatedRequest, RelatedRecord[], string>;
}

export interface SearchLoaderOptions {
  batch?: boolean;
  onBatch?: (loader: string, size: number) => void;
}

const json = (value: unknown) => JSON.stringify(value);

export function createSearchLoaders(index: SearchIndex, options: SearchLoaderOptions = {}): SearchLoaders {
  const batch = options.batch ?? true;
  const measured = <K, V>(name: string, fn: (keys: readonly K[]) => Promise<V>) => (keys: readonly K[]) => {
    options.onBatch?.(name, keys.length);
    return fn(keys);
  };
  const story = new DataLoader<string, StoryRecord | null>(measured("story", (ids) => index.storiesByIds(ids)), { batch });
  // Stories that arrive with another lookup are primed, so `story { … }` after them costs no statement.
  const priming = <K, V>(fn: (keys: readonly K[]) => Promise<Array<V | Error>>, storiesOf: (value: V) => Array<StoryRecord | null>) =>
    async (keys: readonly K[]) => {
      const values = await fn(keys);
      for (const v of values) if (!(v instanceof Error)) for (const s of storiesOf(v)) if (s) story.prime(s.id, s);
      return values;
    };
  return {
    search: new DataLoader(measured("search", (r: readonly SearchRequest[]) => index.search(r)), { batch, cacheKeyFn: json }),
    story,
    storyByArticle: new DataLoader(
      measured("storyByArticle", priming((keys: readonly string[]) => index.storiesByArticles(keys), (s: StoryRecord | null) => [s])),
      { batch },
    ),
    storyArticles: new DataLoader(measured("storyArticles", (r: readonly PageRequest[]) => index.storyArticlePages(r)), { batch, cacheKeyFn: json }),
    storyThreads: new DataLoader(measured("storyThreads", (r: readonly PageRequest[]) => index.storyThreadPages(r)), { batch, cacheKeyFn: json }),
    stories: new DataLoader(
      measured("stories", priming((r: readonly StoriesRequest[]) => index.storyPages(r), (p: Page<StoryRecord>) => p.edges.map((e) => e.node))),
      { batch, cacheKeyFn: json },
    ),
    related: new DataLoader(measured("related", (r: readonly RelatedRequest[]) => index.relatedArticles(r)), { batch, cacheKeyFn: json }),
  };
}
