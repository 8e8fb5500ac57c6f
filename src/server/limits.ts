import type { ApolloServerPlugin } from "@apollo/server";
import { createRequire } from "node:module";
import {
  GraphQLError, Kind, getNamedType, getOperationAST, isLeafType, isListType, getNullableType,
  type DocumentNode, type FieldNode, type GraphQLSchema, type ValidationContext, type ValidationRule, type FragmentDefinitionNode, type SelectionSetNode,
} from "graphql";
import type { ComplexityEstimator } from "graphql-query-complexity";
import { ErrorCode, httpStatusFor } from "../model/errors.js";
import type * as ArmorDepth from "@escape.tech/graphql-armor-max-depth";
import type * as ArmorAliases from "@escape.tech/graphql-armor-max-aliases";
import type * as ArmorDirectives from "@escape.tech/graphql-armor-max-directives";
import type * as QueryComplexity from "graphql-query-complexity";
import type { Config } from "../config/index.js";
import { MAX_CITATIONS_PER_POST } from "../urls/index.js";

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
 * What bounds a plain list (one without `first`): the numbers the cost model multiplies it by. Connections use
 * their `first`/`last`; these lists have no page size but do have a real bound.
 */
export interface ListBounds {
  /** Configured news sources: bounds `Article.sources`, `Story.sources`, `Query.sources`, `refreshAllSources`. */
  newsSources: number;
  /** Configured forum sources plus the local store: bounds `Query.forumSources`. */
  forumSources: number;
}

/** Used where the configuration is not at hand (the 1,000 is the schema's maximum number of sources). */
const DEFAULT_BOUNDS: ListBounds = { newsSources: 1000, forumSources: 100 };

/** The bounds a configuration gives (OPML subscriptions added at start are not counted: a few more sources). */
export function listBounds(config: Pick<Config, "sources" | "forums">): ListBounds {
  return { newsSources: config.sources.length, forumSources: config.forums.length + 1 };
}

/**
 * Lists with no page size and no bound of their own (today only `Query.forums`: the boards of every forum
 * source, which the gateway cannot know before asking). Counted as 5, the figure the model used before for every
 * plain list; the recorded Discourse site in /work/shared/real-world lists 3 categories.
 */
const UNBOUNDED_LIST = 5;

/**
 * Objects that cost nothing of their own: wrappers around the object they carry (edges), values computed from
 * their parent (page info, feed links, provenance) and the few configured objects every request shares (a
 * gateway has at most `sources` news sources and they live in memory: asking for them under 2,000 citations is
 * 2,000 references to the same handful of objects, not 2,000 loads). What they contain still counts.
 */
function isFree(typeName: string): boolean {
  return typeName.endsWith("Edge") || ["PageInfo", "FeedLinks", "FieldProvenance", "Source", "ForumSource", "SourceHealth"].includes(typeName);
}

interface CostRecord {
  label: string;
  size: number;
  total: number;
  node: FieldNode;
}

/**
 * The cost model, calibrated on the pages a forum frontend renders (test/integration/cost-calibration.test.ts):
 * like Shopify's calculated cost, every object a response can hold costs 1 and scalars cost 0, so an object
 * counts once however many of its fields are asked for; like GitHub's node limit, a connection multiplies what
 * one of its elements costs by its `first`/`last` (or the default page size), and only the connection does:
 * its `edges`/`nodes` are the same elements, not another factor. A plain list multiplies by its real bound
 * (a post's citations by MAX_CITATIONS_PER_POST, an article's sources by the configured sources). Each call
 * records what a field cost, so a refusal can name the field that costs most.
 */
function estimator(defaultFirst: number, bounds: ListBounds, records: WeakMap<FieldNode, CostRecord>): ComplexityEstimator {
  return ({ type, field, node, args, childComplexity }) => {
    const named = getNamedType(field.type);
    if (isLeafType(named)) return 0;
    const label = `${type.name}.${field.name}`;
    const own = isFree(named.name) ? 0 : 1;
    let size = 1;
    let total: number;
    if (named.name.endsWith("Connection")) {
      size = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : defaultFirst;
      size = Math.max(1, size);
      // The page query itself, then each element; an empty selection (only totalCount) still reads the page.
      total = 1 + size * Math.max(1, childComplexity);
    } else {
      const inConnection = type.name.endsWith("Connection") && (field.name === "edges" || field.name === "nodes");
      if (!inConnection && isListType(getNullableType(field.type))) size = Math.max(1, listBound(label, args, bounds));
      total = size * (own + childComplexity);
    }
    records.set(node, { label, size, total, node });
    return total;
  };
}

