/**
 * Apollo Server and its plugins (limits, rate limit, safelist, cache control, metrics, request ids, error
 * masking). The gateway itself is built by src/app; the HTTP routes live in src/app/routes.ts.
 */
export { createApollo, formatPublicError, GRAPHQL_PATH, type ApolloOptions, type GatewayApollo } from "./apollo.js";
