import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { anyOf, at, selectionOf, type Selection } from "../../resolvers/selection.js";

/** The info of the document's first root field, as graphql-js would pass it. */
function infoOf(text: string) {
  const document = parse(text);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

const tree = (s: Selection | null): unknown => (s ? Object.fromEntries([...s.fields].map(([k, v]) => [k, tree(v)])) : null);

describe("selectionOf: what a field's selection asks for below it", () => {
  it("merges aliases, inline fragments and named fragments by field name", () => {
    const info = infoOf(`query { thread { posts { edges { node { a: author { name } ... on Post { author { username } citations { url } } ...P } } } } }
      fragment P on Post { citations { article { title } } }`);
    expect(tree(at(selectionOf(info), "posts", "edges", "node"))).toEqual({
      author: { name: {}, username: {} },
      citations: { url: {}, article: { title: {} } },
    });
  });

  it("drops a literal @skip(if: true) / @include(if: false) and keeps one that depends on a variable", () => {
    const info = infoOf(`query ($v: Boolean!) { thread { a @skip(if: true) b @include(if: false) c @include(if: $v) d @skip(if: false) ... @skip(if: true) { e } } }`);
    expect([...selectionOf(info).fields.keys()]).toEqual(["c", "d"]);
  });

  it("does not loop on a fragment that spreads itself", () => {
    const info = infoOf(`query { thread { ...F } } fragment F on Thread { title ...F }`);
    expect(tree(selectionOf(info))).toEqual({ title: {} });
  });

  it("is computed once per field node (cached), and anew for several field nodes", () => {
    const info = infoOf(`query { thread { title } }`);
    expect(selectionOf(info)).toBe(selectionOf(info));
    const two = { fieldNodes: [info.fieldNodes[0]!, (infoOf(`query { thread { id } }`).fieldNodes[0]!)], fragments: {} };
    expect(tree(selectionOf(two))).toEqual({ title: {}, id: {} });
  });

  it("anyOf joins a connection's edges.node and nodes; null when neither is selected", () => {
    const info = infoOf(`query { posts { edges { node { author { name } } } nodes { citations { url } } } }`);
    const posts = selectionOf(info); // the selection below the root field \`posts\`
    expect(tree(anyOf(posts, [["edges", "node"], ["nodes"]]))).toEqual({ author: { name: {} }, citations: { url: {} } });
    expect(anyOf(selectionOf(infoOf(`query { posts { totalCount } }`)), [["edges", "node"], ["nodes"]])).toBeNull();
  });
});
