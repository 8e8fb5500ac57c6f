import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ApolloServerPlugin } from "@apollo/server";
import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import { GraphQLError } from "graphql";
import type { Context } from "../context.js";
import { ErrorCode, httpStatusFor } from "../model/errors.js";

/**
 * An operation safelist: when enabled, only the listed operations run; any other query text is refused
 * with OPERATION_NOT_ALLOWED. The listed operations are also put into the persisted-query cache, so
 * clients may send only their sha256 hash (Apollo's APQ protocol).
 */
export function readSafelist(file: string): Map<string, string> {
  const raw = JSON.parse(readFileSync(file, "utf8")) as unknown;
  const queries: string[] = Array.isArray(raw) ? raw.map(String) : Object.values(raw as Record<string, unknown>).map(String);
  return new Map(queries.map((q) => [createHash("sha256").update(q).digest("hex"), q]));
}

export async function preloadSafelist(cache: KeyValueCache<string>, safelist: Map<string, string>): Promise<void> {
  // Apollo stores APQ entries under "apq:<hash>" inside its cache; ours prefixes again (src/server/apq.ts).
  for (const [hash, query] of safelist) await cache.set(`apq:${hash}`, query);
}

export function safelistPlugin(safelist: Map<string, string>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        // didResolveOperation, not didResolveSource: errors thrown there keep their HTTP status.
        async didResolveOperation({ queryHash }) {
          if (!safelist.has(queryHash)) {
            throw new GraphQLError("this gateway only runs its safelisted operations; this one is not on the list", {
              extensions: { code: ErrorCode.OPERATION_NOT_ALLOWED, http: { status: httpStatusFor(ErrorCode.OPERATION_NOT_ALLOWED) } },
            });
          }
        },
      };
    },
  };
}