function listBound(label: string, args: Record<string, unknown>, bounds: ListBounds): number {
  if (Array.isArray(args.ids)) return args.ids.length;
  if (typeof args.first === "number") return args.first;
  switch (label) {
    case "Post.citations": return MAX_CITATIONS_PER_POST;
    case "Article.sources": case "Story.sources": case "Query.sources": case "Mutation.refreshAllSources": return bounds.newsSources;
    case "Query.forumSources": return bounds.forumSources;
    default: return UNBOUNDED_LIST;
  }
}

/** The fields a selection set selects, through inline fragments and fragment spreads. */
function fieldsOf(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  if (!set) return [];
  return set.selections.flatMap((s) => {
    if (s.kind === Kind.FIELD) return [s];
    if (s.kind === Kind.INLINE_FRAGMENT) return fieldsOf(s.selectionSet, fragments, seen);
    const fragment = fragments.get(s.name.value);
    if (!fragment || seen.has(s.name.value)) return [];
    return fieldsOf(fragment.selectionSet, fragments, new Set([...seen, s.name.value]));
  });
}

/**
 * The costliest path from the root, keeping only the fields that multiply (lists and connections):
 * `Query.thread → Thread.posts (100) → Post.citations (20)`. Its first field is the one that costs most.
 */
function heaviestPath(document: DocumentNode, operationName: string | null | undefined, records: WeakMap<FieldNode, CostRecord>): CostRecord[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const operation = getOperationAST(document, operationName ?? undefined);
  const path: CostRecord[] = [];
  let candidates = fieldsOf(operation?.selectionSet, fragments);
  for (let depth = 0; depth < 100 && candidates.length; depth++) {
    let heaviest: CostRecord | undefined;
    for (const candidate of candidates) {
      const record = records.get(candidate);
      if (record && (!heaviest || record.total > heaviest.total)) heaviest = record;
    }
    if (!heaviest || heaviest.total === 0) break;
    if (heaviest.size > 1) path.push(heaviest);
    candidates = fieldsOf(heaviest.node.selectionSet, fragments);
  }
  return path;
}

/**
 * The operation's cost, or null when its variables do not fit their types (execution refuses them next, with
 * BAD_USER_INPUT); `error` is set when it exceeds `limits.maxCost`, naming the field that costs most. HTTP
 * (costPlugin) and WebSocket subscriptions (src/live/server.ts) both check it.
 */
export function operationCost(
  schema: GraphQLSchema, limits: Limits, defaultFirst: number,
  operation: { document: DocumentNode; variables?: Record<string, unknown> | null | undefined; operationName?: string | null | undefined },
  bounds: ListBounds = DEFAULT_BOUNDS,
): { cost: number; error: GraphQLError | null } | null {
  let cost: number;
  const records = new WeakMap<FieldNode, CostRecord>();
  try {
    cost = getComplexity({
      schema, query: operation.document, variables: operation.variables ?? {}, estimators: [estimator(defaultFirst, bounds, records)],
      ...(operation.operationName ? { operationName: operation.operationName } : {}),
    });
  } catch {
    return null;
  }
  if (cost <= limits.maxCost) return { cost, error: null };
  const path = heaviestPath(operation.document, operation.operationName, records);
  const where = path.length
    ? `; most of it is ${path[0]!.label} (${path[0]!.total.toLocaleString("en")})${path.length > 1 ? `, along ${path.map((r) => `${r.label} ×${r.size}`).join(" → ")}` : ` ×${path[0]!.size}`}: ask for fewer items there`
    : "";
  const error = limitError("QUERY_TOO_COMPLEX", `query cost ${cost} exceeds the limit of ${limits.maxCost}${where}`, limits.maxCost, cost);
  error.extensions.code = "QUERY_TOO_COMPLEX";
  if (path.length) {
    (error.extensions.limit as Record<string, unknown>).field = path[0]!.label;
    (error.extensions.limit as Record<string, unknown>).path = path.map((r) => ({ field: r.label, size: r.size, cost: r.total }));
  }
  return { cost, error };
}

export function costPlugin(schema: GraphQLSchema, limits: Limits, defaultFirst: number, bounds: ListBounds = DEFAULT_BOUNDS): ApolloServerPlugin {
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
          const checked = operationCost(schema, limits, defaultFirst, { document, variables: request.variables, operationName: request.operationName }, bounds);
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
