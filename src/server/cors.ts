import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * CORS for browser frontends on other origins: only origins in the allowlist get CORS headers (no
 * wildcard, so credentials stay safe); everything else is same-origin only, as browsers enforce.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): "preflight" | "ok" {
  const origin = req.headers.origin;
  if (origin && allowed.includes(origin)) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-allow-credentials", "true");
    res.setHeader("access-control-expose-headers", "x-request-id, etag");
  }
  res.setHeader("vary", "origin");
  if (req.method !== "OPTIONS") return "ok";
  if (origin && allowed.includes(origin)) {
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader(
      "access-control-allow-headers",
      "content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id",
    );
    res.setHeader("access-control-max-age", "600");
  }
  res.writeHead(204);
  res.end();
  return "preflight";
}
