import { Field, ID, InterfaceType } from "type-graphql";

/** Relay's Object Identification: every object with a global ID can be refetched with `Query.node`. */
@InterfaceType({
  description: "An object with a globally unique, opaque ID that `node(id:)` can refetch.",
  resolveType: (value: { __typename?: string }) => value.__typename,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque global ID. Do not parse it; it may change format between versions." })
  id!: string;
}
