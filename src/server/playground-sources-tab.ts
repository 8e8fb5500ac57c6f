/**
 * The Playground's "Add a source" tab: an addSource example (docs/sources/admin-api.md), with the admin token's
 * place in the HTTP HEADERS pane and the site's URL in QUERY VARIABLES.
 */
export const ADD_SOURCE_TAB_QUERY = `# Adding sources needs the admin token (adminToken in the config).
# Put it in the HTTP HEADERS pane below: {"Authorization": "Bearer <adminToken>"}
# The URL may be a feed or a web page: its feed is found (<link rel="alternate">, then /feed, /rss, ...).
# Several feeds on the page: they come back as candidates; add the one you want by its URL.
mutation AddSource($url: String!) {
  addSource(input: { url: $url, categories: ["World"] }) {
    source { slug name url kind categories origin health { status itemCount lastError } }
    candidates { url title format }
  }
}
`;

export const ADD_SOURCE_TAB_VARIABLES = { url: "https://www.example.org/" };

export function addSourceTab(endpoint: string) {
  return {
    endpoint, query: ADD_SOURCE_TAB_QUERY, name: "Add a source",
    variables: JSON.stringify(ADD_SOURCE_TAB_VARIABLES, null, 2),
    headers: { Authorization: "Bearer <paste the admin token here>" },
  };
}
