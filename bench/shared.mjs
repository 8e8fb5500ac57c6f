/** Constants and config pieces both sides need: run.mjs (the load generator) and child.mjs (the servers). */

/** Bearer token of the bench gateways' admin mutations (loopback only, never a real secret). */
export const ADMIN_TOKEN = "bench-admin-token-0123456789";

/** Feed sources as config entries. By default their URLs are never fetched (polling is off). */
export function sourceConfigs(sources, urlOf = (s) => `http://127.0.0.1:9/${s.id}.xml`) {
  return sources.map((s) => ({ id: s.id, name: s.name, url: urlOf(s), homepage: s.homepage, kind: s.format === "atom" ? "ATOM" : "RSS" }));
}
