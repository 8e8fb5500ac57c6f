import { BadUserInputError } from "../../src/model/errors.js";
import { CursorMismatchError, type Page, type PageRequest } from "../../src/model/paging.js";
import type { PostRecord } from "../../src/model/forum.js";
import type { DiscourseClient } from "./client.js";
import { PostsWire, type PostWire, type TopicWire } from "./wire.js";

export interface MegaTopicDeps {
  client: DiscourseClient;
  /** Posts as indexed records (without a stream: positions are post_numbers; small actions left out). */
  indexPosts(posts: PostWire[], stream: undefined): Promise<PostRecord[]>;
}

export function createMegaTopicPager(deps: MegaTopicDeps): (t: TopicWire, request: PageRequest) => Promise<Page<PostRecord>> {
  const { client, indexPosts } = deps;
  /**
   * A page of a mega topic (no `stream`): forwards by post_number windows, as Discourse's client appends
   * (post-stream.js fetchNextWindow: /t/{id}/posts.json?post_number=<last loaded>&asc=true answers the next
   * chunk_size posts after it). Positions and cursors are post_numbers: without the stream the place of a
   * post among the topic's 10 000+ is not known.
   */
  async function megaTopicPage(t: TopicWire, request: PageRequest): Promise<Page<PostRecord>> {
    if (request.last !== undefined || request.before !== undefined) {
      throw new BadUserInputError("last", "posts of a Discourse mega topic (10 000+ posts) page forwards only: use `first` and `after`");
    }
    if (request.after && (request.after.length !== 1 || typeof request.after[0] !== "number")) throw new CursorMismatchError("after");
    const after = request.after ? (request.after[0] as number) : 0;
    const first = request.first ?? 20;
    const highest = t.highest_post_number ?? Number.MAX_SAFE_INTEGER;
    const collected = new Map<number, PostRecord>();
    const take = async (posts: PostWire[]) => {
      for (const record of await indexPosts(posts.filter((p) => p.post_number > after), undefined)) collected.set(record.position, record);
    };
    await take(t.post_stream.posts);
    let last = Math.max(after, ...t.post_stream.posts.map((p) => p.post_number));
    let ended = last >= highest;
    // Each window answers chunk_size (20) posts: enough windows for first + 1 posts, and two for gaps.
    const maxWindows = Math.ceil((first + 1) / (t.chunk_size ?? 20)) + 2;
    for (let w = 0; !ended && collected.size < first + 1 && w < maxWindows; w++) {
      const answer = await client.get(`/t/${t.id}/posts.json?post_number=${last}&asc=true`, PostsWire);
      const posts = answer?.data.post_stream.posts ?? [];
      await take(posts);
      const next = Math.max(last, ...posts.map((p) => p.post_number));
      ended = posts.length === 0 || next <= last || next >= highest;
      last = next;
    }
    const ordered = [...collected.values()].sort((a, b) => a.position - b.position);
    const window = ordered.slice(0, first);
    return {
      edges: window.map((node) => ({ node, cursor: [node.position] })),
      hasNextPage: ordered.length > first || !ended,
      hasPreviousPage: after > 0,
      totalCount: t.posts_count,
    };
  }

  return megaTopicPage;
}
