import type { LookupFunction } from "node:net";
import { isIP } from "node:net";

/**
 * A DNS resolver that lies on purpose: names map to fixed addresses, or to a list answered in turn (a
 * rebinding name answers a public address first and loopback next). Unknown names fail like NXDOMAIN.
 */
export function fakeDns(table: Record<string, string | string[]>): LookupFunction & { asked: string[] } {
  const turns = new Map<string, number>();
  const asked: string[] = [];
  const lookup = ((hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === "function" ? options : callback) as (err: Error | null, address?: unknown, family?: number) => void;
    const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all === true;
    asked.push(hostname);
    let address: string | undefined;
    if (isIP(hostname)) address = hostname;
    else {
      const entry = table[hostname];
      if (Array.isArray(entry)) {
        const n = turns.get(hostname) ?? 0;
        turns.set(hostname, n + 1);
        address = entry[Math.min(n, entry.length - 1)];
      } else {
        address = entry;
      }
    }
    if (!address) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
      return process.nextTick(() => cb(error));
    }
    const family = isIP(address);
    process.nextTick(() => (all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  }) as LookupFunction & { asked: string[] };
  lookup.asked = asked;
  return lookup;
}
