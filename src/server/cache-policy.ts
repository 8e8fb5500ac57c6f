import type { ApolloServerPlugin } from "@apollo/server";
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { Context } from "../context.js";

/**
 * The HTTP cache policy of a response, computed once per document and operation instead of once per resolved field.
 *
 * Apollo's cache-control plugin wraps every field's resolver to read its `@cacheControl` hint as it resolves (issue 22:
 * 7 % of a warm thread page's CPU). The hints are static in crosswire (no resolver sets one), so the same rules can be
 * applied to the document instead: a composite or root field without a `maxAge` gets `defaultMaxAge` (0), a field's
 * own hint beats its type's, `inheritMaxAge` takes the parent's, the smallest `maxAge` wins and PRIVATE wins over
 * PUBLIC; a request with credentials is PRIVATE. The difference is deliberate: the document's policy covers every
 * field it selects, also those that resolve to nothing this time (an empty list, a null, a type the interface did not
 * resolve to), so it can only be shorter than Apollo's, never longer.
 */
export const CACHE_CONTROL_UNCACHEABLE = "no-store";

interface CacheHint {
  maxAge?: number | undefined;
  scope?: "PUBLIC" | "PRIVATE" | undefined;
}

interface Annotation extends CacheHint {
  inheritMaxAge?: true;
}

interface Policy {
  maxAge: number | undefined;
  scope: "PUBLIC" | "PRIVATE" | undefined;
}

const NO_HINT: Annotation = {};

function annotationOf(directives: ReadonlyArray<DirectiveNode> | undefined): Annotation | undefined {
  const directive = directives?.find((d) => d.name.value === "cacheControl");
  if (!directive?.arguments) return undefined;
  const arg = (name: string) => directive.arguments!.find((a) => a.name.value === name)?.value;
  const scopeNode = arg("scope");
  const scopeText = scopeNode?.kind === Kind.ENUM ? scopeNode.value : undefined;
  const scope = scopeText === "PUBLIC" || scopeText === "PRIVATE" ? scopeText : undefined;
  const inherit = arg("inheritMaxAge");
  if (inherit?.kind === Kind.BOOLEAN && inherit.value) return { inheritMaxAge: true, scope };
  const maxAge = arg("maxAge");
  return { maxAge: maxAge?.kind === Kind.INT ? parseInt(maxAge.value, 10) : undefined, scope };
}

function typeAnnotation(type: GraphQLCompositeType): Annotation {
  const own = annotationOf(type.astNode?.directives);
  if (own) return own;
  for (const node of type.extensionASTNodes ?? []) {
    const hint = annotationOf(node.directives);
    if (hint) return hint;
  }
  return NO_HINT;
}

const fieldAnnotation = (field: GraphQLField<unknown, unknown>) => annotationOf(field.astNode?.directives) ?? NO_HINT;

function restrict(policy: Policy, hint: CacheHint): void {
  if (hint.maxAge !== undefined && (policy.maxAge === undefined || hint.maxAge < policy.maxAge)) policy.maxAge = hint.maxAge;
  if (hint.scope !== undefined && policy.scope !== "PRIVATE") policy.scope = hint.scope;
}

/** The hint one field contributes on one concrete parent type: Apollo's willResolveField rules, without the resolver. */
function fieldHint(field: GraphQLField<unknown, unknown>, root: boolean, defaultMaxAge: number): Policy {
  const hint: Policy = { maxAge: undefined, scope: undefined };
  const target = getNamedType(field.type);
  let inherit = false;
  if (isCompositeType(target)) {
    const own = typeAnnotation(target);
    if (own.maxAge !== undefined) hint.maxAge = own.maxAge;
    if (own.scope !== undefined) hint.scope = own.scope;
    inherit = !!own.inheritMaxAge;
  }
  const onField = fieldAnnotation(field);
  if (onField.inheritMaxAge && hint.maxAge === undefined) {
    inherit = true;
    if (onField.scope) hint.scope = onField.scope;
  } else {
    if (onField.maxAge !== undefined) hint.maxAge = onField.maxAge;
    if (onField.scope !== undefined) hint.scope = onField.scope;
  }
  if (hint.maxAge === undefined && ((isCompositeType(target) && !inherit) || root)) hint.maxAge = defaultMaxAge;
  return hint;
}

/** A literal `@skip(if: true)` / `@include(if: false)` drops a selection; one that depends on a variable counts (the longer-lived choice is never made). */
function skippedForSure(directives: ReadonlyArray<DirectiveNode> | undefined): boolean {
  for (const d of directives ?? []) {
    const value = d.arguments?.find((a) => a.name.value === "if")?.value;
    if (value?.kind !== Kind.BOOLEAN) continue;
    if ((d.name.value === "skip" && value.value) || (d.name.value === "include" && !value.value)) return true;
  }
  return false;
}

