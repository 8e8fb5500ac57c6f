/**
 * The layers of crosswire (docs: architecture), checked by `npm run lint` and .ci/run:
 *
 *   src/model      records, health, paging, global IDs, error codes: imports nothing of ours
 *   sources/       adapters: never GraphQL (schema, resolvers), transports (src/server) or syndication
 *   resolvers/     turn arguments into requests and pages into connections: only sources' contracts, never src/net
 *   src/syndication feeds: read through the read layer, never through resolvers
 *
 * and no import cycle anywhere. Type-only imports count: a contract that points the wrong way is still a wrong way.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "Modules that import each other cannot be understood, tested or loaded one at a time.",
      from: {},
      to: { circular: true },
    },
    {
      name: "model-imports-nothing-of-ours",
      severity: "error",
      comment: "src/model is the bottom layer: everything may import it, it imports only itself and node builtins.",
      from: { path: "^src/model/" },
      to: { path: "^(src|sources|schema|resolvers|test|bench)/", pathNot: "^src/model/" },
    },
    {
      name: "sources-stay-below-graphql-and-transports",
      severity: "error",
      comment: "Adapters serve every transport: they never import GraphQL types, resolvers, the server or syndication.",
      from: { path: "^sources/" },
      to: { path: "^(schema|resolvers|src/server|src/syndication)/" },
    },
    {
      name: "resolvers-use-source-contracts-only",
      severity: "error",
      comment: "Resolvers see adapters through their contract files (sources/forum.ts), never an implementation.",
      from: { path: "^resolvers/" },
      to: { path: "^sources/.+/" },
    },
    {
      name: "resolvers-never-fetch",
      severity: "error",
      comment: "Resolvers never fetch: outbound requests belong to adapters and pollers.",
      from: { path: "^resolvers/" },
      to: { path: "^src/net/" },
    },
    {
      name: "syndication-never-imports-resolvers",
      severity: "error",
      comment: "Feeds and GraphQL share the read layer below the resolvers; feeds never go through resolvers.",
      from: { path: "^src/syndication/" },
      to: { path: "^resolvers/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mts", ".json"] },
  },
};
