import type { LookupFunction } from "node:net";

/**
 * The one way crosswire talks to the outside world. Every outbound request (feeds, pages to unfurl, forum APIs)
 * goes through a Fetcher, which refuses private addresses (after DNS, on every redirect hop), caps time and
 * decoded size, and turns every failure into a FetchError with a stable `code`.
 */
export interface FetcherOptions {
  /** Sent as `User-Agent`, e.g. "crosswire/0.1 (+https://github.com/crosswire)". */
  userAgent: string;
  /** Total time for the whole fetch, redirects and body included. Default 15000. */
  timeoutMs: number;
  /** Time to establish each connection (TCP, and TLS for https). Default 5000. */
  connectTimeoutMs: number;
  /** Cap on the decoded (decompressed) body. Default 10 MiB. */
  maxBytes: number;
  /** Default 5. */
  maxRedirects: number;
  /** Default false: loopback, private, link-local and other non-unicast addresses are refused. */
  allowPrivateNetworks: boolean;
  /** Hostnames (exact, lower-case) allowed even when they resolve to private addresses. */
  allowHosts?: string[];
  /** IP addresses allowed even though they are private (e.g. a test's 127.0.0.2); per address, not per port. */
  allowAddresses?: string[];
  /** Requests in flight to one host, shared by every caller of this fetcher. Default 4. */
  perHostConcurrency?: number;
  /** Requests in flight in all (operator-chosen URLs: feeds, forum APIs, admin calls). Default 32. */
  globalConcurrency?: number;
  /** Requests for client-chosen URLs in flight, in a lane of their own (src/net/budget.ts). Default 8. */
  clientConcurrency?: number;
  /** Ports a public address may be fetched on; allowHosts/allowAddresses take any port. Default [80, 443]. */
  allowPorts?: number[];
  /** How long a host that answered 429/503 without Retry-After is left alone (a 403/404 concerns one resource). Default 60000. */
  hostBackoffMs?: number;
  /** Consecutive upstream failures that open a host's circuit breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open circuit fails fast. Default 30000. */
  breakerOpenMs?: number;
  /** DNS lookup to use instead of the system's (tests inject resolvers that lie). */
  lookup?: LookupFunction;
}

export interface FetchRequest {
  url: string;
  /** Replaces the default Accept header (feed formats first). */
  accept?: string;
  /** Validators from an earlier fetch; when given, a 304 answer is a result, not an error. */
  etag?: string | null;
  lastModified?: string | null;
  /** A lower cap on the decoded body for this request (pages to unfurl need far less than feeds). */
  maxBytes?: number;
  /** Extra request headers (e.g. an API key), sent only to the requested URL's origin, not across redirects. */
  headers?: Record<string, string>;
  /** Whether to read the body for a response of this media type; when false the body is skipped unread. */
  wantBody?: (contentType: string | null) => boolean;
  /** Sends a POST with this body instead of a GET (WebSub hub requests). Redirects are not followed for a POST. */
  post?: { contentType: string; body: string };
  /**
   * The URL was chosen by a client (Query.unfurl, a link in a post), not by the operator's configuration:
   * the request obeys its host's backoff and open circuit but never puts the host into either (src/net/budget.ts).
   */
  clientChosen?: boolean;
}

export interface FetchResult {
  /** Any 2xx is reported as 200; 304 only when `etag`/`lastModified` were sent and the server said not modified. */
  status: 200 | 304;
  /** Final URL after redirects. */
  url: string;
  /** Decoded (decompressed) body; empty on 304. */
  bytes: Buffer;
  /** Media type without parameters, lower-case, e.g. "application/rss+xml". */
  contentType: string | null;
  /** `charset` parameter of the Content-Type header, lower-case. Pass it to decodeText. */
  charset: string | null;
  /** Validators to send next time. On a 304 without them, the ones that were sent are returned. */
  etag: string | null;
  lastModified: string | null;
  /** True when `wantBody` declined the body: `bytes` is empty. */
  bodySkipped: boolean;
}

export type FetchErrorCode =
  | "BAD_URL"
  | "BLOCKED_ADDRESS"
  | "TIMEOUT"
  | "TOO_LARGE"
  | "TOO_MANY_REDIRECTS"
  | "HTTP_STATUS"
  | "NETWORK"
  | "HOST_BACKOFF"
  | "CIRCUIT_OPEN";

export interface Fetcher {
  /** Resolves with a FetchResult or rejects with a FetchError; never anything else. */
  fetch(request: FetchRequest): Promise<FetchResult>;
}
