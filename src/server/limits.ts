import type { ApolloServerPlugin } from "@apollo/server";
import { createRequire } from "node:module";
import {
  GraphQLError, Kind, getNamedType, isListType, getNullableType,
  type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule, type FragmentDefinitionNode, type SelectionSetNode,
} from "graphql";
import type { ComplexityEstimator } from "graphql-query-complexity";
import { ErrorCode, httpStatusFor } from "../model/errors.js";
import type * as ArmorDepth from "@escape.tech/graphql-armor-max-depth";
import type * as ArmorAliases from "@escape.tech/graphql-armor-max-aliases";
import type * as ArmorDirectives from "@escape.tech/graphql-armor-max-directives";
import type * as QueryComplexity from "graphql-query-complexity";
import type { Config } from "../config/index.js";

// These packages' ES module builds import `graphql/index.mjs`, a second copy of graphql next to the
// CommonJS one that type-graphql and Apollo load, and graphql refuses to mix the two ("another module or
// realm"). Their CommonJS builds share our copy.
const require = createRequire(import.meta.url);
const { maxDepthRule } = require("@escape.tech/graphql-armor-max-depth") as typeof ArmorDepth;
const { maxAliasesRule } = require("@escape.tech/graphql-armor-max-aliases") as typeof ArmorAliases;
const { maxDirectivesRule } = require("@escape.tech/graphql-armor-max-directives") as typeof ArmorDirectives;
const { getComplexity } = require("graphql-query-complexity") as typeof QueryComplexity;

/**
 * Operation limits. Depth, aliases and directives use graphql-armor's maintained rules (its depth rule
 * counts introspection only for a real `__schema` field, closing the GHSA-224p-v68g-5g8f bypass through a
 * fragment *named* `__schema`); tokens use graphql-js's own parser limit; root fields is ours; cost uses
 * graphql-query-complexity with an estimator that counts list fields by their `first`/`last`.
 *
 * Apollo Server re-codes every validation error as GRAPHQL_VALIDATION_FAILED; the rule's own code rides in
 * `extensions.limitCode` and src/server puts it back into `extensions.code` (see restoreLimitCode).
 */
export type LimitCode =
  | "QUERY_TOO_DEEP" | "TOO_MANY_ALIASES" | "TOO_MANY_DIRECTIVES" | "TOO_MANY_ROOT_FIELDS" | "TOO_MANY_TOKENS" | "QUERY_TOO_COMPLEX";

export type Limits = Config["limits"];

function limitError(code: LimitCode, message: string, max: number, found?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { limitCode: code, limit: { max, ...(found !== undefined ? { found } : {}) }, http: { status: httpStatusFor(code) } },
  });
}

/** graphql-armor rejects with its own message; report ours, with our code, instead. */
function armor(code: LimitCode, max: number, what: string) {
  return {
    n: max,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const found = Number(/found (\d+)/.exec(error.message)?.[1]);
        context?.reportError(limitError(code, `${what} limit of ${max} exceeded${Number.isFinite(found) ? ` (found ${found})` : ""}`, max, Number.isFinite(found) ? found : undefined));
      },
    ],
  };
}

function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
      // Memoised per fragment: a fragment spreading another twice, 20 levels deep, is 2^20 spreads otherwise.
      const counted = new Map<string, number>();
      const count = (set: SelectionSetNode, path: Set<string>): number =>
        set.selections.reduce((n, s) => {
          if (s.kind === Kind.FIELD) return n + (s.name.value === "__typename" ? 0 : 1);
          if (s.kind === Kind.INLINE_FRAGMENT) return n + count(s.selectionSet, path);
          const name = s.name.value;
          const fragment = fragments.get(name);
          if (!fragment || path.has(name)) return n; // cycles are NoFragmentCyclesRule's to report
          if (!counted.has(name)) counted.set(name, count(fragment.selectionSet, new Set([...path, name])));
          return n + counted.get(name)!;
        }, 0);
      const found = count(operation.selectionSet, new Set());
      if (found > max) context.reportError(limitError("TOO_MANY_ROOT_FIELDS", `root field limit of ${max} exceeded (found ${found})`, max, found));
    },
  });
}

