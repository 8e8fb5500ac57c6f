import { toDict } from "../model/dict.js";
import type Keyv from "keyv";
import type { CitationRecord, CitedUrlRecord, PostRecord } from "../model/forum.js";
import type { Page, PageRequest } from "../model/paging.js";
import { localExclusive, type Exclusive } from "../cluster/lock.js";
import { extractLinks } from "../urls/index.js";
import { compareKeys, pageOf } from "./paging.js";

/**
 * The posts a remote forum source has seen, kept in the gateway's keyv (so gateways sharing a Redis share
 * them): each post with its citations, and the lists forum-local answers with SQL: posts citing a URL,
 * stories a thread cites, posts by an author, the newest posts. forum-feed keeps its whole forum here;
 * forum-discourse keeps what it has fetched, which is all it can know about who cites what.
 *
 * Lists are read-modify-write, so `put` runs under `exclusive`: one writer per source, in this process by
 * default, across processes with the cluster's Redis lock (createForumSources passes one named per source).
 * The lists are written before the post records, so a put that fails half-way is repaired by the next put
 * of the same posts (they are still new to the index).
 */
interface StoredPost {
  id: string;
  threadId: string;
  authorId: string;
  position: number;
  bodyHtml: string;
  createdAt: string;
  editedAt: string | null;
  citations: CitationRecord[];
  /** The post's page on the forum (forum-feed's entry link); absent in posts stored before it was kept. */
  url?: string | null;
  /** When the source last handed this post over (forum-discourse refetches after its cache TTL). */
  seenAt: string;
}

/**
 * How a remote forum source reports posts it learned of that are new to the gateway (the composition root
 * passes live.events.postsAdded). Each post carries its thread id and citations.
 */
export type PostsAddedHook = (sourceId: string, posts: readonly PostRecord[]) => void;

/** [createdAt ISO, post id], newest first. */
type Entry = [string, string];

/** Lists keep at most this many newest entries (a URL cited by more posts lists the newest). */
const LIST_CAP = 2000;

export class PostIndex {
  constructor(
    private readonly keyv: Keyv,
    readonly sourceId: string,
    private readonly now: () => Date = () => new Date(),
    private readonly exclusive: Exclusive = localExclusive(),
  ) {}

  private key(name: string): string {
    return `forum:${this.sourceId}:${name}`;
  }

  /**
   * Stores posts (citations are extracted here when the record has none) and updates every list they are in.
   * Resolves with the posts this index had never held (with their citations): what forum-feed reports as new.
   */
  put(posts: readonly PostRecord[]): Promise<PostRecord[]> {
    if (posts.length === 0) return Promise.resolve([]);
    const seenAt = this.now().toISOString();
    const stored: StoredPost[] = posts.map((p) => ({
      id: p.id, threadId: p.threadId, authorId: p.authorId, position: p.position, bodyHtml: p.bodyHtml,
      createdAt: p.createdAt.toISOString(), editedAt: p.editedAt ? p.editedAt.toISOString() : null,
      citations: p.citations ?? extractLinks(p.bodyHtml), seenAt, url: p.url ?? null,
    }));
    return this.exclusive(async () => {
      const before = await this.keyv.getMany<StoredPost>(stored.map((p) => this.key(`post:${p.id}`)));
      const writePosts = () => this.keyv.setMany(stored.map((p) => ({ key: this.key(`post:${p.id}`), value: p })));
      const fresh = stored.filter((_, i) => !before[i]).map(toRecord);
      const changed = stored
        .map((post, i) => ({ post, old: before[i] ?? null }))
        .filter(({ post, old }) => !old || old.createdAt !== post.createdAt || old.threadId !== post.threadId || old.authorId !== post.authorId || !sameCitations(old.citations, post.citations));
      if (changed.length === 0) {
        await writePosts();
        return fresh;
      }

      const lists = new Map<string, Entry[]>();
      const list = async (name: string) => {
        let found = lists.get(name);
        if (!found) {
          found = (await this.keyv.get<Entry[]>(this.key(name))) ?? [];
          lists.set(name, found);
        }
        return found;
      };
      const threadCites = new Map<string, Record<string, string[]>>();
      for (const { post, old } of changed) {
        const entry: Entry = [post.createdAt, post.id];
        for (const url of old?.citations ?? []) remove(await list(`cites:${url.canonicalUrl}`), post.id);
        for (const url of post.citations) insert(await list(`cites:${url.canonicalUrl}`), entry);
        if (old && old.authorId !== post.authorId) remove(await list(`author-posts:${old.authorId}`), post.id);
        insert(await list(`author-posts:${post.authorId}`), entry);
        insert(await list("recent"), entry);
        if (old && old.threadId !== post.threadId) (await this.threadCitations(threadCites, old.threadId))[post.id] = [];
        (await this.threadCitations(threadCites, post.threadId))[post.id] = post.citations.map((c) => c.canonicalUrl);
      }
      await this.keyv.setMany([
        ...[...lists].map(([name, entries]) => ({ key: this.key(name), value: entries.slice(0, LIST_CAP) })),
        ...[...threadCites].map(([threadId, byPost]) => ({ key: this.key(`thread-cites:${threadId}`), value: byPost })),
      ]);
      // Last: a post record exists only once its lists hold it.
      await writePosts();
      return fresh;
    });
  }

