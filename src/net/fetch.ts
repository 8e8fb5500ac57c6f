import type { IncomingMessage } from "node:http";
import type { LookupFunction } from "node:net";
import { readBody } from "./body.js";
import { FetchError, forClient, httpStatusError, redirectLoopError, timeoutError, tooManyRedirectsError } from "./errors.js";
import { parseContentType } from "./headers.js";
import type { FetchRequest, FetchResult } from "./types.js";
import type { ResolvedOptions } from "./options.js";
import { openResponse, type Agents } from "./request.js";
import { checkUrl, resolveRedirect } from "./url.js";

export interface FetchContext {
  options: ResolvedOptions;
  allowHosts: Set<string>;
  filtering: Agents;
  unfiltered: Agents;
  lookup: LookupFunction | undefined;
}

/** One fetch under the total timeout: whatever hop or body read is running when it fires is destroyed. */
export async function fetchWithDeadline(context: FetchContext, request: FetchRequest): Promise<FetchResult> {
  const { timeoutMs } = context.options;
  let current = request.url;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(current, timeoutMs)), timeoutMs);
  try {
    return await followRedirects(context, request, controller.signal, (url) => (current = url.href));
  } catch (error) {
    const wrapped = FetchError.wrap(error, current);
    throw request.clientChosen ? forClient(wrapped, current) : wrapped;
  } finally {
    clearTimeout(timer);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function followRedirects(
  context: FetchContext,
  request: FetchRequest,
  signal: AbortSignal,
  visit: (url: URL) => void,
): Promise<FetchResult> {
  const { options } = context;
  const headers = requestHeaders(options, request);
  const seen = new Set<string>();
  let target = checkUrl(request.url);
  const origin = target.origin;
  for (let redirects = 0; ; redirects++) {
    visit(target);
    seen.add(target.href);
    // allowHosts is decided on the name before connecting; every other host is checked by address after DNS.
    const agents = context.allowHosts.has(bareHostname(target)) ? context.unfiltered : context.filtering;
    // Caller headers (a forum API key) go to the origin they were meant for, never to a redirect elsewhere.
    const sent = request.headers && target.origin === origin ? { ...request.headers, ...headers } : headers;
    const res = await openResponse(target, {
      agents, headers: sent, signal, connectTimeoutMs: options.connectTimeoutMs, lookup: context.lookup, body: request.post?.body,
    });
    const location = res.headers.location;
    // A POST is never replayed elsewhere: its 3xx is the answer (an HTTP_STATUS error).
    if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined || request.post) {
      return finish(context, target, res, request, signal);
    }
    res.destroy(); // a redirect's body is never read
    if (redirects >= options.maxRedirects) throw tooManyRedirectsError(target, options.maxRedirects);
    const next = resolveRedirect(target, location);
    // Without cookies or any change to the request, a URL already visited would answer the same way again.
    if (seen.has(next.href)) throw redirectLoopError(target, next);
    target = next;
  }
}

async function finish(
  context: FetchContext,
  target: URL,
  res: IncomingMessage,
  request: FetchRequest,
  signal: AbortSignal,
): Promise<FetchResult> {
  const status = res.statusCode ?? 0;
  if (status === 304 && (request.etag || request.lastModified)) {
    res.destroy();
    return result(target, res, Buffer.alloc(0), 304, request);
  }
  if (status < 200 || status > 299) {
    res.destroy();
    throw httpStatusError(target, res);
  }
  if (request.wantBody && !request.wantBody(parseContentType(res.headers["content-type"]).mediaType)) {
    res.destroy();
    return { ...result(target, res, Buffer.alloc(0), 200, {}), bodySkipped: true };
  }
  const maxBytes = Math.min(request.maxBytes ?? context.options.maxBytes, context.options.maxBytes);
  const bytes = await readBody(res, { url: target, maxBytes, signal });
  return result(target, res, bytes, 200, {});
}

function requestHeaders(options: ResolvedOptions, request: FetchRequest): Record<string, string> {
  const headers: Record<string, string> = {
    "user-agent": options.userAgent,
    accept: request.accept ?? options.accept,
    "accept-encoding": "gzip, deflate, br",
  };
  if (request.post) {
    headers["content-type"] = request.post.contentType;
    headers["content-length"] = String(Buffer.byteLength(request.post.body));
  }
  // Sent on every hop: harmless on a different URL, and right when the redirect is permanent.
  if (request.etag) headers["if-none-match"] = request.etag;
  if (request.lastModified) headers["if-modified-since"] = request.lastModified;
  return headers;
}

function result(
  target: URL,
  res: IncomingMessage,
  bytes: Buffer,
  status: 200 | 304,
  sent: { etag?: string | null; lastModified?: string | null },
): FetchResult {
  const { mediaType, charset } = parseContentType(res.headers["content-type"]);
  return {
    status,
    url: target.href,
    bytes,
    contentType: mediaType,
    charset,
    // A 304 need not repeat the validators; the ones sent are still the current ones then.
    etag: header(res, "etag") ?? sent.etag ?? null,
    lastModified: header(res, "last-modified") ?? sent.lastModified ?? null,
    bodySkipped: false,
  };
}

function header(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return typeof value === "string" && value !== "" ? value : null;
}

function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}