export function limitRules(limits: Limits): ValidationRule[] {
  return [
    // flattenFragments: a fragment spread is not a level of nesting (Relay clients nest fragments freely).
    maxDepthRule({ ...armor("QUERY_TOO_DEEP", limits.maxDepth, "depth"), flattenFragments: true } as never) as unknown as ValidationRule,
    // allowList: graphql-armor exempts `__typename` by default, which leaves a `__typename` alias flood unbounded.
    maxAliasesRule({ ...armor("TOO_MANY_ALIASES", limits.maxAliases, "alias"), allowList: [] } as never) as unknown as ValidationRule,
    maxDirectivesRule(armor("TOO_MANY_DIRECTIVES", limits.maxDirectives, "directive") as never) as unknown as ValidationRule,
    maxRootFieldsRule(limits.maxRootFields),
  ];
}

/**
 * Cost: a list field costs its page size times what one element costs. Connection fields use their
 * `first`/`last` (or the default page size); `nodes(ids)` uses the number of ids; other lists count
 * `listFallback` elements.
 */
function estimator(defaultFirst: number, listFallback: number): ComplexityEstimator {
  return ({ args, childComplexity, field }) => {
    const size = typeof args.first === "number" ? args.first
      : typeof args.last === "number" ? args.last
      : Array.isArray(args.ids) ? args.ids.length
      : "first" in (field.args?.reduce((o, a) => ({ ...o, [a.name]: true }), {}) ?? {}) ? defaultFirst
      : isListType(getNullableType(field.type)) ? listFallback
      : 1;
    const named = getNamedType(field.type);
    const own = named.name.endsWith("Connection") || isListType(getNullableType(field.type)) ? 1 : 0;
    return own + Math.max(1, size) * Math.max(1, childComplexity);
  };
}

/**
 * The operation's cost, or null when its variables do not fit their types (execution refuses them next, with
 * BAD_USER_INPUT); `error` is set when it exceeds `limits.maxCost`. HTTP (costPlugin) and WebSocket
 * subscriptions (src/live/server.ts) both check it.
 */
export function operationCost(
  schema: GraphQLSchema, limits: Limits, defaultFirst: number,
  operation: { document: DocumentNode; variables?: Record<string, unknown> | null | undefined; operationName?: string | null | undefined },
): { cost: number; error: GraphQLError | null } | null {
  let cost: number;
  try {
    cost = getComplexity({
      schema, query: operation.document, variables: operation.variables ?? {}, estimators: [estimator(defaultFirst, 5)],
      ...(operation.operationName ? { operationName: operation.operationName } : {}),
    });
  } catch {
    return null;
  }
  if (cost <= limits.maxCost) return { cost, error: null };
  const error = limitError("QUERY_TOO_COMPLEX", `query cost ${cost} exceeds the limit of ${limits.maxCost} (lists count by their page size: ask for fewer items)`, limits.maxCost, cost);
  error.extensions.code = "QUERY_TOO_COMPLEX";
  return { cost, error };
}

export function costPlugin(schema: GraphQLSchema, limits: Limits, defaultFirst: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { request, document } = requestContext;
          // Apollo calls this hook even when `operationName` names no operation in the document, and registers
          // an APQ hash right after it: refuse here, so a request that cannot run stores nothing.
          if (!requestContext.operation) {
            throw new GraphQLError(
              request.operationName ? `Unknown operation named "${request.operationName.slice(0, 100)}".` : "The document holds several operations: say which one with operationName.",
              { extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: httpStatusFor(ErrorCode.OPERATION_RESOLUTION_FAILURE) } } },
            );
          }
          const checked = operationCost(schema, limits, defaultFirst, { document, variables: request.variables, operationName: request.operationName });
          if (!checked) return;
          // The rate limiter (rate-limit.ts) charges the same cost.
          (requestContext as unknown as { queryCost: number }).queryCost = checked.cost;
          if (checked.error) throw checked.error;
        },
      };
    },
  };
}

/** Puts a limit rule's own code back after Apollo re-coded it; also codes the parser's token limit. */
export function restoreLimitCode<T extends { message: string; extensions?: Record<string, unknown> }>(formatted: T): T {
  const ext = formatted.extensions ?? {};
  if (typeof ext.limitCode === "string") {
    const { limitCode, ...rest } = ext;
    return { ...formatted, extensions: { ...rest, code: limitCode } };
  }
  if (ext.code === "GRAPHQL_PARSE_FAILED" && /more th(?:an|at) \d+ tokens/.test(formatted.message)) {
    return { ...formatted, extensions: { ...ext, code: "TOO_MANY_TOKENS" } };
  }
  return formatted;
}
