import {
  execute,
  getNamedType,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  TypeInfo,
  typeFromAST,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";
import { ConfigError } from "../config/index.js";
import { CrosswireError, ServiceUnavailableError } from "../model/errors.js";
import type { Context } from "../context.js";
import { parseGlobalId } from "../model/ids.js";
import type { ArticleRecord } from "../model/news.js";
import { articleEntries, postEntries } from "./entries.js";
import { feedDocument } from "./feeds.js";
import { feedPath } from "./links.js";
import { FeedHttpError, type FeedDocument, type FeedEntry } from "./model.js";
import { sourceHome } from "./river.js";
import type { FeedParams } from "./routes.js";

/**
 * Any query as a feed: `/feeds/q/<id>.<fmt>` runs the GraphQL operation configured as
 * `syndication.operations.<id>` against the gateway's own schema with a fresh request context (so the same
 * loaders as every other route), and every Post or Article found in a list of its result becomes an entry.
 *
 * Operations are compiled once at start: parsed, checked to be one query, rewritten to also select
 * `__typename` everywhere and `id` on posts and articles (under aliases of our own), and validated; a bad one
 * stops the gateway like any other bad configuration. Variables come from the query string, typed by the
 * operation's own variable definitions.
 */

const TYPE_ALIAS = "crosswireFeedType";
const ID_ALIAS = "crosswireFeedId";
const ENTRY_TYPES = new Set(["Post", "Article"]);

export interface CompiledOperation {
  id: string;
  document: DocumentNode;
  variables: Array<{ name: string; type: GraphQLInputType }>;
}

export function compileOperations(schema: GraphQLSchema, operations: Record<string, string>): Map<string, CompiledOperation> {
  const compiled = new Map<string, CompiledOperation>();
  const problems: string[] = [];
  for (const [id, text] of Object.entries(operations)) {
    try {
      compiled.set(id, compileOne(schema, id, text));
    } catch (err) {
      problems.push(`  - syndication.operations.${id}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration (syndication.operations):\n${problems.join("\n")}`);
  return compiled;
}

function compileOne(schema: GraphQLSchema, id: string, text: string): CompiledOperation {
  const parsed = parse(text);
  const ops = parsed.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1) throw new Error(`expected exactly one operation, found ${ops.length}`);
  const op = ops[0]!;
  if (op.operation !== "query") throw new Error(`only queries can be feeds, got a ${op.operation}`);
  const document = withEntryFields(schema, parsed);
  const errors = validate(schema, document);
  if (errors.length) throw new Error(errors.map((e) => e.message).join("; "));
  const variables = (op.variableDefinitions ?? []).map((def) => ({
    name: def.variable.name.value,
    type: typeFromAST(schema, def.type as never) as GraphQLInputType,
  }));
  return { id, document, variables };
}

const field = (alias: string, name: string): SelectionNode => ({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: alias },
  name: { kind: Kind.NAME, value: name },
});

/** Adds `crosswireFeedType: __typename` to every selection set, and `crosswireFeedId: id` wherever a Post or Article can be. */
function withEntryFields(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node: SelectionSetNode) {
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.alias?.value === TYPE_ALIAS)) return undefined;
        const type = typeInfo.getParentType();
        if (!type) return undefined;
        const added: SelectionNode[] = [field(TYPE_ALIAS, "__typename")];
        if (isObjectType(type) && ENTRY_TYPES.has(type.name)) added.push(field(ID_ALIAS, "id"));
        if (isAbstractType(type)) {
          for (const possible of schema.getPossibleTypes(type)) {
            if (!ENTRY_TYPES.has(possible.name)) continue;
            added.push({
              kind: Kind.INLINE_FRAGMENT,
              typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: possible.name } },
              selectionSet: { kind: Kind.SELECTION_SET, selections: [field(ID_ALIAS, "id"), field(TYPE_ALIAS, "__typename")] },
            });
          }
        }
        return { ...node, selections: [...node.selections, ...added] };
      },
    }),
  );
}

/** Query-string values → variables, typed by the operation: Int, Float and Boolean are parsed, input objects read as JSON. */
export function variablesFrom(operation: CompiledOperation, search: URLSearchParams): { values: Record<string, unknown>; canonical: Array<[string, string]> } {
  const values: Record<string, unknown> = {};
  const canonical: Array<[string, string]> = [];
  for (const { name, type } of [...operation.variables].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const given = search.getAll(name);
    if (given.length === 0) continue;
    values[name] = coerce(name, type, given);
    for (const value of given) canonical.push([name, value]);
  }
  return { values, canonical };
}

