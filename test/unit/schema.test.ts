import "reflect-metadata";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printCrosswireSchema, SCHEMA_FILE } from "../../schema/build.js";

describe("schema/schema.graphql", () => {
  it("is exactly what the code emits (run `npm run schema` after changing types or resolvers)", async () => {
    const emitted = await printCrosswireSchema();
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(emitted);
  });

  it("has the Relay shapes clients rely on", async () => {
    const sdl = await printCrosswireSchema();
    expect(sdl).toContain("interface Node {");
    expect(sdl).toMatch(/node\(id: ID!\): Node/);
    expect(sdl).toMatch(/nodes\(ids: \[ID!\]!\): \[Node\]!/);
    for (const type of ["Forum", "Thread", "Post", "Author"]) expect(sdl).toContain(`type ${type} implements Node {`);
    expect(sdl).toMatch(/type PageInfo \{[^}]*endCursor: String[^}]*hasNextPage: Boolean!/s);
    expect(sdl).toMatch(/type PostConnection \{[^}]*totalCount: Int!/s);
    expect(sdl).toContain("scalar DateTime");
  });
});
