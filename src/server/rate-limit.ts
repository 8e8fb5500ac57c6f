import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { Context } from "../context.js";
import { ErrorCode, httpStatusFor } from "../model/errors.js";
import { createBuckets, isLoopback, type Buckets } from "./buckets.js";

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

/** The per-address cost budget, shared by GraphQL over HTTP and the /feeds/* routes (src/syndication). */
export function costBudget(options: RateLimitOptions): Buckets {
  return createBuckets(options.costPerMinute, options.now ? { now: options.now } : {});
}

/** Whether `ip` is charged at all. */
export function limited(options: RateLimitOptions, ip: string): boolean {
  return options.enabled && !(options.exemptLoopback && isLoopback(ip));
}

export function rateLimitPlugin(options: RateLimitOptions, buckets: Buckets = costBudget(options)): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didResolveOperation(requestContext) {
          const ip = contextValue.clientIp;
          if (!limited(options, ip)) return;
          const cost = (requestContext as unknown as { queryCost?: number }).queryCost ?? 1;
          const left = buckets.left(ip);
          const retryAfter = buckets.take(ip, cost);
          if (retryAfter > 0) {
            throw new GraphQLError(`rate limit: this query costs ${cost}, and this client has ${Math.floor(left)} of ${options.costPerMinute} per minute left; retry in ${retryAfter} s`, {
              extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: retryAfter, http: { status: httpStatusFor(ErrorCode.RATE_LIMITED), headers: new Map([["retry-after", String(retryAfter)]]) } },
            });
          }
        },
      };
    },
  };
}
