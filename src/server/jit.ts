import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { defaultTypeResolver, execute, getVariableValues, GraphQLError, isAbstractType, type DocumentNode, type OperationDefinitionNode, type ExecutionResult, type GraphQLSchema } from "graphql";

/**
 * Executes operations with graphql-jit (a query compiled once to a JavaScript function) instead of graphql-js's
 * interpreter, plugged into Apollo Server through its documented gateway interface (`gateway.load()` hands Apollo an
 * executor; parsing, validation, plugins and serialization stay Apollo's). Issue 22 measured graphql-js's execution
 * as the largest share of a warm thread page once the data was loaded per level.
 *
 * A document is compiled the second time it is seen (a compile costs a few milliseconds: a caller sending
 * ever-new documents must not make every request pay it), and compiled documents are kept in an LRU bounded by
 * `maxDocuments` and by their estimated heap (`maxBytes`). Before that, and for anything graphql-jit declines to compile, graphql-js executes it: the
 * answers are the same (test/integration/jit.test.ts compares both on the schema's documents).
 */

export interface JitOptions {
  /** Documents followed (least recently used dropped), compiled or waiting to be. */
  maxDocuments: number;
  /** Estimated heap the compiled documents may hold, in bytes (see HEAP_PER_CHARACTER). */
  maxBytes: number;
  /** Executions of one document before it is compiled. */
  compileAfter: number;
}

/**
 * What a compiled document holds on the heap per character of its text: measured 205–377 bytes (81 KB for the bench's
 * 393-character thread page, 2.4 MB for a 10,862-character one; more per character once whitespace is stripped), so 400
 * is an upper estimate. A document at the 3,000-token limit compiles to several megabytes.
 */
export const HEAP_PER_CHARACTER = 400;

export interface JitStats {
  compiled: number;
  interpreted: number;
  compileFailures: number;
}

interface Slot {
  seen: number;
  /** Estimated heap of the compiled document (0 until compiled). */
  bytes: number;
  /** null: compiling failed; graphql-js runs it. */
  compiled?: CompiledQuery | null;
}

/** What the executor needs of Apollo's request context (GatewayGraphQLRequestContext). */
export interface JitRequest {
  source?: string;
  document: DocumentNode;
  operationName?: string | null;
  operation?: OperationDefinitionNode;
  request: { variables?: Record<string, unknown> | null };
  context: unknown;
}

export function createJitExecutor(schema: GraphQLSchema, options: JitOptions) {
  synchronousTypeResolvers(schema);
  const slots = new Map<string, Slot>();
  const stats: JitStats = { compiled: 0, interpreted: 0, compileFailures: 0 };
  let bytes = 0;

  function slotOf(key: string): Slot {
    let slot = slots.get(key);
    if (slot) {
      slots.delete(key);
    } else {
      slot = { seen: 0, bytes: 0 };
      if (slots.size >= options.maxDocuments) drop(slots.keys().next().value!);
    }
    slots.set(key, slot);
    return slot;
  }

  function drop(key: string): void {
    bytes -= slots.get(key)?.bytes ?? 0;
    slots.delete(key);
  }

  /** Keeps a compiled document within the byte bound, least recently used out first (a document over it alone is not kept). */
  function keep(slot: Slot, compiled: CompiledQuery, weight: number): CompiledQuery {
    if (weight > options.maxBytes) return compiled;
    slot.compiled = compiled;
    slot.bytes = weight;
    bytes += weight;
    for (const [key, other] of slots) {
      if (bytes <= options.maxBytes) break;
      if (other !== slot) drop(key);
    }
    return compiled;
  }

  function compiledFor(request: JitRequest): CompiledQuery | null {
    const key = `${request.operationName ?? ""}\u0000${request.source ?? ""}`;
    if (request.source === undefined) return null;
    const slot = slotOf(key);
    if (slot.compiled !== undefined) return slot.compiled;
    if (++slot.seen < options.compileAfter) return null;
    const compiled = compileQuery(schema, request.document, request.operationName ?? undefined, { disablingCapturingStackErrors: true });
    if (!isCompiledQuery(compiled)) {
      slot.compiled = null;
      stats.compileFailures++;
      return null;
    }
    stats.compiled++;
    return keep(slot, compiled, request.source.length * HEAP_PER_CHARACTER);
  }

  async function executor(request: JitRequest): Promise<ExecutionResult> {
    const variables = request.request.variables ?? undefined;
    const compiled = compiledFor(request);
    if (compiled) {
      // Variables are checked by graphql-js, whose messages clients see today (graphql-jit words them its own way);
      // the compiled query then coerces the same raw values.
      const definitions = request.operation?.variableDefinitions ?? [];
      if (definitions.length > 0) {
        const checked = getVariableValues(schema, definitions, variables ?? {}, { maxErrors: 50 });
        if (checked.errors) return { errors: checked.errors };
      }
      return withExtensions((await compiled.query(undefined, request.context, variables)) as ExecutionResult);
    }
    stats.interpreted++;
    return await execute({ schema, document: request.document, contextValue: request.context, variableValues: variables, operationName: request.operationName });
  }

  return {
    executor,
    stats,
    /** Documents followed, and the estimated heap of the compiled ones. */
    get size() {
      return { documents: slots.size, bytes };
    },
  };
}

/**
 * graphql-jit calls an interface's or union's resolveType and reads its answer at once: it does not wait for a promise.
 * type-graphql wraps every resolveType in an async function; crosswire's (schema/node.ts, news.ts, search.ts) all answer
 * the value's `__typename`. So: the `__typename` a value carries, else graphql-js's own default (each possible type's
 * isTypeOf) — what graphql-js concludes for these values too, without the promise.
 */
function synchronousTypeResolvers(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type)) continue;
    type.resolveType = (value, context, info, abstractType) => {
      const name = (value as { __typename?: unknown } | null)?.__typename;
      return typeof name === "string" ? name : defaultTypeResolver(value, context, info, abstractType);
    };
  }
}

/**
 * graphql-jit's errors leave `extensions` undefined when the original error has none; graphql-js (and Apollo's error
 * formatting, which reads `extensions.code`) always has an object there.
 */
function withExtensions(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.some((e) => e.extensions === undefined)) return result;
  const errors = result.errors.map((e) => {
    if (e.extensions !== undefined) return e;
    const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined });
    (error as { locations: GraphQLError["locations"] }).locations = e.locations;
    return error;
  });
  return { ...result, errors };
}

/**
 * Apollo Server's gateway interface around the executor: a fixed schema, loaded once. Typed structurally, as the
 * interface's package (`@apollo/server-gateway-interface`) is Apollo's own dependency, not ours.
 */
export function jitGateway(schema: GraphQLSchema, executor: (request: JitRequest) => Promise<ExecutionResult>) {
  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback: (schema: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    async stop() {},
  };
}
