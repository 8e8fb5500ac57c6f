import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { FetchErrorCode } from "./types.js";
import { parseRetryAfter } from "./headers.js";

/** Every way a fetch fails. Callers switch on `code`; `message` is a sentence for a forum admin. */
export class FetchError extends Error {
  override name = "FetchError";
  readonly code: FetchErrorCode;
  /** The URL being fetched when it failed (after redirects, so possibly not the one requested). */
  readonly url: string;
  /** The HTTP status, for HTTP_STATUS. */
  readonly status?: number;
  /** For HTTP_STATUS 429 and 503 with a readable Retry-After header. */
  readonly retryAfterMs?: number;

  constructor(
    code: FetchErrorCode,
    url: string,
    message: string,
    extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.url = url;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    // V8 formats a stack lazily and until then keeps its call sites, which pin the receivers of every frame
    // (the ClientRequest, its socket and timers). The host budget's circuit breaker keeps a host's last
    // failure, so an unformatted stack would keep a whole failed request alive per failing host.
    void this.stack;
    if (extra.cause instanceof Error) void extra.cause.stack;
  }

  /** Anything thrown inside a fetch leaves it as a FetchError, so callers need no second catch path. */
  static wrap(error: unknown, url: string): FetchError {
    if (error instanceof FetchError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new FetchError("NETWORK", url, `fetching ${url} failed: ${reason}`, { cause: error });
  }
}

export function badUrlError(url: string, message: string): FetchError {
  return new FetchError("BAD_URL", url, message);
}

export function timeoutError(url: string, timeoutMs: number): FetchError {
  return new FetchError("TIMEOUT", url, `gave up on ${url} after ${timeoutMs} ms (net.timeoutMs)`);
}

export function connectTimeoutError(url: URL, connectTimeoutMs: number): FetchError {
  const limit = `${connectTimeoutMs} ms (net.connectTimeoutMs)`;
  const message = `could not connect to ${url.host} within ${limit} for ${url.href}`;
  return new FetchError("TIMEOUT", url.href, message);
}

export function tooLargeError(url: URL, maxBytes: number): FetchError {
  const message = `the response from ${url.href} is larger than the limit of ${maxBytes} bytes (net.maxBytes)`;
  return new FetchError("TOO_LARGE", url.href, message);
}

export function tooManyRedirectsError(url: URL, maxRedirects: number): FetchError {
  const message = `${url.href} redirected once more after ${maxRedirects} redirects (net.maxRedirects)`;
  return new FetchError("TOO_MANY_REDIRECTS", url.href, message);
}

export function redirectLoopError(from: URL, to: URL): FetchError {
  const message = `redirect loop: ${from.href} redirected back to ${to.href}, which was already visited`;
  return new FetchError("TOO_MANY_REDIRECTS", from.href, message);
}

export function httpStatusError(url: URL, res: IncomingMessage): FetchError {
  const status = res.statusCode ?? 0;
  const reason = res.statusMessage || STATUS_CODES[status] || "";
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(header(res, "retry-after")) : undefined;
  const message = `${url.href} answered HTTP ${status}${reason ? ` ${reason}` : ""}`;
  return new FetchError("HTTP_STATUS", url.href, message, { status, retryAfterMs });
}

// request-filtering-agent refuses with a plain Error whose message is the only marker, e.g.
// "DNS lookup 127.0.0.1(family:4, host:localhost) is not allowed. Because, It is private IP address."
const REFUSAL = /^DNS lookup (.+?)\(family:[^)]*\) is not allowed\. Because,? It is (private|meta) IP address/;

/** Translates an error from connecting or sending the request (before any response). */
export function requestError(error: unknown, url: URL): FetchError {
  if (error instanceof Error && error.name === "PortNotAllowedError") {
    const message = `refused to connect to ${url.host} for ${url.href}: a public address is fetched on the ports of net.allowPorts only`;
    return new FetchError("BLOCKED_ADDRESS", url.href, message, { cause: error });
  }
  const refusal = error instanceof Error ? REFUSAL.exec(error.message) : null;
  if (refusal) {
    const [, address = "", kind] = refusal;
    const what = kind === "meta" ? "unspecified address" : "loopback/private address";
    const target = address === bareHostname(url) ? address : `${url.hostname} at ${address}`;
    const hint = "set net.allowPrivateNetworks to allow it";
    const message = `refused to connect to ${target} (${what}) for ${url.href}; ${hint}`;
    return new FetchError("BLOCKED_ADDRESS", url.href, message, { cause: error });
  }
  const code = errorCode(error);
  const message = CONNECT_CODES.has(code)
    ? `could not connect to ${url.host}: ${code}`
    : `${url.host} dropped the request for ${url.href}: ${describe(error)}`;
  return new FetchError("NETWORK", url.href, message, { cause: error });
}

/**
 * What a client that chose the URL is told of a failed connection. Refused, reset, filtered (a connect
 * timeout), a non-HTTP service that answers garbage, and a server too slow to answer all read the same, with
 * the same code: otherwise unfurl would tell anyone which ports of a host are open. The real error stays in
 * `cause` for the logs; operator-chosen fetches (feeds, forum APIs) keep the detailed sentence.
 */
export function forClient(error: FetchError, url: string): FetchError {
  if (error.code !== "NETWORK" && error.code !== "TIMEOUT") return error;
  const code = networkCode(error);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return error;
  let host = url;
  try {
    host = new URL(error.url || url).host;
  } catch {
    // keep the URL as given
  }
  return new FetchError("NETWORK", error.url || url, `could not get an answer from ${host}`, { cause: error });
}

/** Translates an error while reading or decompressing the body. */
export function bodyError(error: unknown, url: URL): FetchError {
  return new FetchError("NETWORK", url.href, `reading the response from ${url.href} failed: ${describe(error)}`, {
    cause: error,
  });
}

const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

/** The system error code (ECONNREFUSED, ENOTFOUND, ...) behind a NETWORK failure, or "". */
export function networkCode(error: FetchError): string {
  return error.code === "NETWORK" ? errorCode(error.cause) : "";
}

function errorCode(error: unknown): string {
  // With autoSelectFamily (Node 20's default) a host with several addresses fails with an AggregateError.
  const first = error instanceof AggregateError ? error.errors[0] : error;
  const code = (first as { code?: unknown } | null)?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
