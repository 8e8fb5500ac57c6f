import type { IncomingMessage, ServerResponse } from "node:http";
import type { GraphQLSchema } from "graphql";
import type { Config } from "../config/index.js";
import type { Context } from "../context.js";
import type { Logger } from "../logger.js";

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

export function createSyndication(_deps: SyndicationDeps): Syndication {
  return {
    async handle() {
      return false;
    },
  };
}
