import { BadUserInputError } from "../../src/model/errors.js";
import { CursorMismatchError, type Page, type PageRequest } from "../../src/model/paging.js";
import type { ForumRecord, ThreadRecord } from "../../src/model/forum.js";
import { SITE_FORUM, toListedThread, toThread, type ListedThread } from "./adapt.js";
import type { DiscourseClient } from "./client.js";
import { TopicListWire, type BasicUser, type TopicWire } from "./wire.js";

/** Most topic-list pages one thread page reads while topics of unlisted categories are skipped. */
const MAX_LIST_PAGES = 10;

export interface ListedCategory {
  record: ForumRecord;
  /** The slug Discourse routes /c/{slug}/{id}.json by. */
  slug: string;
  topicCount: number | null;
}

export interface ThreadListDeps {
  client: DiscourseClient;
  categories(): Promise<Map<string, ListedCategory>>;
  rememberAuthors(users: Array<{ username: string; name?: string | null | undefined }>): Promise<void>;
  topic(topicId: string): Promise<TopicWire | null>;
}

/** Forum.threads of a Discourse forum: its topic list, paged as the site pages it. */
export function createThreadLister(deps: ThreadListDeps): (request: PageRequest) => Promise<Page<ThreadRecord>> {
  const { client, categories, rememberAuthors, topic } = deps;
  /** Topics per page of the site's topic lists (its per_page; Discourse's default until an answer says). */
  let topicsPerPage = 30;
  /**
   * Threads of a forum: Discourse's topic list (/c/{slug}/{id}.json, /latest.json), paged by `per_page`.
   * Cursors are offsets in Discourse's list. Topics of categories the gateway does not serve are skipped
   * before the page is cut, so a page is short only when the list ends (or after MAX_LIST_PAGES pages of
   * skipped topics).
   */
  async function threadPage(request: PageRequest): Promise<Page<ThreadRecord>> {
    if (request.last !== undefined || request.before !== undefined) {
      throw new BadUserInputError("last", "threads of a Discourse forum page forwards only: use `first` and `after`");
    }
    const cats = await categories();
    const category = request.parentId === SITE_FORUM ? null : cats.get(request.parentId);
    if (request.parentId !== SITE_FORUM && !category) return { edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 };
    const path = category ? `/c/${encodeURIComponent(category.slug)}/${category.record.id}.json` : "/latest.json";
    if (request.after && (request.after.length !== 1 || typeof request.after[0] !== "number")) throw new CursorMismatchError("after");
    const offset = request.after ? (request.after[0] as number) + 1 : 0;
    const first = request.first ?? 20;
    let page = Math.floor(offset / topicsPerPage);
    let base: number | null = null;
    let resized = false;
    let read = 0;
    let rawCount = 0;
    const served: Array<{ node: ListedThread; at: number }> = [];
    let more = true;
    const wanted = () => served.filter((r) => r.at >= offset).length;
    while (more && wanted() < first + 1 && read < MAX_LIST_PAGES) {
      const answer = await client.get(`${path}${page ? `?page=${page}` : ""}`, TopicListWire);
      read += 1;
      if (!answer) break;
      const list = answer.data.topic_list;
      if (base === null && list.per_page && list.per_page !== topicsPerPage) {
        topicsPerPage = list.per_page;
        // The first page read was chosen with the wrong size: start again at the page holding `offset`.
        if (!resized && Math.floor(offset / topicsPerPage) !== page) {
          resized = true;
          page = Math.floor(offset / topicsPerPage);
          continue;
        }
      }
      base ??= page * topicsPerPage;
      const users = new Map((answer.data.users ?? []).map((u) => [u.id, u] as [number, BasicUser]));
      if (answer.fetched) {
        // A latest poster the list's `users` leaves out is known by username only (what a thread may credit).
        const named = new Set((answer.data.users ?? []).map((u) => u.username.toLowerCase()));
        const latest = list.topics.flatMap((t) => (t.last_poster_username && !named.has(t.last_poster_username.toLowerCase()) ? [{ username: t.last_poster_username }] : []));
        await rememberAuthors([...latest, ...(answer.data.users ?? [])]);
      }
      list.topics.forEach((t, i) => {
        const node = toListedThread(t, users);
        if (cats.has(node.forumId)) served.push({ node, at: base! + rawCount + i });
      });
      rawCount += list.topics.length;
      more = Boolean(list.more_topics_url) && list.topics.length > 0;
      page += 1;
    }
    const rows = served.filter((r) => r.at >= offset);
    const window = rows.slice(0, first);
    const edges = (await Promise.all(window.map(async ({ node, at }) => {
      const withCreator = await withAuthor(node, topic);
      return withCreator ? [{ node: withCreator, cursor: [at] }] : [];
    }))).flat();
    // Pages before the first one read are taken as all served. Discourse's topic_count is refreshed by a daily
    // job (a list of 2 topics said 0) and leaves out nothing else: while the list goes on, it is a floor.
    const counted = (base ?? 0) + served.length;
    const totalCount = more ? Math.max(category?.topicCount ?? 0, counted + 1) : counted;
    return { edges, hasNextPage: rows.length > first || more, hasPreviousPage: offset > 0, totalCount };
  }

  return threadPage;
}

/**
 * A listed topic whose original poster the list does not name: the topic itself says who created it. A
 * topic whose view cannot be read (404, 403) is left out, as Thread lookups by id answer it null.
 */
async function withAuthor(node: ListedThread, topic: ThreadListDeps["topic"]): Promise<ThreadRecord | null> {
  if (node.authorId !== null) return { ...node, authorId: node.authorId };
  const t = await topic(node.id);
  return t ? { ...node, authorId: toThread(t).authorId } : null;
}
