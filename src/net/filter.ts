import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, Socket, type LookupFunction } from "node:net";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import type { Agents } from "./request.js";

/**
 * The address filter of every outbound connection to a host not in allowHosts: request-filtering-agent
 * refuses every address ipaddr.js does not call "unicast" (checked after DNS, on every hop), plus two rules
 * of ours:
 *
 * - DENY_RANGES: IPv6 forms that ipaddr.js calls unicast although they carry an IPv4 address: the deprecated
 *   IPv4-compatible ::a.b.c.d (::/96). NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16), Teredo
 *   (2001::/32), IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), site-local (fec0::/10) and ULA
 *   (fc00::/7) are already refused by the range check (test/unit/address-filter.test.ts sweeps every form).
 * - Ports: a public address is fetched on `allowPorts` only (80 and 443 by default), so a client cannot use the
 *   gateway to probe other services of a public host. Addresses in allowAddresses (and, with
 *   allowPrivateNetworks, private ones) take any port: the operator named them.
 */
export const DENY_RANGES = ["::/96"];

export interface FilterOptions {
  allowPrivateNetworks: boolean;
  allowAddresses: string[];
  allowPorts: number[];
}

/** Thrown (through the socket) for a port outside allowPorts; errors.ts turns it into BLOCKED_PORT wording. */
export class PortNotAllowedError extends Error {
  override name = "PortNotAllowedError";
  constructor(readonly port: number) {
    super(`port ${port} is not allowed for a public address`);
  }
}

export function filteringAgents(options: FilterOptions): Agents {
  const filter = { allowPrivateIPAddress: options.allowPrivateNetworks, allowIPAddressList: options.allowAddresses, denyIPAddressList: DENY_RANGES };
  const ports = new Set(options.allowPorts);
  const trusted = (address: string) => options.allowAddresses.includes(address) || (options.allowPrivateNetworks && !isPublic(address));
  const portRule = <A extends http.Agent>(agent: A): A => {
    const create = (agent as unknown as { createConnection: (o: ConnectOptions, cb?: unknown) => unknown }).createConnection.bind(agent);
    (agent as unknown as { createConnection: unknown }).createConnection = (connect: ConnectOptions, cb?: (error: Error | null, socket?: unknown) => void) => {
      const port = Number(connect.port) || (agent instanceof https.Agent ? 443 : 80);
      if (ports.has(port)) return create(connect, cb);
      const host = String(connect.host ?? "").replace(/^\[(.*)\]$/, "$1");
      // A private address is the address filter's to refuse (with its own message); only public ones meet the port rule.
      const refused = (address: string) => isPublic(address) && !trusted(address);
      if (isIP(host) !== 0) return refused(host) ? errorSocket(new PortNotAllowedError(port), cb) : create(connect, cb);
      const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
        const underlying = (connect.lookup ?? dns.lookup) as LookupFunction;
        underlying(hostname, lookupOptions, ((error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
          if (error) return (callback as (e: Error) => void)(error);
          const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
          if (all.some(refused)) return (callback as (e: Error) => void)(new PortNotAllowedError(port));
          (callback as (e: null, a: unknown, f?: number) => void)(null, address, family);
        }) as never);
      };
      return create({ ...connect, lookup }, cb);
    };
    return agent;
  };
  return { http: portRule(new RequestFilteringHttpAgent(filter)), https: portRule(new RequestFilteringHttpsAgent(filter)) };
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

/** Loose public/private split for the port rule only (request-filtering-agent decides what may be reached at all). */
function isPublic(address: string): boolean {
  return !/^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|f[cd]|fe[89ab]|::ffff:(127|10|192\.168)\.)/i.test(address);
}

export const plainAgents = (): Agents => ({ http: new http.Agent(), https: new https.Agent() });
