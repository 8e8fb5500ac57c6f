/**
 * Every `extensions.code` crosswire puts on an error, with the HTTP status it stands for. Clients switch on
 * these, never on messages. Apollo Server's own codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, ...)
 * pass through unchanged; the two listed here are the ones crosswire also sets itself (the WebSocket transport).
 *
 * The error classes here are plain `Error`s carrying `extensions`, not `GraphQLError`s: the storage layer and the
 * model throw them without knowing GraphQL. graphql-js copies an original error's `extensions` onto the
 * GraphQLError it wraps a resolver's error in, so the code reaches the client unchanged (and Apollo reads
 * `extensions.http` from there as it did before).
 */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  SOURCE_UNAVAILABLE: "SOURCE_UNAVAILABLE",
  /** A shared store (Redis, PostgreSQL) did not answer in `cache.timeoutMs` or is disconnected. */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  /** Authenticated, but not allowed to do this (change another author's post without the admin token). */
  FORBIDDEN: "FORBIDDEN",
  UNFURL_BLOCKED: "UNFURL_BLOCKED",
  UNFURL_FAILED: "UNFURL_FAILED",
  /** The HTTP request itself is malformed (not JSON, no query); set by the transports. */
  BAD_REQUEST: "BAD_REQUEST",
  /** The request body is over `http.bodyLimitBytes`. */
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** The client's request budget is spent; `retryAfterSeconds` says when to come back. */
  RATE_LIMITED: "RATE_LIMITED",
  /** `persistedQueries.safelistOnly`: the operation is not on the safelist (HTTP). */
  OPERATION_NOT_ALLOWED: "OPERATION_NOT_ALLOWED",
  /** Same as OPERATION_NOT_ALLOWED, on the WebSocket transport. */
  PERSISTED_QUERY_NOT_ALLOWED: "PERSISTED_QUERY_NOT_ALLOWED",
  /** The operation to run could not be chosen (several operations, no `operationName`) before cost was measured. */
  OPERATION_RESOLUTION_FAILURE: "OPERATION_RESOLUTION_FAILURE",
  // Query limits (src/server/limits.ts): each names the limit and the measured value.
  QUERY_TOO_DEEP: "QUERY_TOO_DEEP",
  TOO_MANY_ALIASES: "TOO_MANY_ALIASES",
  TOO_MANY_DIRECTIVES: "TOO_MANY_DIRECTIVES",
  TOO_MANY_ROOT_FIELDS: "TOO_MANY_ROOT_FIELDS",
  TOO_MANY_TOKENS: "TOO_MANY_TOKENS",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  /** More subscriptions on one WebSocket connection than `subscriptions.maxPerConnection`. */
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  /** A subscriber read its events too slowly and was dropped (its buffer filled). */
  SLOW_CONSUMER: "SLOW_CONSUMER",
  // Stored sources (admin API, docs/sources/admin-api.md).
  /** The URL is neither a feed nor a page that links to one (nor has one at a well-known path). */
  FEED_NOT_FOUND: "FEED_NOT_FOUND",
  /** A source or forum with this id or URL exists already (config file or stored). */
  SOURCE_EXISTS: "SOURCE_EXISTS",
  /** No stored source or forum has this id. */
  SOURCE_NOT_FOUND: "SOURCE_NOT_FOUND",
  /** The source comes from the config file: change it there. */
  SOURCE_READ_ONLY: "SOURCE_READ_ONLY",
  /** The URL could not be fetched (blocked address, too large, redirect loop, timeout, HTTP error). */
  SOURCE_FETCH_FAILED: "SOURCE_FETCH_FAILED",
  /** Apollo's own codes, set by crosswire where it parses and validates itself (WebSocket). */
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * HTTP status a request gets when this code is the only thing wrong with it (exhaustive on purpose: a new code
 * does not compile until it has a status). Errors of a GraphQL response that still has data keep 200.
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.BAD_REQUEST:
    case ErrorCode.OPERATION_NOT_ALLOWED:
    case ErrorCode.PERSISTED_QUERY_NOT_ALLOWED:
    case ErrorCode.OPERATION_RESOLUTION_FAILURE:
    case ErrorCode.QUERY_TOO_DEEP:
    case ErrorCode.TOO_MANY_ALIASES:
    case ErrorCode.TOO_MANY_DIRECTIVES:
    case ErrorCode.TOO_MANY_ROOT_FIELDS:
    case ErrorCode.TOO_MANY_TOKENS:
    case ErrorCode.QUERY_TOO_COMPLEX:
    case ErrorCode.GRAPHQL_PARSE_FAILED:
    case ErrorCode.GRAPHQL_VALIDATION_FAILED:
      return 400;
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.UNFURL_BLOCKED:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.SOURCE_READ_ONLY:
      return 403;
    case ErrorCode.SOURCE_NOT_FOUND:
      return 404;
    case ErrorCode.SOURCE_EXISTS:
      return 409;
    case ErrorCode.FEED_NOT_FOUND:
      return 422;
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return 413;
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.TOO_MANY_SUBSCRIPTIONS:
      return 429;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    case ErrorCode.UNFURL_FAILED:
    case ErrorCode.SOURCE_FETCH_FAILED:
      return 502;
    case ErrorCode.SOURCE_UNAVAILABLE:
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.SLOW_CONSUMER:
      return 503;
  }
}

