import http from "node:http";
import https from "node:https";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import { fetchWithDeadline, type FetchContext } from "./fetch.js";
import { createHostBudget } from "./budget.js";
import { resolveOptions } from "./options.js";
import type { Fetcher, FetcherOptions } from "./types.js";

/** Builds the one Fetcher (the contract, and why it is the one way out, is in ./types.ts); re-exports what callers use. */

export { FetchError } from "./errors.js";
export { decodeText } from "./charset.js";
export { DEFAULT_ACCEPT, FETCHER_DEFAULTS } from "./options.js";

/** Options are checked here, once: a bad one throws an Error naming each bad option and what was expected. */
export function createFetcher(options: Partial<FetcherOptions> & { userAgent?: string } = {}): Fetcher {
  const resolved = resolveOptions(options);
  const filter = { allowPrivateIPAddress: resolved.allowPrivateNetworks, allowIPAddressList: resolved.allowAddresses };
  const context: FetchContext = {
    options: resolved,
    allowHosts: new Set(resolved.allowHosts),
    filtering: { http: new RequestFilteringHttpAgent(filter), https: new RequestFilteringHttpsAgent(filter) },
    // Only for allowHosts: the hostname was checked before connecting, so its addresses are trusted.
    unfiltered: { http: new http.Agent(), https: new https.Agent() },
    lookup: options.lookup,
  };
  const budget = createHostBudget({
    perHost: resolved.perHostConcurrency,
    global: resolved.globalConcurrency,
    defaultBackoffMs: resolved.hostBackoffMs,
    breakerThreshold: resolved.breakerThreshold,
    breakerOpenMs: resolved.breakerOpenMs,
  });
  return {
    fetch(request) {
      let host: string;
      try {
        // Per host *and port*: two services on one machine are two upstreams with their own limits.
        host = new URL(request.url).host.toLowerCase();
      } catch {
        return fetchWithDeadline(context, request); // rejects with BAD_URL, naming the input
      }
      return budget.run(host, request.url, () => fetchWithDeadline(context, request));
    },
  };
}