function coerce(name: string, type: GraphQLInputType, given: string[]): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return given.map((value) => coerce(name, inner.ofType, [value]));
  const value = given[given.length - 1]!;
  const named = getNamedType(inner);
  const bad = (expected: string) => new FeedHttpError(400, `variable "${name}" must be ${expected}, got "${value.slice(0, 40)}".`);
  if (isInputObjectType(named)) {
    try {
      return JSON.parse(value);
    } catch {
      throw bad(`a JSON object (${named.name})`);
    }
  }
  if (isEnumType(named)) return value;
  switch (named.name) {
    case "Int":
      if (!/^[+-]?\d{1,10}$/.test(value)) throw bad("a whole number");
      return Number(value);
    case "Float":
      if (value.trim() === "" || !Number.isFinite(Number(value))) throw bad("a number");
      return Number(value);
    case "Boolean":
      if (["true", "1"].includes(value)) return true;
      if (["false", "0"].includes(value)) return false;
      throw bad("true or false");
    default:
      return value; // String, ID and custom scalars (DateTime) parse from strings themselves
  }
}

export async function operationFeed(
  ctx: Context,
  schema: GraphQLSchema,
  operation: CompiledOperation,
  search: URLSearchParams,
  params: FeedParams,
): Promise<FeedDocument> {
  const { values, canonical } = variablesFrom(operation, search);
  const result = await execute({ schema, document: operation.document, variableValues: values, contextValue: ctx });
  if (result.errors?.length) {
    // A resolver that threw something other than a coded error (ours or graphql-js's) hit a bug or a store failure:
    // that is a 500 (logged by the server), not the subscriber's fault.
    const coded = (error: Error) => error instanceof GraphQLError || error instanceof CrosswireError;
    const internal = result.errors.find((e) => e.originalError && (!coded(e.originalError) || e.originalError instanceof ServiceUnavailableError));
    if (internal) throw internal.originalError;
    throw new FeedHttpError(400, `The operation "${operation.id}" failed: ${result.errors.map((e) => e.message).join("; ").slice(0, 500)}`);
  }
  const refs = collectEntries(result.data, params.limit);
  return feedDocument(ctx.config, {
    path: feedPath("q", operation.id),
    params: { ...params, extra: canonical },
    title: `crosswire: ${operation.id}`,
    description: `Posts and articles from the saved query "${operation.id}".`,
    alternate: null,
    author: "crosswire",
    entries: await entriesFor(ctx, refs),
    nextCursor: null,
  });
}

interface EntryRef {
  type: "Post" | "Article";
  id: string;
}

/** Posts and articles inside lists of the result (a connection's edges or nodes, a plain list), in result order. */
export function collectEntries(data: unknown, limit: number): EntryRef[] {
  const found = new Map<string, EntryRef>();
  const walk = (value: unknown, inList: boolean): void => {
    if (found.size >= limit || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, true);
      return;
    }
    const record = value as Record<string, unknown>;
    const type = record[TYPE_ALIAS];
    const id = record[ID_ALIAS];
    if (inList && (type === "Post" || type === "Article") && typeof id === "string") {
      if (!found.has(id)) found.set(id, { type, id });
      return; // an entry's own lists (a post's citations, an article's citing posts) are not entries
    }
    for (const [key, child] of Object.entries(record)) if (key !== TYPE_ALIAS && key !== ID_ALIAS) walk(child, inList);
  };
  walk(data, false);
  return [...found.values()];
}

async function entriesFor(ctx: Context, refs: EntryRef[]): Promise<FeedEntry[]> {
  const built = new Map<string, FeedEntry>();
  const postsBySource = new Map<string, Array<{ id: string; key: string }>>();
  const articles: Array<{ id: string; key: string }> = [];
  for (const ref of refs) {
    const gid = parseGlobalId(ref.id);
    if (typeof gid === "string") continue;
    if (ref.type === "Article") articles.push({ id: ref.id, key: gid.key });
    else postsBySource.set(gid.sourceId, [...(postsBySource.get(gid.sourceId) ?? []), { id: ref.id, key: gid.key }]);
  }
  await Promise.all([
    ...[...postsBySource].map(async ([sourceId, wanted]) => {
      const loaders = ctx.loaders.forSource(sourceId);
      if (!loaders) return;
      const loaded = await loaders.post.loadMany(wanted.map((w) => w.key));
      const found = wanted.flatMap((w, i) => {
        const post = loaded[i];
        return post && !(post instanceof Error) ? [{ id: w.id, post }] : [];
      });
      const entries = await postEntries(ctx, sourceId, found.map((f) => f.post), { inThread: false, includeCitations: false });
      entries.forEach((entry, i) => built.set(found[i]!.id, entry));
    }),
    (async () => {
      const loaded = await ctx.loaders.news.article.loadMany(articles.map((a) => a.key));
      const found = articles.flatMap((a, i) => {
        const record = loaded[i];
        return record && !(record instanceof Error) ? [{ id: a.id, record }] : [];
      });
      const records: ArticleRecord[] = found.map((f) => f.record);
      articleEntries(ctx, records, (r) => sourceHome(ctx, r.sourceIds[0])).forEach((entry, i) => built.set(found[i]!.id, entry));
    })(),
  ]);
  return refs.flatMap((ref) => built.get(ref.id) ?? []);
}
