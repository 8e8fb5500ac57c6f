import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, parse, type GraphQLError } from "graphql";
import type { Context } from "../context.js";
import { unavailableDetail } from "../model/errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "./metrics.js";

/**
 * A request id on every request (the client's `x-request-id` if it sent a sane one): returned as a
 * response header and in every error's `extensions.requestId`, and each error is logged once with it.
 */
export function requestIdPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const given = request.http?.headers.get("x-request-id");
      const id = given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            const internal = code === undefined || code === "INTERNAL_SERVER_ERROR";
            logger[internal ? "error" : "info"](
              { requestId: id, operationName, code, path: error.path, err: internal ? ((error.originalError ?? error) as Error) : undefined, detail: unavailableDetail(error) },
              internal ? "resolver failed" : `request error: ${error.message}`,
            );
          }
        },
        async willSendResponse({ response }) {
          response.http.headers.set("x-request-id", id);
          if (response.body.kind === "single" && response.body.singleResult.errors) {
            for (const error of response.body.singleResult.errors as Array<GraphQLError & { extensions: Record<string, unknown> }>) {
              error.extensions.requestId = id;
            }
          }
        },
      };
    },
  };
}

/**
 * Operation-name labels are bounded: a client defines its own operation names, and each new label value is a
 * new series (issue 18: 2,000 names grew /metrics from 16 KB to 2.6 MB and RSS by 51 MB). With a safelist only its
 * operations' names are labels; without one, the first MAX_OPERATION_LABELS names seen are, and every later
 * name is counted as "other".
 */
export const MAX_OPERATION_LABELS = 100;

export function metricsPlugin(metrics: Metrics, known: ReadonlySet<string> | null = null, maxLabels = MAX_OPERATION_LABELS): ApolloServerPlugin<Context> {
  const seen = new Set<string>();
  const label = (name: string) => {
    if (known) return known.has(name) ? name : "other";
    if (seen.has(name)) return name;
    if (seen.size >= maxLabels) return "other";
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operation: resolved, operationName, errors }) {
          // Only operation names the document really defines can become labels: a refused request's name is
          // attacker text, and every new label value would be a new series.
          const operation = resolved ? (operationName && /^\w{1,64}$/.test(operationName) ? label(operationName) : "anonymous") : "unresolved";
          const status = response.http.status ?? 200;
          const outcome = status >= 400 ? "refused" : errors?.length ? "error" : "ok";
          metrics.requests.inc({ operation, outcome });
          metrics.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** The names of the operations in some query texts (a safelist); texts that do not parse are skipped. */
export function operationNames(texts: Iterable<string>): string[] {
  const names: string[] = [];
  for (const text of texts) {
    try {
      for (const def of parse(text).definitions) if (def.kind === Kind.OPERATION_DEFINITION && def.name) names.push(def.name.value);
    } catch {
      // a safelist entry that does not parse never runs either
    }
  }
  return names;
}
