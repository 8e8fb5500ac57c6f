import { describe, expect, it } from "vitest";
import { isAbstractType, isCompositeType, isListType, isNonNullType, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { buildCrosswireSchema } from "../../resolvers/index.js";

/**
 * graphql-js's OverlappingFieldsCanBeMerged refuses `... on A { title } ... on B { title }` when A.title and
 * B.title differ in type, even only in nullability (`String` vs `String!`): a frontend could not select a field
 * on every member of a union or interface without aliases. The same shape is what that rule compares: lists and
 * non-null wrappers must match, leaves must be the same type; two object types are fine (their own fields are
 * compared where they are selected, and this walk covers every abstract type they belong to).
 */
function sameShape(a: GraphQLOutputType, b: GraphQLOutputType): boolean {
  if (isNonNullType(a) || isNonNullType(b)) return isNonNullType(a) && isNonNullType(b) && sameShape(a.ofType, b.ofType);
  if (isListType(a) || isListType(b)) return isListType(a) && isListType(b) && sameShape(a.ofType, b.ofType);
  if (isCompositeType(a) && isCompositeType(b)) return true;
  return a === b;
}

export function fieldConflicts(schema: GraphQLSchema): string[] {
  const conflicts: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || type.name.startsWith("__")) continue;
    const members = schema.getPossibleTypes(type);
    for (const [i, a] of members.entries()) {
      for (const b of members.slice(i + 1)) {
        const bFields = b.getFields();
        for (const [name, field] of Object.entries(a.getFields())) {
          const other = bFields[name];
          if (other && !sameShape(field.type, other.type)) {
            conflicts.push(`${type.name}: ${a.name}.${name} is ${String(field.type)} but ${b.name}.${name} is ${String(other.type)}`);
          }
        }
      }
    }
  }
  return conflicts;
}

describe("unions and interfaces", () => {
  it("give fields of the same name the same type in every member, so a frontend selects them without aliases", async () => {
    expect(fieldConflicts(await buildCrosswireSchema())).toEqual([]);
  });
});
