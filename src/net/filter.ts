import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import { isIP, Socket, type LookupFunction } from "node:net";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import type { Agents } from "./request.js";

/**
 * The address filter of every outbound connection to a host not in allowHosts: request-filtering-agent
 * refuses every address ipaddr.js does not call "unicast" (checked after DNS, on every hop), plus two rules
 * of ours:
 *
 * - IPv6 forms that ipaddr.js calls unicast although they carry an IPv4 address: the deprecated
 *   IPv4-compatible ::a.b.c.d (::/96; request-filtering-agent's deny list cannot hold it: it matches IPv4
 *   addresses against every entry and throws on a v6 range). NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16), Teredo
 *   (2001::/32), IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), site-local (fec0::/10) and ULA
 *   (fc00::/7) are already refused by the range check (test/unit/address-filter.test.ts sweeps every form).
 * - Ports: a public address is fetched on `allowPorts` only (80 and 443 by default), so a client cannot use the
 *   gateway to probe other services of a public host. Addresses in allowAddresses (and, with
 *   allowPrivateNetworks, private ones) take any port: the operator named them.
 */
export interface FilterOptions {
  allowPrivateNetworks: boolean;
  allowAddresses: string[];
  allowPorts: number[];
}

/** Thrown (through the socket) for a port outside allowPorts; errors.ts turns it into a BLOCKED_ADDRESS. */
export class PortNotAllowedError extends Error {
  override name = "PortNotAllowedError";
  constructor(readonly port: number) {
    super(`port ${port} is not allowed for a public address`);
  }
}

export function filteringAgents(options: FilterOptions): Agents {
  const filter = { allowPrivateIPAddress: options.allowPrivateNetworks, allowIPAddressList: options.allowAddresses };
  const ports = new Set(options.allowPorts);
  const trusted = (address: string) => options.allowAddresses.includes(address) || (options.allowPrivateNetworks && !isPublic(address));
  // What this wrapper refuses before request-filtering-agent looks (a private address is the agent's to refuse,
  // with its own message): an IPv4-compatible address, and a public address on a port not allowed.
  const refusal = (address: string, port: number): Error | null => {
    if (trusted(address)) return null;
    if (isV4Compatible(address)) return privateAddress(address);
    return isPublic(address) && !ports.has(port) ? new PortNotAllowedError(port) : null;
  };
  const wrap = <A extends http.Agent>(agent: A): A => {
    const create = (agent as unknown as { createConnection: (o: ConnectOptions, cb?: unknown) => unknown }).createConnection.bind(agent);
    (agent as unknown as { createConnection: unknown }).createConnection = (connect: ConnectOptions, cb?: (error: Error | null, socket?: unknown) => void) => {
      const port = Number(connect.port) || (agent instanceof https.Agent ? 443 : 80);
      const host = String(connect.host ?? "").replace(/^\[(.*)\]$/, "$1");
      if (isIP(host) !== 0) {
        const refused = refusal(host, port);
        return refused ? errorSocket(refused, cb) : create(connect, cb);
      }
      const underlying = (connect.lookup ?? dns.lookup) as LookupFunction;
      const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
        underlying(hostname, lookupOptions, ((error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
          if (error) return (callback as (e: Error) => void)(error);
          const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
          for (const a of all) {
            const refused = refusal(a, port);
            if (refused) return (callback as (e: Error) => void)(refused);
          }
          (callback as (e: null, a: unknown, f?: number) => void)(null, address, family);
        }) as never);
      };
      return create({ ...connect, lookup }, cb);
    };
    return agent;
  };
  return { http: wrap(new RequestFilteringHttpAgent(filter)), https: wrap(new RequestFilteringHttpsAgent(filter)) };
}

/**
 * ::a.b.c.d (::/96, RFC 4291's deprecated IPv4-compatible form), which ipaddr.js calls unicast: refused whatever
 * v4 address it carries. :: itself and ::1 are not in it (ipaddr.js: unspecified, loopback).
 */
function isV4Compatible(address: string): boolean {
  if (isIP(address) !== 6) return false;
  try {
    const parts = (ipaddr.parse(address) as unknown as { parts: number[] }).parts;
    return parts.slice(0, 6).every((p) => p === 0) && (parts[6]! !== 0 || parts[7]! > 1);
  } catch {
    return false;
  }
}

/** Worded as request-filtering-agent words its refusals, so errors.ts reads both the same way. */
function privateAddress(address: string): Error {
  return new Error(`DNS lookup ${address}(family:6, host:${address}) is not allowed. Because, It is private IP address.`);
}

interface ConnectOptions {
  host?: string | null;
  port?: number | string | null;
  lookup?: LookupFunction;
}

/** A literal IP on a port not allowed: a socket that fails at once, before any packet (as request-filtering-agent does). */
function errorSocket(error: Error, cb?: (error: Error | null, socket?: unknown) => void): Socket {
  const socket = new Socket();
  if (cb) cb(error, socket);
  else socket.destroy(error);
  return socket;
}

// The classifier request-filtering-agent itself uses (its own copy of ipaddr.js, not a second opinion): an address
// it calls "unicast" is public. Loaded through the agent's package so both always agree.
const requireFromAgent = createRequire(createRequire(import.meta.url).resolve("request-filtering-agent"));
const ipaddr = requireFromAgent("ipaddr.js") as { parse(address: string): { range(): string } };

/** Public for the port rule: what the address filter lets through without allowPrivateNetworks. */
function isPublic(address: string): boolean {
  try {
    return ipaddr.parse(address).range() === "unicast";
  } catch {
    return false;
  }
}

export const plainAgents = (): Agents => ({ http: new http.Agent(), https: new https.Agent() });
