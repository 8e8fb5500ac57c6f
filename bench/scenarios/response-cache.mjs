/**
 * Scenario 12: scenario 1 with the response cache on (`cache.responses.enabled`, issue 22 item 3): the same thread
 * page, the same load, interleaved with the floor and with crosswire without the cache (scenario 1's server).
 * Target: ≥ 2× the floor. A build whose config has no such option reports the scenario as not available.
 */
import os from "node:os";
import { graphqlRequest, interleave, ratio } from "../load.mjs";
import { THREAD_PAGE, threadId } from "../queries.mjs";
import { startChild } from "../processes.mjs";

export const RESPONSE_CACHE = { cache: { responses: { enabled: true } } };

/** null when the built config accepts `cache.responses.enabled`, else the reason it gave. */
export async function responseCacheUnavailable() {
  const { loadConfig } = await import("../../dist/src/config/index.js");
  try {
    loadConfig({}, { dataDir: os.tmpdir(), sources: [], ...RESPONSE_CACHE });
    return null;
  } catch (error) {
    return String(error.message ?? error).split("\n").slice(0, 2).join(" ");
  }
}

/** A crosswire with the response cache over a copy of the thread data (`copy` makes the data directory). */
export async function startCachedCrosswire(overrides, copy) {
  const unavailable = await responseCacheUnavailable();
  if (unavailable) return { unavailable };
  const cache = { ...(overrides.cache ?? {}), ...RESPONSE_CACHE.cache };
  return { server: await startChild("crosswire", { dataDir: copy("cached"), overrides: { ...overrides, cache } }) };
}

export async function responseCache(env, servers) {
  if (!servers.cached) return { available: false, reason: servers.cachedUnavailable };
  const first = 100;
  const request = (port) => graphqlRequest(port, THREAD_PAGE, { id: threadId(1), first });
  // The cached answer must be the very one the server gives without its cache.
  const answer = async (port) => (await fetch(request(port).url, request(port))).text();
  const [cached, plain] = [await answer(servers.cached.port), await answer(servers.crosswire.port)];
  if (JSON.stringify(JSON.parse(cached)) !== JSON.stringify(JSON.parse(plain))) throw new Error("crosswire answers differently with its response cache on");
  const targets = { cached: request(servers.cached.port), floor: request(servers.floor.port), crosswire: request(servers.crosswire.port) };
  const results = await interleave(targets, { ...env.timing.warm, connections: env.connections, log: env.log });
  return {
    available: true,
    posts: first,
    connections: env.connections,
    ...results,
    ratios: { cachedOverFloor: ratio(results.cached, results.floor), cachedOverCrosswire: ratio(results.cached, results.crosswire) },
  };
}