class PolicyWalk {
  readonly policy: Policy = { maxAge: undefined, scope: undefined };
  private readonly seen = new Set<string>();
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly defaultMaxAge: number,
  ) {}

  /** The concrete types a selection on `type` may run on (Apollo sees the concrete parent type of each field). */
  private concrete(type: GraphQLCompositeType): readonly GraphQLObjectType[] {
    return isAbstractType(type) ? this.schema.getPossibleTypes(type) : [type as GraphQLObjectType];
  }

  walk(selectionSet: SelectionSetNode, type: GraphQLCompositeType, root: boolean): void {
    for (const object of this.concrete(type)) this.walkOn(selectionSet, object, root);
  }

  private walkOn(selectionSet: SelectionSetNode, object: GraphQLObjectType, root: boolean): void {
    for (const selection of selectionSet.selections) {
      if (skippedForSure(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue; // meta fields are not instrumented by Apollo either
        const field = object.getFields()[selection.name.value];
        if (!field) continue;
        restrict(this.policy, fieldHint(field, root, this.defaultMaxAge));
        const target = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(target)) this.walk(selection.selectionSet, target, false);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : object;
      if (!condition || !applies(this.schema, condition, object)) continue;
      // A named fragment spread twice on the same type adds nothing the second time (and cannot loop).
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const key = `${selection.name.value}@${object.name}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
      }
      this.walkOn(fragment.selectionSet, object, root);
    }
  }
}

function applies(schema: GraphQLSchema, condition: unknown, object: GraphQLObjectType): boolean {
  if (condition === object) return true;
  if (isObjectType(condition)) return false;
  return isAbstractType(condition) && schema.isSubType(condition, object);
}

/** The policy of one operation of a document (maxAge undefined: not cacheable). */
export function documentPolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, defaultMaxAge = 0): Policy {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const rootType = schema.getRootType(operation.operation);
  const walk = new PolicyWalk(schema, fragments, defaultMaxAge);
  if (rootType) walk.walk(operation.selectionSet, rootType, true);
  return walk.policy;
}

/** The header Apollo's plugin would write: `max-age=N, public|private`, or no-store when not cacheable or on errors. */
export function cacheControlHeader(policy: Policy, hasErrors: boolean): string {
  if (hasErrors || policy.maxAge === undefined || policy.maxAge === 0) return CACHE_CONTROL_UNCACHEABLE;
  return `max-age=${policy.maxAge}, ${(policy.scope ?? "PUBLIC").toLowerCase()}`;
}

/**
 * The plugin: the document's policy (cached per parsed document, which Apollo keeps in its document store, and
 * operation name), made PRIVATE when the request carries credentials (no shared cache keeps one viewer's answer for
 * another), restricting Apollo's overallCachePolicy (what a response cache reads) and written as Cache-Control.
 * Use with ApolloServerPluginCacheControlDisabled().
 */
export function cachePolicyPlugin(schema: GraphQLSchema, defaultMaxAge = 0): ApolloServerPlugin<Context> {
  const byDocument = new WeakMap<DocumentNode, Map<string, Policy>>();
  const policyOf = (document: DocumentNode, operation: OperationDefinitionNode) => {
    let perOperation = byDocument.get(document);
    if (!perOperation) byDocument.set(document, (perOperation = new Map()));
    const name = operation.name?.value ?? "";
    let policy = perOperation.get(name);
    if (!policy) perOperation.set(name, (policy = documentPolicy(schema, document, operation, defaultMaxAge)));
    return policy;
  };
  return {
    async requestDidStart({ request }) {
      const credentials = !!request.http?.headers.get("authorization");
      return {
        async didResolveOperation({ document, operation, overallCachePolicy }) {
          if (!operation) return;
          const policy = policyOf(document, operation);
          // restrict() ignores an undefined maxAge: an unrestricted policy stays "not cacheable" below.
          overallCachePolicy.restrict({ ...(policy.maxAge !== undefined ? { maxAge: policy.maxAge } : {}), ...(policy.scope ? { scope: policy.scope } : {}) });
          if (credentials) overallCachePolicy.restrict({ scope: "PRIVATE" });
        },
        async willSendResponse({ response, overallCachePolicy }) {
          const single = response.body.kind === "single";
          const errors = !single || !!(response.body.kind === "single" && response.body.singleResult.errors);
          response.http.headers.set("cache-control", cacheControlHeader({ maxAge: overallCachePolicy.maxAge, scope: overallCachePolicy.scope }, errors));
        },
      };
    },
  };
}
