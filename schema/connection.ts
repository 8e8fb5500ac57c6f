import { ClassType, Directive, Field, Int, ObjectType } from "type-graphql";

@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ simpleResolvers: true, description: "Relay pagination state of a connection." })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface EdgeShape<T> {
  node: T;
  cursor: string;
}

export interface ConnectionShape<T> {
  edges: EdgeShape<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Declares `<Name>Edge` and `<Name>Connection` object types for a node class (Relay cursor connections). */
export function connectionTypes<T extends object>(name: string, NodeClass: ClassType<T>) {
  @Directive("@cacheControl(inheritMaxAge: true)")
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge implements EdgeShape<T> {
    @Field(() => NodeClass)
    node!: T;

    @Field(() => String, { description: "Opaque cursor for `after`/`before`." })
    cursor!: string;
  }

  @Directive("@cacheControl(inheritMaxAge: true)")
  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [NodeClass], { description: "The nodes of `edges`, for clients that need no cursors." })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: "Number of items in the whole list, regardless of the page." })
    totalCount!: number;
  }

  return { Edge, Connection };
}
