import { BadUserInputError } from "./errors.js";

/**
 * Paging, as every list in crosswire does it: keyset pages over a sort key, Relay-style (first/after forwards,
 * last/before backwards). Adapters and stores answer PageRequests with Pages; the GraphQL layer and the feeds
 * turn cursors into opaque strings with the codec below.
 */

/** A position in an ordered list, as the adapter's sort key values (opaque to everyone else). */
export type CursorKey = ReadonlyArray<string | number>;

/** One page of one parent's children. first/after page forwards, last/before backwards (Relay). */
export interface PageRequest {
  parentId: string;
  first?: number;
  after?: CursorKey;
  last?: number;
  before?: CursorKey;
}

/** One string per distinct request (DataLoader's cache key, the read cache's key). */
export const pageRequestKey = (r: PageRequest): string => JSON.stringify([r.parentId, r.first, r.after, r.last, r.before]);

export interface Page<T> {
  edges: Array<{ node: T; cursor: CursorKey }>;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** All children of the parent, regardless of the cursors. */
  totalCount: number;
}

/**
 * A well-formed cursor that belongs to a different list (its sort key has another shape). Thrown (or returned
 * in a batch slot) by stores; it is the client's mistake, so it carries BAD_USER_INPUT naming the argument.
 */
export class CursorMismatchError extends BadUserInputError {
  constructor(readonly argumentName: string) {
    super(argumentName, "cursor does not belong to this list; pass a cursor returned by this same connection");
  }
}

// Cursors are the adapter's sort key, wrapped so clients treat them as opaque and a version can change them.
const CURSOR_PREFIX = "c1:";

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(CURSOR_PREFIX + JSON.stringify(key), "utf8").toString("base64url");
}

/** Decodes a cursor argument; a malformed one is BAD_USER_INPUT naming the argument. */
export function decodeCursor(argumentName: string, cursor: string): CursorKey {
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

/** A cursor of another list, or of another shape, is the client's mistake: BAD_USER_INPUT naming `after`. */
export function checkCursorShape(after: CursorKey | undefined, shape: ReadonlyArray<"number" | "string">): void {
  if (after && (after.length !== shape.length || after.some((v, i) => typeof v !== shape[i]))) {
    throw new CursorMismatchError("after");
  }
}
