import { createModifiedClock } from "./modified.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GraphQLSchema } from "graphql";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import type { Logger } from "../logger.js";
import { sendText } from "../http/messages.js";
import { forumFeed, sourceFeed, threadFeed } from "./feeds.js";
import { CONTENT_TYPES, sendRepresentation, type Representation } from "./http.js";
import { FeedHttpError, type FeedDocument, type FeedFormat } from "./model.js";
import { compileOperations, operationFeed, type CompiledOperation } from "./operations.js";
import { sourcesOpml } from "./opml.js";
import { RENDERER_VERSION, renderFeed, type RenderOptions } from "./render.js";
import { riverFeed } from "./river.js";
import { parseRoute, type Route } from "./routes.js";

/** What the syndication routes need: the same per-request context (loaders) as GraphQL, so there is one data path. */
export interface SyndicationDeps {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  /** A fresh per-request context, exactly as a GraphQL request gets. */
  newContext(): Context;
}

export interface Syndication {
  /** Answers GET/HEAD requests under /feeds/; resolves false when the path is not one of its routes' prefix. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export { feedLinks, feedPath } from "./links.js";
export type { FeedLinks } from "./model.js";

/**
 * RSS 2.0, Atom 1.0 and JSON Feed 1.1 for threads, boards, sources, the river and saved queries, and the sources as
 * OPML (routes.ts has the URL grammar). Throws ConfigError at start for a saved query that does not compile.
 */
export function createSyndication(deps: SyndicationDeps): Syndication {
  const { config } = deps;
  const operations = compileOperations(deps.schema, config.syndication.operations);
  // The OPML list changes only with the configuration, i.e. on restart: its date is the start time.
  const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);

  const modified = createModifiedClock();

  async function represent(route: Route): Promise<Representation> {
    const ctx = deps.newContext();
    if (route.kind === "opml") {
      // Small and configuration-only: rendered eagerly, its ETag covers the body itself.
      const body = sourcesOpml(ctx, startedAt);
      return { body: () => body, contentType: CONTENT_TYPES.opml, validator: `/feeds/sources.opml\n${body}`, lastModified: startedAt };
    }
    const doc = await build(ctx, route, operations, deps.schema);
    const newest = doc.entries.reduce<Date | null>((max, e) => (!max || e.updated > max ? e.updated : max), null);
    const options = { updated: newest ?? startedAt, ttlMinutes: Math.ceil(config.syndication.maxAgeSeconds / 60) };
    return {
      body: () => renderFeed(doc, route.format, options),
      contentType: CONTENT_TYPES[route.format],
      validator: feedValidator(doc, route.format, route.params.limit, options),
      lastModified: newest,
    };
  }

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://localhost");
      try {
        const route = parseRoute(url, config);
        if (!route) return false;
        const rep = await represent(route);
        // Last-Modified follows the representation, not only the entry dates (modified.ts says why).
        rep.lastModified = modified.lastModified(`${url.pathname}${url.search}`, rep.validator, rep.lastModified);
        sendRepresentation(req, res, rep, config.syndication.maxAgeSeconds);
      } catch (err) {
        if (!(err instanceof FeedHttpError)) throw err;
        sendText(res, err.status, `${err.message}\n`, { "cache-control": "no-store" });
      }
      return true;
    },
  };
}

/**
 * What a feed body is a function of, before rendering: the renderer version, the format, the page (self link with
 * its canonical query, and the effective limit), the render options and the whole document (feed fields and every
 * entry with dates and sanitized content). JSON of the model is a fraction of the cost of writing XML with it.
 */
function feedValidator(doc: FeedDocument, format: FeedFormat, limit: number, options: RenderOptions): string {
  return JSON.stringify([RENDERER_VERSION, format, doc.self[format], limit, options.updated.getTime(), options.ttlMinutes, doc]);
}

function build(ctx: Context, route: Exclude<Route, { kind: "opml" }>, operations: Map<string, CompiledOperation>, schema: GraphQLSchema): Promise<FeedDocument> {
  switch (route.kind) {
    case "threads":
      return threadFeed(ctx, route.id, route.params);
    case "forums":
      return forumFeed(ctx, route.id, route.params);
    case "sources":
      return sourceFeed(ctx, route.id, route.params);
    case "river":
      return riverFeed(ctx, route.params);
    case "q": {
      const operation = operations.get(route.id);
      if (!operation) throw new FeedHttpError(404, `No saved query "${route.id.slice(0, 100)}" (syndication.operations).`);
      return operationFeed(ctx, schema, operation, route.search, route.params);
    }
  }
}
