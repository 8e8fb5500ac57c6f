import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { Context } from "../context.js";
import { ErrorCode, httpStatusFor } from "../model/errors.js";

/**
 * Per-client-IP budget of query cost (the same cost the limits plugin computes), refilled continuously:
 * cheap queries are never limited in practice, a client sending expensive ones is slowed to its share.
 * Loopback clients (the machine itself, a local proxy) are exempt by default.
 */
export interface RateLimitOptions {
  enabled: boolean;
  costPerMinute: number;
  exemptLoopback: boolean;
  now?: () => number;
}

export function rateLimitPlugin(options: RateLimitOptions): ApolloServerPlugin<Context> {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = options.costPerMinute / 60_000;
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didResolveOperation(requestContext) {
          const ip = contextValue.clientIp;
          if (!options.enabled || (options.exemptLoopback && isLoopback(ip))) return;
          const cost = (requestContext as unknown as { queryCost?: number }).queryCost ?? 1;
          const t = now();
          const bucket = buckets.get(ip) ?? { tokens: options.costPerMinute, at: t };
          bucket.tokens = Math.min(options.costPerMinute, bucket.tokens + (t - bucket.at) * perMs);
          bucket.at = t;
          buckets.set(ip, bucket);
          if (bucket.tokens < cost) {
            const retryAfter = Math.ceil((cost - bucket.tokens) / perMs / 1000);
            throw new GraphQLError(`rate limit: this query costs ${cost}, and this client has ${Math.floor(bucket.tokens)} of ${options.costPerMinute} per minute left; retry in ${retryAfter} s`, {
              extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: retryAfter, http: { status: httpStatusFor(ErrorCode.RATE_LIMITED), headers: new Map([["retry-after", String(retryAfter)]]) } },
            });
          }
          bucket.tokens -= cost;
          if (buckets.size > 100_000) buckets.clear(); // bounded memory under an address-spraying client
        },
      };
    },
  };
}

function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}
