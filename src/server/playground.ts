import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { ApolloServerPlugin } from "@apollo/server";
import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import { writeTab } from "./playground-write-tab.js";

/**
 * GraphQL Playground served entirely by the gateway, so it works with no internet.
 *
 * `@apollo/server-plugin-landing-page-graphql-playground` only accepts Apollo Server 4, and its page loads
 * the React app from a CDN. We render the same page with its renderer, point `cdnUrl` at our own route,
 * and serve the three files it needs from the installed `@apollographql/graphql-playground-react` package.
 */
export const PLAYGROUND_PATH = "/playground";
export const PLAYGROUND_ASSETS = "/playground-assets";

const REACT_PACKAGE = "@apollographql/graphql-playground-react";
const require = createRequire(import.meta.url);
const packageDir = path.dirname(require.resolve(`${REACT_PACKAGE}/package.json`));

/** The only files the page loads, mapped to their content types. Nothing else under the package is served. */
const ASSETS: Record<string, string> = {
  "build/static/js/middleware.js": "application/javascript; charset=utf-8",
  "build/static/css/index.css": "text/css; charset=utf-8",
  "build/favicon.png": "image/png",
};

export const DEFAULT_PLAYGROUND_QUERY = `# The demo forum: boards, their latest threads and first posts.
{
  forums {
    name
    threads(first: 2) {
      edges {
        node {
          title
          posts(first: 3) {
            edges { node { author { name } bodyText } }
          }
        }
      }
    }
  }
}
`;

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
    tabs: [{ endpoint, query: DEFAULT_PLAYGROUND_QUERY, name: "Demo forum" }, writeTab(endpoint)],
  });
  // The page hard-codes a Google Fonts stylesheet; offline it only fails, online it leaks the visit. Drop it:
  // the Playground falls back to system fonts.
  return html.replace(/<link[^>]+fonts\.googleapis\.com[^>]*>/g, "");
}

/** Reads a Playground asset for a URL path under PLAYGROUND_ASSETS, or null when it is not one of ours. */
export async function readPlaygroundAsset(urlPath: string): Promise<{ body: Buffer; contentType: string } | null> {
  const prefix = `${PLAYGROUND_ASSETS}/${REACT_PACKAGE}/`;
  if (!urlPath.startsWith(prefix)) return null;
  const relative = urlPath.slice(prefix.length);
  const contentType = ASSETS[relative];
  if (!contentType) return null;
  return { body: await readFile(path.join(packageDir, relative)), contentType };
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
