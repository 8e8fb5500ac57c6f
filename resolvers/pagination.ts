import { ArgsType, Field, Int } from "type-graphql";
import { decodeCursor, encodeCursor, type Page, type PageRequest } from "../src/model/paging.js";
import type { ConnectionShape } from "../schema/connection.js";
import { BadUserInputError } from "../src/model/errors.js";
import type { Config } from "../src/config/index.js";

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: "Page size from the start (default and maximum are configured)." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "Return items after this cursor." })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: "Page size from the end." })
  last?: number | null;

  @Field(() => String, { nullable: true, description: "Return items before this cursor." })
  before?: string | null;
}

function checkSize(argumentName: string, value: number, max: number): number {
  if (value < 0) throw new BadUserInputError(argumentName, `must be zero or more, got ${value}`);
  if (value > max) {
    throw new BadUserInputError(argumentName, `must be at most ${max} (the maximum page size), got ${value}; page with \`after\``);
  }
  return value;
}

/** Validates connection arguments (sizes against the configured cap, cursors) into an adapter page request. */
export function toPageRequest(parentId: string, args: ConnectionArgs, config: Config): PageRequest {
  const { maxFirst, defaultFirst } = config.pagination;
  if (args.first != null && args.last != null) {
    throw new BadUserInputError("last", "pass either `first` or `last`, not both");
  }
  const request: PageRequest = { parentId };
  if (args.after != null) request.after = decodeCursor("after", args.after);
  if (args.before != null) request.before = decodeCursor("before", args.before);
  if (args.last != null) request.last = checkSize("last", args.last, maxFirst);
  else request.first = args.first != null ? checkSize("first", args.first, maxFirst) : defaultFirst;
  return request;
}

export function toConnection<R, N>(page: Page<R>, map: (record: R) => N): ConnectionShape<N> {
  return connectionOf(page.edges.map((e) => ({ node: map(e.node), cursor: encodeCursor(e.cursor) })), page);
}

/** A Relay connection from ready edges (cursors encoded) and the page's flags. */
export function connectionOf<N>(
  edges: Array<{ node: N; cursor: string }>,
  page: { hasNextPage: boolean; hasPreviousPage: boolean; totalCount: number },
): ConnectionShape<N> {
  return {
    edges,
    nodes: edges.map((e) => e.node),
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
