import { isIP } from "node:net";
import type { FetcherOptions } from "./types.js";

/** Feed formats first, generic JSON/XML next, anything else last (a site's HTML page is still worth reading). */
export const DEFAULT_ACCEPT =
  "application/rss+xml, application/atom+xml, application/feed+json, " +
  "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5";

export const FETCHER_DEFAULTS: Required<Omit<FetcherOptions, "lookup">> = {
  userAgent: "crosswire/0.1 (+https://github.com/crosswire)",
  timeoutMs: 15_000,
  connectTimeoutMs: 5_000,
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 5,
  allowPrivateNetworks: false,
  allowHosts: [],
  allowAddresses: [],
  perHostConcurrency: 4,
  globalConcurrency: 32,
  clientConcurrency: 8,
  allowPorts: [80, 443],
  hostBackoffMs: 60_000,
  breakerThreshold: 5,
  breakerOpenMs: 30_000,
};

export type ResolvedOptions = Required<Omit<FetcherOptions, "lookup">> & { accept: string };

/** Defaults filled in and every option checked; throws one Error listing each bad option. */
export function resolveOptions(options: Partial<FetcherOptions>): ResolvedOptions {
  const { lookup: _lookup, ...rest } = options;
  const merged = { ...FETCHER_DEFAULTS, ...withoutUndefined(rest) };
  const problems = [
    checkInteger("timeoutMs", merged.timeoutMs, 1),
    checkInteger("connectTimeoutMs", merged.connectTimeoutMs, 1),
    checkInteger("maxBytes", merged.maxBytes, 1),
    checkInteger("maxRedirects", merged.maxRedirects, 0),
    checkInteger("perHostConcurrency", merged.perHostConcurrency, 1),
    checkInteger("globalConcurrency", merged.globalConcurrency, 1),
    checkInteger("clientConcurrency", merged.clientConcurrency, 1),
    Array.isArray(merged.allowPorts) && merged.allowPorts.every((p) => Number.isInteger(p) && p >= 1 && p <= 65_535)
      ? null
      : `allowPorts: expected an array of port numbers such as [80, 443], got ${show(merged.allowPorts)}`,
    checkInteger("hostBackoffMs", merged.hostBackoffMs, 0),
    checkInteger("breakerThreshold", merged.breakerThreshold, 1),
    checkInteger("breakerOpenMs", merged.breakerOpenMs, 0),
    Array.isArray(merged.allowAddresses) && merged.allowAddresses.every((a) => isIP(a) !== 0)
      ? null
      : `allowAddresses: expected an array of IP addresses such as "127.0.0.2", got ${show(merged.allowAddresses)}`,
    typeof merged.allowPrivateNetworks === "boolean"
      ? null
      : `allowPrivateNetworks: expected true or false, got ${show(merged.allowPrivateNetworks)}`,
    typeof merged.userAgent === "string" && /^[\x20-\x7e]+$/.test(merged.userAgent)
      ? null
      : `userAgent: expected a non-empty string of printable ASCII, got ${show(merged.userAgent)}`,
    ...checkHosts(merged.allowHosts),
  ].filter((problem): problem is string => problem !== null);
  if (problems.length > 0) throw new Error(`createFetcher: invalid options:\n- ${problems.join("\n- ")}`);
  return { ...merged, allowHosts: merged.allowHosts.map((host) => host.toLowerCase()), accept: DEFAULT_ACCEPT };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkInteger(name: string, value: unknown, min: number): string | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min) return null;
  return `${name}: expected an integer >= ${min}, got ${show(value)}`;
}

function checkHosts(hosts: unknown): string[] {
  if (!Array.isArray(hosts)) return [`allowHosts: expected an array of hostnames, got ${show(hosts)}`];
  return hosts
    .filter((host) => typeof host !== "string" || !/^[^\s/@:[\]]+$|^[0-9a-f:.]+$/i.test(host))
    .map(
      (host) =>
        `allowHosts: expected a bare hostname such as "feeds.internal" (no scheme, port or path), got ${show(host)}`,
    );
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
