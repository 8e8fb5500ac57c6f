/**
 * The Playground's "Write a post" tab: a createPost example, with the user token's place in the HTTP HEADERS pane
 * (docs/writing.md). The thread is the demo forum's first one (global ID of Thread:local:1).
 */
export const WRITE_TAB_QUERY = `# Posting needs a user JWT from your auth provider (auth.* in the config).
# Put it in the HTTP HEADERS pane below: {"Authorization": "Bearer <JWT>"}
# Without one this answers UNAUTHENTICATED. Run it twice: the same clientMutationId writes once.
mutation WritePost {
  createPost(input: {
    threadId: "VGhyZWFkOmxvY2FsOjE"
    body: "Talks resume, says the live blog: https://www.meridian-news.example/liveblog/2026/11/20/ceasefire-talks-live?update=3241"
    clientMutationId: "playground-1"
  }) {
    post { position body author { username } }
    citations { canonicalUrl status article { title } }
    userErrors { code field message }
    clientMutationId
  }
}
`;

export function writeTab(endpoint: string) {
  return { endpoint, query: WRITE_TAB_QUERY, name: "Write a post", headers: { Authorization: "Bearer <paste a user JWT here>" } };
}
