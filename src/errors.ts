import { GraphQLError } from "graphql";

/**
 * Every `extensions.code` crosswire puts on a GraphQL error. Clients switch on these, never on messages.
 * Apollo Server's own codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, ...) pass through unchanged.
 */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  SOURCE_UNAVAILABLE: "SOURCE_UNAVAILABLE",
  /** A shared store (Redis, PostgreSQL) did not answer in `cache.timeoutMs` or is disconnected. */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  UNFURL_BLOCKED: "UNFURL_BLOCKED",
  UNFURL_FAILED: "UNFURL_FAILED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status a request gets when this code is the only thing wrong with it (exhaustive on purpose). */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.SOURCE_UNAVAILABLE:
    case ErrorCode.SERVICE_UNAVAILABLE:
      return 503;
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.UNFURL_BLOCKED:
      return 403;
    case ErrorCode.UNFURL_FAILED:
      return 502;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
  }
}

/** A user-fixable problem with one argument: the message names the argument and what a right value looks like. */
export class BadUserInputError extends GraphQLError {
  constructor(argumentName: string, message: string) {
    super(`Argument "${argumentName}": ${message}`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, argumentName, http: { status: 200 } },
    });
  }
}

/** A backend (forum store, feed, site) could not answer for this field; the rest of the response still resolves. */
export class SourceUnavailableError extends GraphQLError {
  constructor(sourceId: string, message: string) {
    super(`Source "${sourceId}" is unavailable: ${message}`, {
      extensions: { code: ErrorCode.SOURCE_UNAVAILABLE, sourceId },
    });
  }
}

/** The operation needs the admin token (`Authorization: Bearer <adminToken>`). */
export class UnauthenticatedError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
  }
}

/** An unfurl that was refused (blocked address or scheme) or failed upstream; the message says why. */
export class UnfurlError extends GraphQLError {
  constructor(code: typeof ErrorCode.UNFURL_BLOCKED | typeof ErrorCode.UNFURL_FAILED, url: string, reason: string) {
    super(`Could not unfurl ${url}: ${reason}`, { extensions: { code, url } });
  }
}

/**
 * One of the gateway's own stores (the Redis cache, the PostgreSQL forum store) is unreachable or too slow: the
 * fields that need it fail with this, the rest of the response resolves, and the store is retried on the next call.
 */
export class ServiceUnavailableError extends GraphQLError {
  /**
   * What the driver said ("connect ECONNREFUSED 10.0.0.5:5432", "The client is offline"): for logs and /readyz
   * only. Clients get the store's name, never its addresses.
   */
  readonly detail: string;
  constructor(store: string, detail: string) {
    super(`The ${store} is unavailable; retry shortly.`, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, store },
    });
    this.detail = detail;
  }
}

/** The driver's own words behind a ServiceUnavailableError (wrapped by graphql-js or not), else undefined. */
export function unavailableDetail(error: unknown): string | undefined {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  return original instanceof ServiceUnavailableError ? original.detail : undefined;
}
