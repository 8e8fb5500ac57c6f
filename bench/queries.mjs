/** The GraphQL operations the bench sends, the same text to crosswire, the naive build and the floor. */

/** Scenarios 1, 2 and 6: a thread page, each post with its author and its citations resolved to articles and sources. */
export const THREAD_PAGE = `query BenchThread($id: ID!, $first: Int!) {
  thread(id: $id) {
    id
    title
    createdAt
    posts(first: $first) {
      totalCount
      edges {
        node {
          id
          position
          createdAt
          author { id name username }
          citations {
            url
            canonicalUrl
            article { id title publishedAt sources { id slug name } }
          }
        }
      }
    }
  }
}`;

/** Scenario 3: a thread whose posts cite pages no feed carries, so each citation is unfurled. */
export const CITED_PAGES = `query BenchCitations($id: ID!) {
  thread(id: $id) { posts(first: 50) { edges { node { citations { status article { title } } } } } }
}`;

export const threadId = (key) => Buffer.from(`Thread:local:${key}`, "utf8").toString("base64url");
