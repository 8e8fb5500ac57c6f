import { readFile } from "node:fs/promises";
import type { ApolloServerPlugin } from "@apollo/server";
import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import { fromRoot } from "../paths.js";
import { writeTab } from "./playground-write-tab.js";
import { addSourceTab } from "./playground-sources-tab.js";

/**
 * GraphQL Playground served entirely by the gateway, so it works with no internet.
 *
 * `@apollo/server-plugin-landing-page-graphql-playground` only accepts Apollo Server 4, and its page loads
 * the React app from a CDN. We render the same page with its renderer, point `cdnUrl` at our own route,
 * and serve the three files it needs, vendored from `@apollographql/graphql-playground-react` in
 * assets/playground (SOURCES.md there says why and from which version).
 */
export const PLAYGROUND_PATH = "/playground";
export const PLAYGROUND_ASSETS = "/playground-assets";

/** The page asks for its files under the package's name, as it would from a CDN. */
const REACT_PACKAGE = "@apollographql/graphql-playground-react";

/** The only files the page loads: URL path under the package → vendored file and content type. */
const ASSETS: Record<string, { file: string; contentType: string }> = {
  "build/static/js/middleware.js": { file: "middleware.js", contentType: "application/javascript; charset=utf-8" },
  "build/static/css/index.css": { file: "index.css", contentType: "text/css; charset=utf-8" },
  "build/favicon.png": { file: "favicon.png", contentType: "image/png" },
};

/** The thread of the demo forum whose posts cite the demo feeds' stories (global ID of local thread 1). */
const DEMO_THREAD = "VGhyZWFkOmxvY2FsOjE";

/**
 * The tabs the Playground opens with: what crosswire is for (a thread with the news it cites), search, and a
 * live subscription. Each runs on a fresh gateway with the demo data.
 */
export const PLAYGROUND_TABS: ReadonlyArray<{ name: string; query: string }> = [
  {
    name: "Thread with its news",
    query: `# A forum thread, each post with the news stories it cites, and the stories the thread cites most.
query ThreadWithNews {
  thread(id: "${DEMO_THREAD}") {
    title
    url
    forum { name }
    citedArticles(first: 3) { citationCount article { title sources { name } } }
    posts(first: 5) {
      nodes {
        position
        author { name }
        bodyText
        citations {
          url
          status
          article { title byline publishedAt sources { name } story { title sourceCount } }
        }
      }
    }
  }
}
`,
  },
  {
    name: "Search",
    query: `# Full-text search over posts, threads and articles; \`title\` and \`url\` mean the same on every kind.
query Search {
  search(query: "truce talks", first: 5) {
    totalCount
    edges {
      score
      snippet
      node {
        __typename
        ... on Article { title url sources { name } }
        ... on Thread { title url }
        ... on Post { url author { name } thread { title } }
      }
    }
  }
}
`,
  },
  {
    name: "Live: new articles",
    query: `# Runs until stopped: one result per article a source stores for the first time
# (sources are polled every pollIntervalSeconds; the admin mutation refreshSource polls one now).
subscription NewArticles {
  articleAdded {
    title
    url
    publishedAt
    sources { name }
  }
}
`,
  },
];

/** The first tab's query (the page's default). */
export const DEFAULT_PLAYGROUND_QUERY = PLAYGROUND_TABS[0]!.query;

const CONFIG_PARSE = "JSON.parse(configText)";

export function renderPlayground(endpoint: string): string {
  const html = renderPlaygroundPage({
    endpoint,
    cdnUrl: PLAYGROUND_ASSETS,
    version: "",
    title: "crosswire · GraphQL Playground",
    faviconUrl: `${PLAYGROUND_ASSETS}/${REACT_PACKAGE}/build/favicon.png`,
    settings: {
      "request.credentials": "same-origin",
      "schema.polling.enable": false,
      "editor.reuseHeaders": true,
      "tracing.hideTracingResponse": true,
    },
    tabs: [...PLAYGROUND_TABS.map((tab) => ({ endpoint, name: tab.name, query: tab.query })), writeTab(endpoint), addSourceTab(endpoint)],
  });
  // The Playground needs an absolute ws:// URL for subscriptions, and only the browser knows the host it reached
  // the gateway by (a proxy may stand between): the page's own init script computes it from location.
  if (!html.includes(CONFIG_PARSE)) throw new Error(`the Playground page no longer parses its config with ${CONFIG_PARSE}: update renderPlayground`);
  const withSubscriptions = html.replace(
    CONFIG_PARSE,
    `Object.assign(${CONFIG_PARSE}, { subscriptionEndpoint: location.origin.replace(/^http/, "ws") + ${JSON.stringify(endpoint)} })`,
  );
  // The page hard-codes a Google Fonts stylesheet; offline it only fails, online it leaks the visit. Drop it:
  // the Playground falls back to system fonts.
  return withSubscriptions.replace(/<link[^>]+fonts\.googleapis\.com[^>]*>/g, "");
}

/** Reads a Playground asset for a URL path under PLAYGROUND_ASSETS, or null when it is not one of ours. */
export async function readPlaygroundAsset(urlPath: string): Promise<{ body: Buffer; contentType: string } | null> {
  const prefix = `${PLAYGROUND_ASSETS}/${REACT_PACKAGE}/`;
  if (!urlPath.startsWith(prefix)) return null;
  const relative = urlPath.slice(prefix.length);
  const asset = Object.hasOwn(ASSETS, relative) ? ASSETS[relative] : undefined;
  if (!asset) return null;
  return { body: await readFile(fromRoot("assets", "playground", asset.file)), contentType: asset.contentType };
}

/** Makes the Playground the landing page Apollo Server shows a browser that GETs /graphql. */
export function playgroundLandingPage(endpoint: string): ApolloServerPlugin {
  const html = renderPlayground(endpoint);
  return {
    async serverWillStart() {
      return { async renderLandingPage() { return { html }; } };
    },
  };
}