  private async threadCitations(cache: Map<string, Record<string, string[]>>, threadId: string): Promise<Record<string, string[]>> {
    let found = cache.get(threadId);
    if (!found) {
      found = toDict(await this.keyv.get<Record<string, string[]>>(this.key(`thread-cites:${threadId}`)));
      cache.set(threadId, found);
    }
    return found;
  }

  /** Posts by id, in order; null for a post never seen. `maxAgeMs` treats posts seen longer ago as unseen. */
  async posts(ids: readonly string[], maxAgeMs?: number): Promise<Array<PostRecord | null>> {
    if (ids.length === 0) return [];
    const values = await this.keyv.getMany<StoredPost>(ids.map((id) => this.key(`post:${id}`)));
    const oldest = maxAgeMs === undefined ? -Infinity : this.now().getTime() - maxAgeMs;
    return values.map((v) => (v && Date.parse(v.seenAt) >= oldest ? toRecord(v) : null));
  }

  /** Citations of each post; a post never seen cites nothing the gateway knows of. */
  async citations(ids: readonly string[]): Promise<CitationRecord[][]> {
    return (await this.posts(ids)).map((p) => p?.citations ?? []);
  }

  citingPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    return this.pages(requests, (parentId) => `cites:${parentId}`);
  }

  authorPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    return this.pages(requests, (parentId) => `author-posts:${parentId}`);
  }

  recentPages(requests: readonly PageRequest[]): Promise<Array<Page<PostRecord> | Error>> {
    return this.pages(requests, () => "recent");
  }

  /** Stories each thread cites, most-cited first (ties: first cited first). */
  async citedUrlsByThread(requests: readonly PageRequest[]): Promise<CitedUrlRecord[][]> {
    const maps = await this.keyv.getMany<Record<string, string[]>>(requests.map((r) => this.key(`thread-cites:${r.parentId}`)));
    return requests.map((r, i) => {
      const counts = new Map<string, number>();
      for (const urls of Object.values(maps[i] ?? {})) for (const url of urls) counts.set(url, (counts.get(url) ?? 0) + 1);
      return [...counts]
        .map(([canonicalUrl, postCount]) => ({ canonicalUrl, postCount }))
        .sort((a, b) => b.postCount - a.postCount)
        .slice(0, r.first ?? 20);
    });
  }

  /** Posts the index holds (the length of the newest-posts list, capped). */
  async count(): Promise<number> {
    return ((await this.keyv.get<Entry[]>(this.key("recent"))) ?? []).length;
  }

  private async pages(requests: readonly PageRequest[], listName: (parentId: string) => string): Promise<Array<Page<PostRecord> | Error>> {
    const names = requests.map((r) => listName(r.parentId));
    const lists = await this.keyv.getMany<Entry[]>(names.map((n) => this.key(n)));
    const pages = requests.map((request, i) => {
      try {
        return pageOf(lists[i] ?? [], request, (e) => [e[0], e[1]], ["string", "string"], "DESC");
      } catch (err) {
        return err as Error;
      }
    });
    const ids = [...new Set(pages.flatMap((p) => (p instanceof Error ? [] : p.edges.map((e) => e.node[1]))))];
    const posts = new Map((await this.posts(ids)).filter((p): p is PostRecord => p !== null).map((p) => [p.id, p]));
    return pages.map((page) => {
      if (page instanceof Error) return page;
      const edges = page.edges.flatMap((e) => {
        const node = posts.get(e.node[1]);
        return node ? [{ node, cursor: e.cursor }] : [];
      });
      return { ...page, edges };
    });
  }
}

function toRecord(v: StoredPost): PostRecord {
  return {
    id: v.id, threadId: v.threadId, authorId: v.authorId, position: v.position, bodyHtml: v.bodyHtml,
    createdAt: new Date(v.createdAt), editedAt: v.editedAt ? new Date(v.editedAt) : null, citations: v.citations,
    url: v.url ?? null,
  };
}

function sameCitations(a: CitationRecord[], b: CitationRecord[]): boolean {
  return a.length === b.length && a.every((c, i) => c.canonicalUrl === b[i]!.canonicalUrl && c.url === b[i]!.url);
}

/** Inserts keeping newest-first order (by time, then id); replaces an entry for the same post. */
function insert(list: Entry[], entry: Entry): void {
  remove(list, entry[1]);
  let i = 0;
  while (i < list.length && compareKeys(list[i]!, entry) > 0) i += 1;
  list.splice(i, 0, entry);
}

function remove(list: Entry[], postId: string): void {
  const at = list.findIndex((e) => e[1] === postId);
  if (at >= 0) list.splice(at, 1);
}
