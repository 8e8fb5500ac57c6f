import type { AuthorRecord, ForumRecord, PostRecord, ThreadRecord } from "../src/model/forum.js";
import { Author, Forum, Post, Thread } from "../schema/forum.js";
import { globalIds } from "../src/model/ids.js";
import { httpUrlOrNull } from "../src/urls/index.js";
import { deepFreeze } from "../src/db/read-cache.js";
import type { ArticleRecord, FeedSourceConfig, SourceHealthRecord } from "../src/model/news.js";
import { Article, FieldOrigin, Source, SourceOrigin, type FieldProvenance, type SourceKind } from "../schema/news.js";
import { Story } from "../schema/search.js";
import type { StoryRecord } from "../src/search/index.js";

/** Adapter records → schema objects, with global IDs carrying the source id. */

export function toForum(sourceId: string, r: ForumRecord): Forum {
  return Object.assign(new Forum(), {
    id: globalIds.forum(sourceId, r.id), sourceId, key: r.id,
    slug: r.slug, name: r.name, description: r.description, createdAt: r.createdAt,
  });
}

export function toThread(sourceId: string, r: ThreadRecord): Thread {
  return Object.assign(new Thread(), {
    id: globalIds.thread(sourceId, r.id), sourceId, key: r.id, forumKey: r.forumId, authorKey: r.authorId,
    title: r.title, createdAt: r.createdAt, lastPostedAt: r.lastPostedAt, pageUrl: httpUrlOrNull(r.url),
  });
}

export function toPost(sourceId: string, r: PostRecord): Post {
  return Object.assign(new Post(), {
    id: globalIds.post(sourceId, r.id), sourceId, key: r.id, threadKey: r.threadId, authorKey: r.authorId,
    rawHtml: r.bodyHtml, position: r.position, createdAt: r.createdAt, editedAt: r.editedAt, pageUrl: httpUrlOrNull(r.url),
  });
}

export function toAuthor(sourceId: string, r: AuthorRecord): Author {
  return Object.assign(new Author(), {
    id: globalIds.author(sourceId, r.id), sourceId, key: r.id, partial: r.partial ?? false,
    username: r.username, name: r.name, bio: r.bio, joinedAt: r.joinedAt,
  });
}

/**
 * `health` undefined: not loaded (a thread page's sources that select neither `kind` nor `health`); `kind`, which is the
 * format health detected, is then left for its field resolver to load (resolvers/sources.ts).
 */
export function toSource(config: FeedSourceConfig, health: SourceHealthRecord | null | undefined): Source {
  return Object.assign(new Source(), {
    id: globalIds.source(config.id), slug: config.id, name: config.name,
    kind: health === undefined ? undefined : sourceKind(config, health),
    url: httpUrlOrNull(config.url) ?? "", homepage: httpUrlOrNull(config.homepage), enabled: config.enabled, pollIntervalSeconds: config.pollIntervalSeconds,
    categories: config.categories ?? [], origin: config.origin === "STORED" ? SourceOrigin.STORED : SourceOrigin.CONFIG, readOnly: config.origin !== "STORED",
  });
}

/** The format the last successful poll detected, else the configured one. */
export const sourceKind = (config: FeedSourceConfig, health: SourceHealthRecord | null): SourceKind =>
  (health?.format ?? config.kind ?? "RSS") as SourceKind;

/**
 * The Article of a record. A frozen record is one the read cache shares across requests (src/db/read-cache.ts): its
 * Article is built once, frozen too, and shared with it (it dies with the record); any other record gets a new one.
 */
export function toArticle(r: ArticleRecord): Article {
  if (!Object.isFrozen(r)) return buildArticle(r);
  let article = sharedArticles.get(r);
  if (!article) sharedArticles.set(r, (article = deepFreeze(buildArticle(r))));
  return article;
}

const sharedArticles = new WeakMap<ArticleRecord, Article>();

function buildArticle(r: ArticleRecord): Article {
  const date = (v: string | null) => (v ? new Date(v) : null);
  return Object.assign(new Article(), {
    id: globalIds.article(r.key), key: r.key, rawSummary: r.summaryHtml, record: r, sourceIds: r.sourceIds,
    // Stored records are checked when written; records stored before that are checked here (src/urls).
    url: httpUrlOrNull(r.url), canonicalUrl: httpUrlOrNull(r.canonicalUrl), title: r.title, byline: r.author,
    publishedAt: date(r.publishedAt), updatedAt: date(r.updatedAt), imageUrl: httpUrlOrNull(r.imageUrl), categories: r.categories,
    provenance: provenanceOf(r),
  });
}

const ARTICLE_FIELDS = ["url", "title", "summaryHtml", "author", "publishedAt", "updatedAt", "imageUrl"] as const;

function provenanceOf(r: ArticleRecord): FieldProvenance[] {
  return ARTICLE_FIELDS.filter((f) => r[f] !== null).map((f) => ({
    // Named as the GraphQL field is (summaryHtml is `summary`, author is `byline`).
    field: f === "summaryHtml" ? "summary" : f === "author" ? "byline" : f,
    origin: (r.provenance?.[f] ?? "feed") === "page" ? FieldOrigin.PAGE : FieldOrigin.FEED,
  }));
}

export function toStory(r: StoryRecord): Story {
  return Object.assign(new Story(), {
    id: globalIds.story(r.id), key: r.id, sourceIds: r.sourceIds, title: r.title,
    articleCount: r.articleCount, sourceCount: r.sourceCount, postCount: r.postCount,
    firstPublishedAt: new Date(r.firstMs), lastPublishedAt: new Date(r.lastMs),
  });
}
