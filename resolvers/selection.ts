import { Kind, type DirectiveNode, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/**
 * What a field's selection asks for below it, by field name (aliases and fragments merged), so a connection resolver
 * can load a whole level in batches before its children run (resolvers/level.ts).
 *
 * No maintained package reads a selection this way in our dependencies (graphql-parse-resolve-info is not one, and
 * @graphql-tools/utils is only a transitive one), so this is a small walk of the field's AST: fields by name, inline
 * fragments and named fragment spreads flattened (type conditions ignored: a plan may load a little more, never less),
 * `@skip` / `@include` with a literal honoured, and with a variable counted as selected (for the same reason). It
 * depends on the document only, so it is cached per field node: Apollo keeps one parsed document per query text.
 */
export interface Selection {
  /** Fields selected directly below, by schema field name. */
  readonly fields: ReadonlyMap<string, Selection>;
}

const EMPTY: Selection = { fields: new Map() };
const cache = new WeakMap<FieldNode, Selection>();

function excluded(directives: ReadonlyArray<DirectiveNode> | undefined): boolean {
  for (const d of directives ?? []) {
    const value = d.arguments?.find((a) => a.name.value === "if")?.value;
    if (value?.kind !== Kind.BOOLEAN) continue;
    if ((d.name.value === "skip" && value.value) || (d.name.value === "include" && !value.value)) return true;
  }
  return false;
}

type Fragments = Readonly<Record<string, FragmentDefinitionNode>>;

function collect(sets: ReadonlyArray<SelectionSetNode | undefined>, fragments: Fragments, seen: Set<string>): Selection {
  const byName = new Map<string, Array<SelectionSetNode | undefined>>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const node of set?.selections ?? []) {
      if (excluded(node.directives)) continue;
      if (node.kind === Kind.FIELD) {
        const list = byName.get(node.name.value) ?? [];
        list.push(node.selectionSet);
        byName.set(node.name.value, list);
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        visit(node.selectionSet);
      } else if (!seen.has(node.name.value)) {
        // A fragment spread inside itself is invalid GraphQL, but the walk must not loop on it either.
        seen.add(node.name.value);
        visit(fragments[node.name.value]?.selectionSet);
        seen.delete(node.name.value);
      }
    }
  };
  for (const set of sets) visit(set);
  if (byName.size === 0) return EMPTY;
  const fields = new Map<string, Selection>();
  for (const [name, subsets] of byName) fields.set(name, subsets.some(Boolean) ? collect(subsets, fragments, seen) : EMPTY);
  return { fields };
}

/** The selection below the field being resolved (all its field nodes merged). */
export function selectionOf(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): Selection {
  const first = info.fieldNodes[0];
  if (!first) return EMPTY;
  // One field node is the rule; several (the same response key in two fragments) are merged and not cached.
  if (info.fieldNodes.length > 1) return collect(info.fieldNodes.map((n) => n.selectionSet), info.fragments, new Set());
  let found = cache.get(first);
  if (!found) cache.set(first, (found = collect([first.selectionSet], info.fragments, new Set())));
  return found;
}

/** The selection at a path of field names below `selection` (e.g. `["edges", "node"]`), or null when not selected. */
export function at(selection: Selection, ...path: string[]): Selection | null {
  let current: Selection | undefined = selection;
  for (const name of path) {
    current = current.fields.get(name);
    if (!current) return null;
  }
  return current;
}

/** The union of the selections at several paths (a connection's `edges.node` and `nodes`), or null when none is selected. */
export function anyOf(selection: Selection, paths: string[][]): Selection | null {
  const found = paths.map((p) => at(selection, ...p)).filter((s): s is Selection => s !== null);
  if (found.length === 0) return null;
  if (found.length === 1) return found[0]!;
  const fields = new Map<string, Selection>();
  for (const s of found) for (const [name, sub] of s.fields) fields.set(name, fields.has(name) ? merge(fields.get(name)!, sub) : sub);
  return { fields };
}

function merge(a: Selection, b: Selection): Selection {
  const fields = new Map(a.fields);
  for (const [name, sub] of b.fields) fields.set(name, fields.has(name) ? merge(fields.get(name)!, sub) : sub);
  return { fields };
}
