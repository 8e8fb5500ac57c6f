import { ArgsType, Field, Int } from "type-graphql";
import type { CursorKey, Page, PageRequest } from "../sources/forum.js";
import type { ConnectionShape } from "../schema/connection.js";
import { BadUserInputError } from "../src/errors.js";
import { CursorMismatchError } from "../sources/forum-local/paging.js";
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

// Cursors are the adapter's sort key, wrapped so clients treat them as opaque and a version can change them.
const CURSOR_PREFIX = "c1:";

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(CURSOR_PREFIX + JSON.stringify(key), "utf8").toString("base64url");
}

function decodeCursor(argumentName: string, cursor: string): CursorKey {
  const fail = () =>
    new BadUserInputError(argumentName, "not a valid cursor; pass `cursor` or `pageInfo.endCursor` from a previous page");
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw fail();
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith(CURSOR_PREFIX)) throw fail();
  let key: unknown;
  try {
    key = JSON.parse(text.slice(CURSOR_PREFIX.length));
  } catch {
    throw fail();
  }
  if (!Array.isArray(key) || key.length === 0 || key.some((v) => typeof v !== "string" && typeof v !== "number")) throw fail();
  return key as CursorKey;
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

/** A cursor of another list, or of another shape, is the client's mistake: BAD_USER_INPUT naming `after`. */
export function checkCursorShape(after: CursorKey | undefined, shape: ReadonlyArray<"number" | "string">): void {
  if (after && (after.length !== shape.length || after.some((v, i) => typeof v !== shape[i]))) {
    throw new BadUserInputError("after", "cursor does not belong to this list; pass a cursor returned by this same connection");
  }
}

/** Page loads fail with CursorMismatchError when a cursor from another list is passed: that is user input. */
export async function loadPage<T>(load: Promise<T>): Promise<T> {
  try {
    return await load;
  } catch (err) {
    if (err instanceof CursorMismatchError) throw new BadUserInputError(err.argumentName, err.message);
    throw err;
  }
}
