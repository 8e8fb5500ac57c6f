import { BadUserInputError } from "./errors.js";

/**
 * Global object IDs (Relay's Object Identification): opaque to clients, but each one carries its type,
 * the source that owns the object and that source's own key, so IDs from two forums never collide and
 * `Query.node` can route a lookup without a registry.
 *
 * Wire form: base64url("<Type>:<sourceId>:<localKey>"). The local key may itself contain ':'.
 */
export const NODE_TYPES = ["Forum", "Thread", "Post", "Author", "Source", "Article", "Story"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface GlobalId {
  type: NodeType;
  sourceId: string;
  key: string;
}

export function toGlobalId(type: NodeType, sourceId: string, key: string | number): string {
  return Buffer.from(`${type}:${sourceId}:${key}`, "utf8").toString("base64url");
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Decodes a global ID or returns a sentence saying what is wrong with it. */
export function parseGlobalId(id: string): GlobalId | string {
  // Article keys are canonical URLs of up to 4096 characters; base64 makes them a third longer.
  if (id.length === 0 || id.length > 8192 || !BASE64URL.test(id)) {
    return "expected an opaque crosswire ID as returned by the API (base64url text)";
  }
  const raw = Buffer.from(id, "base64url").toString("utf8");
  const first = raw.indexOf(":");
  const second = first < 0 ? -1 : raw.indexOf(":", first + 1);
  if (first < 0 || second < 0) return "not a crosswire ID (it does not decode to type, source and key)";
  const type = raw.slice(0, first);
  const sourceId = raw.slice(first + 1, second);
  const key = raw.slice(second + 1);
  if (!(NODE_TYPES as readonly string[]).includes(type)) {
    return `not a crosswire ID (unknown type "${type.slice(0, 40)}"; expected one of ${NODE_TYPES.join(", ")})`;
  }
  if (sourceId.length === 0 || key.length === 0) return "not a crosswire ID (empty source or key)";
  return { type: type as NodeType, sourceId, key };
}

/** Decodes an ID argument, throwing BAD_USER_INPUT naming the argument when it is malformed or of another type. */
export function decodeIdArgument(argumentName: string, id: string, expected?: NodeType): GlobalId {
  const parsed = parseGlobalId(id);
  if (typeof parsed === "string") throw new BadUserInputError(argumentName, parsed);
  if (expected && parsed.type !== expected) {
    throw new BadUserInputError(argumentName, `expected the ID of a ${expected}, got the ID of a ${parsed.type}`);
  }
  return parsed;
}

/** Global ID builders, one per type: the only places a type name and the object's owner are put together. */
export const globalIds = {
  forum: (sourceId: string, key: string | number): string => toGlobalId("Forum", sourceId, key),
  thread: (sourceId: string, key: string | number): string => toGlobalId("Thread", sourceId, key),
  post: (sourceId: string, key: string | number): string => toGlobalId("Post", sourceId, key),
  author: (sourceId: string, key: string | number): string => toGlobalId("Author", sourceId, key),
  /** A feed source owns itself: its id is both the owner and the key. */
  source: (id: string): string => toGlobalId("Source", id, id),
  /** Articles and stories belong to the news store ("news"), keyed by article key / story id. */
  article: (key: string): string => toGlobalId("Article", "news", key),
  story: (key: string | number): string => toGlobalId("Story", "news", key),
};
