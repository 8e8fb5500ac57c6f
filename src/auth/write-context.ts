import type { ForumWrites, WriteResult, Writer } from "../model/writes.js";
import { UnauthenticatedError } from "../model/errors.js";
import type { TokenVerifier } from "./jwt.js";

/**
 * What the write mutations see of a request (Context.write): who is writing, decided only when a mutation asks
 * (reads never verify tokens, so a read with an expired token still reads), and the request's Idempotency-Key.
 */
export interface WriteContext {
  /** The local forum's source id (global IDs of what the writes return). */
  sourceId: string;
  writes: ForumWrites;
  /** The writer, or UNAUTHENTICATED: no token, or a token that fails a check. */
  writer(): Promise<Writer>;
  /** The `Idempotency-Key` header, when the client sent one (clientMutationId takes precedence). */
  idempotencyKey: string | null;
  /** After a write commits: index and announce it now (src/search's sync, which publishes the live events). */
  written(result: WriteResult): Promise<void>;
}

export interface WriteContextDeps {
  sourceId: string;
  writes: ForumWrites;
  verifier: TokenVerifier;
  written(result: WriteResult): Promise<void>;
}

/** Idempotency keys are the client's text: bounded, so a key cannot be used to store megabytes per write. */
const MAX_KEY_CHARS = 200;

export function writeContext(deps: WriteContextDeps, origin: { authorization?: string | undefined; idempotencyKey?: string | undefined; isAdmin: boolean }): WriteContext {
  let writer: Promise<Writer> | undefined;
  const key = origin.idempotencyKey?.trim();
  return {
    sourceId: deps.sourceId,
    writes: deps.writes,
    idempotencyKey: key ? key.slice(0, MAX_KEY_CHARS) : null,
    written: deps.written,
    writer() {
      writer ??= (async (): Promise<Writer> => {
        if (origin.isAdmin) return { kind: "admin" };
        const header = origin.authorization ?? "";
        if (!header.startsWith("Bearer ")) throw new UnauthenticatedError("Writing needs a user token: send `Authorization: Bearer <JWT>`.");
        return { kind: "user", ...(await deps.verifier.verify(header.slice("Bearer ".length).trim())) };
      })();
      return writer;
    },
  };
}
