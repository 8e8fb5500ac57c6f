import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalForumSource } from "../../sources/forum-local/index.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("HTTP caching, persisted queries, metrics and readiness", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ http: { corsOrigins: ["https://forum.example"] } });
  });
  afterAll(async () => gw?.close());

  it("a GET query carries a Cache-Control computed from the types' hints", async () => {
    const get = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { "apollo-require-preflight": "true", ...headers } });
    const threads = await get("{ forums { name threads(first: 2) { nodes { title } } } }");
    expect(threads.status).toBe(200);
    expect(threads.headers.get("cache-control")).toBe("max-age=30, public"); // Thread: 30 s, Forum: 300 s
    const articles = await get("{ articles(first: 2) { nodes { title sources { name } } } }");
    expect(articles.headers.get("cache-control")).toBe("max-age=300, public"); // Article 3600, Source 300
    const health = await get("{ sources { health { status } } }");
    expect(health.headers.get("cache-control")).toBe("no-store"); // SourceHealth: never cached
    const withToken = await get("{ forums { name } }", { authorization: "Bearer someone" });
    expect(withToken.headers.get("cache-control")).toBe("max-age=300, private");
  });

  it("an automatic persisted query round trip works with the hash only", async () => {
    const query = "{ forums { slug } }";
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const url = (withQuery: boolean) =>
      `${gw.url}/graphql?extensions=${encodeURIComponent(JSON.stringify(extensions))}${withQuery ? `&query=${encodeURIComponent(query)}` : ""}`;
    const headers = { "apollo-require-preflight": "true" };
    const unknown = await (await fetch(url(false), { headers })).json() as any;
    expect(unknown.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const register = await fetch(url(true), { headers });
    expect(register.status).toBe(200);
    const hashOnly = await (await fetch(url(false), { headers })).json() as any;
    expect(hashOnly.data.forums[0].slug).toBe("world-politics");
  });

  it("/metrics lists requests, latency, upstream fetches, cache lookups, batch sizes and source health", async () => {
    await gw.graphql("query Demo { forums { threads(first: 3) { nodes { author { name } } } } }");
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/crosswire_graphql_requests_total\{operation="Demo",outcome="ok"\} 1/);
    expect(text).toMatch(/crosswire_graphql_request_duration_seconds_count\{operation="Demo"\} 1/);
    expect(text).toMatch(/crosswire_dataloader_batch_size_count\{loader="author"\} \d+/);
    expect(text).toMatch(/crosswire_upstream_fetches_total\{source="meridian",outcome="stored"\} 1/);
    expect(text).toMatch(/crosswire_source_up\{source="harbor",status="OK"\} 1/);
    expect(text).toContain("# TYPE crosswire_cache_requests_total counter");
  });

  it("every response carries a request id, also inside its errors", async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST", headers: { "content-type": "application/json", "x-request-id": "trace-123" },
      body: JSON.stringify({ query: '{ thread(id: "nope") { title } }' }),
    });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(((await res.json()) as any).errors[0].extensions.requestId).toBe("trace-123");
  });

  it("CORS headers only for allowlisted origins, and preflight answered", async () => {
    const allowed = await fetch(`${gw.url}/graphql`, { method: "OPTIONS", headers: { origin: "https://forum.example", "access-control-request-method": "POST" } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://forum.example");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("content-type");
    const other = await fetch(`${gw.url}/graphql`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("/readyz is ready while the stores answer and 503 naming the store when one does not", async () => {
    const ok = await fetch(`${gw.url}/readyz`);
    expect(ok.status).toBe(200);
    const broken = await startTestGateway();
    try {
      (broken.gateway.forums.get("local") as LocalForumSource).database.close();
      const res = await fetch(`${broken.url}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).problems[0]).toMatch(/^forum store:/);
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200); // alive, just not ready
    } finally {
      await broken.close().catch(() => {});
    }
  });
});

describe("limits that depend on configuration", () => {
  it("rate-limits a client that spends more than its query cost per minute, with Retry-After", async () => {
    const gw = await startTestGateway({ rateLimit: { costPerMinute: 200, exemptLoopback: false } });
    try {
      const query = "{ forums { threads(first: 5) { nodes { title } } } }";
      const first = await gw.graphql(query);
      expect(first.status).toBe(200);
      let limited: Response | undefined;
      for (let i = 0; i < 20 && !limited; i++) {
        const res = await fetch(`${gw.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
        if (res.status === 429) limited = res;
      }
      expect(limited).toBeDefined();
      expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await limited!.json()) as any).errors[0].extensions.code).toBe("RATE_LIMITED");
    } finally {
      await gw.close();
    }
  });

  it("with safelistOnly, only listed operations run, by text or by hash", async () => {
    const listed = "{ forums { name } }";
    const file = path.join(mkdtempSync(path.join(tmpdir(), "crosswire-safelist-")), "safelist.json");
    writeFileSync(file, JSON.stringify([listed]));
    const gw = await startTestGateway({ persistedQueries: { safelistFile: file, safelistOnly: true } });
    try {
      expect((await gw.graphql(listed)).body.data.forums).toHaveLength(3);
      const other = await gw.graphql("{ forums { slug } }");
      expect(other.status).toBe(400);
      expect(other.body.errors[0].extensions.code).toBe("OPERATION_NOT_ALLOWED");
      const byHash = await fetch(`${gw.url}/graphql`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(listed) } } }),
      });
      expect(((await byHash.json()) as any).data.forums).toHaveLength(3);
    } finally {
      await gw.close();
    }
  });

  it("with introspection off, introspection is refused and suggestions do not reveal field names", async () => {
    const gw = await startTestGateway({ introspection: false });
    try {
      const intro = await gw.graphql("{ __schema { types { name } } }");
      expect(intro.status).toBe(400);
      const typo = await gw.graphql("{ forums { nmae } }");
      expect(typo.body.errors[0].message).not.toMatch(/Did you mean|"name"/);
    } finally {
      await gw.close();
    }
  });
});