/** Any error crosswire raises on purpose: a code from the list above and the extensions clients see. */
export class CrosswireError extends Error {
  readonly extensions: { code: ErrorCode } & Record<string, unknown>;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extensions = { code, ...extensions };
  }
  get code(): ErrorCode {
    return this.extensions.code;
  }
}

/** A user-fixable problem with one argument: the message names the argument and what a right value looks like. */
export class BadUserInputError extends CrosswireError {
  constructor(argumentName: string, message: string) {
    super(ErrorCode.BAD_USER_INPUT, `Argument "${argumentName}": ${message}`, { argumentName, http: { status: 200 } });
  }
}

/** A backend (forum store, feed, site) could not answer for this field; the rest of the response still resolves. */
export class SourceUnavailableError extends CrosswireError {
  constructor(sourceId: string, message: string) {
    super(ErrorCode.SOURCE_UNAVAILABLE, `Source "${sourceId}" is unavailable: ${message}`, { sourceId });
  }
}

/** The operation needs the admin token (`Authorization: Bearer <adminToken>`). */
export class UnauthenticatedError extends CrosswireError {
  constructor(message: string) {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

/** An unfurl that was refused (blocked address or scheme) or failed upstream; the message says why. */
export class UnfurlError extends CrosswireError {
  constructor(code: typeof ErrorCode.UNFURL_BLOCKED | typeof ErrorCode.UNFURL_FAILED, url: string, reason: string) {
    super(code, `Could not unfurl ${url}: ${reason}`, { url });
  }
}

/**
 * One of the gateway's own stores (the Redis cache, the PostgreSQL forum store) is unreachable or too slow: the
 * fields that need it fail with this, the rest of the response resolves, and the store is retried on the next call.
 */
export class ServiceUnavailableError extends CrosswireError {
  /**
   * What the driver said ("connect ECONNREFUSED 10.0.0.5:5432", "The client is offline"): for logs and /readyz
   * only. Clients get the store's name, never its addresses.
   */
  readonly detail: string;
  constructor(store: string, detail: string) {
    super(ErrorCode.SERVICE_UNAVAILABLE, `The ${store} is unavailable; retry shortly.`, { store });
    this.detail = detail;
  }
}

/** The driver's own words behind a ServiceUnavailableError (wrapped by graphql-js or not), else undefined. */
export function unavailableDetail(error: unknown): string | undefined {
  const wrapped = (error as { originalError?: unknown } | null)?.originalError;
  const original = wrapped ?? error;
  return original instanceof ServiceUnavailableError ? original.detail : undefined;
}
