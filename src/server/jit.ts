import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";

/**
 * Executes operations with graphql-jit (a query compiled once to a JavaScript function) instead of graphql-js's
 * interpreter, plugged into Apollo Server through its documented gateway interface (`gateway.load()` hands Apollo an
 * executor; parsing, validation, plugins and serialization stay Apollo's). Issue 22 measured graphql-js's execution
 * as the largest share of a warm thread page once the data was loaded per level.
 *
 * A document is compiled the second time it is seen (a compile costs a few milliseconds: a caller sending
 * ever-new documents must not make every request pay it), and compiled documents are kept in an LRU of
 * `maxDocuments`. Before that, and for anything graphql-jit declines to compile, graphql-js executes it: the
 * answers are the same (test/integration/jit.test.ts compares both on the schema's documents).
 */

export interface JitOptions {
  /** Compiled documents kept (least recently used dropped). */
  maxDocuments: number;
  /** Executions of one document before it is compiled. */
  compileAfter: number;
}

export interface JitStats {
  compiled: number;
  interpreted: number;
  compileFailures: number;
}

interface Slot {
  seen: number;
  /** null: compiling failed; graphql-js runs it. */
  compiled?: CompiledQuery | null;
}

/** What the executor needs of Apollo's request context (GatewayGraphQLRequestContext). */
export interface JitRequest {
  source?: string;
  document: DocumentNode;
  operationName?: string | null;
  request: { variables?: Record<string, unknown> | null };
  context: unknown;
}

export function createJitExecutor(schema: GraphQLSchema, options: JitOptions) {
  const slots = new Map<string, Slot>();
  const stats: JitStats = { compiled: 0, interpreted: 0, compileFailures: 0 };

  function slotOf(key: string): Slot {
    let slot = slots.get(key);
    if (slot) {
      slots.delete(key);
    } else {
      slot = { seen: 0 };
      if (slots.size >= options.maxDocuments) slots.delete(slots.keys().next().value!);
    }
    slots.set(key, slot);
    return slot;
  }

  function compiledFor(request: JitRequest): CompiledQuery | null {
    const key = `${request.operationName ?? ""}\u0000${request.source ?? ""}`;
    if (request.source === undefined) return null;
    const slot = slotOf(key);
    if (slot.compiled !== undefined) return slot.compiled;
    if (++slot.seen < options.compileAfter) return null;
    const compiled = compileQuery(schema, request.document, request.operationName ?? undefined, { disablingCapturingStackErrors: true });
    if (isCompiledQuery(compiled)) {
      slot.compiled = compiled;
      stats.compiled++;
    } else {
      slot.compiled = null;
      stats.compileFailures++;
    }
    return slot.compiled;
  }

  async function executor(request: JitRequest): Promise<ExecutionResult> {
    const variables = request.request.variables ?? undefined;
    const compiled = compiledFor(request);
    if (compiled) return (await compiled.query(undefined, request.context, variables)) as ExecutionResult;
    stats.interpreted++;
    return await execute({ schema, document: request.document, contextValue: request.context, variableValues: variables, operationName: request.operationName });
  }

  return { executor, stats, get size() { return slots.size; } };
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
