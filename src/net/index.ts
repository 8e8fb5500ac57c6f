import { fetchWithDeadline, type FetchContext } from "./fetch.js";
import { createHostBudget } from "./budget.js";
import { filteringAgents, plainAgents } from "./filter.js";
import { resolveOptions } from "./options.js";
import type { Fetcher, FetcherOptions } from "./types.js";

/** Builds the one Fetcher (the contract, and why it is the one way out, is in ./types.ts); re-exports what callers use. */

export { FetchError } from "./errors.js";
export { decodeText } from "./charset.js";
export { DEFAULT_ACCEPT, FETCHER_DEFAULTS } from "./options.js";

/** Options are checked here, once: a bad one throws an Error naming each bad option and what was expected. */
export function createFetcher(options: Partial<FetcherOptions> & { userAgent?: string } = {}): Fetcher {
  const resolved = resolveOptions(options);
  const context: FetchContext = {
    options: resolved,
    allowHosts: new Set(resolved.allowHosts),
    filtering: filteringAgents({ allowPrivateNetworks: resolved.allowPrivateNetworks, allowAddresses: resolved.allowAddresses, allowPorts: resolved.allowPorts }),
    // Only for allowHosts: the hostname was checked before connecting, so its addresses (and ports) are trusted.
    unfiltered: plainAgents(),
    lookup: options.lookup,
  };
  const budget = createHostBudget({
    perHost: resolved.perHostConcurrency,
    global: resolved.globalConcurrency,
    clientGlobal: resolved.clientConcurrency,
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
      return budget.run(host, request.url, () => fetchWithDeadline(context, request), { clientChosen: request.clientChosen === true });
    },
  };
}
