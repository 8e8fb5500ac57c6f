import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { LocalForumSource } from "../../../sources/forum-local/index.js";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.js";

/**
 * Shared parts of the hostile suite (test/hostile/hostile.test.ts runs every *.cases.ts module in one
 * process, so one memory measurement covers the whole run).
 *
 * - `strict`: the defaults a production gateway gets (limits, body size, CSRF), demo forum and demo feeds,
 *   introspection on (as outside NODE_ENV=production), an admin token.
 * - `locked`: introspection off, and a generous token budget and cost cap (`maxTokens` 100 000, `maxCost`
 *   10 000 000: both the configured maxima) so that each structural rule (aliases, directives, root fields,
 *   resolver clamps of `first`) is reached on its own instead of being pre-empted by the token limit.
 */
export const ADMIN = "hostile-suite-admin-token-0123456789";

export interface World {
  strict: TestGateway;
  locked: TestGateway;
}

export const world = {} as World;

export async function startGraphqlWorld(): Promise<void> {
  // No background timers (search's post sync, the stored sources' re-read): a case that must cause no statement would
  // otherwise see theirs when the suite runs longer than their interval (it did, on a loaded machine).
  const quiet = { news: { poll: false }, search: { postSyncSeconds: 0 }, storedSources: { syncSeconds: 3600 } } as const;
  world.strict = await startTestGateway({ adminToken: ADMIN, ...quiet });
  world.locked = await startTestGateway({
    adminToken: ADMIN,
    ...quiet,
    introspection: false,
    limits: { maxTokens: 100_000, maxCost: 10_000_000 },
  });
}

export async function stopGraphqlWorld(): Promise<void> {
  await world.strict?.close();
  await world.locked?.close();
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when the body is not JSON (e.g. Node's own 431). */
  json: any;
}

export async function send(
  gw: TestGateway,
  init: { method?: string; body?: RequestInit["body"]; headers?: Record<string, string>; search?: string },
): Promise<Answer> {
  const res = await fetch(`${gw.url}/graphql${init.search ?? ""}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: init.headers ?? {},
    body: init.body ?? null,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST application/json with a body object (or a raw string). */
export function post(gw: TestGateway, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(gw, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
}

export const query = (gw: TestGateway, q: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  post(gw, { query: q, ...(variables ? { variables } : {}) }, headers);

export const admin = (gw: TestGateway, q: string, variables?: Record<string, unknown>) =>
  query(gw, q, variables, { authorization: `Bearer ${ADMIN}` });

/** Apollo's, graphql-js's and crosswire's documented codes: anything else is a surprise. */
export const DOCUMENTED_CODES = new Set([
  "BAD_USER_INPUT", "BAD_REQUEST", "PAYLOAD_TOO_LARGE", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
  "QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_ROOT_FIELDS", "TOO_MANY_DIRECTIVES", "TOO_MANY_TOKENS",
  "QUERY_TOO_COMPLEX", "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED", "OPERATION_NOT_ALLOWED",
  "OPERATION_RESOLUTION_FAILURE", "UNAUTHENTICATED", "UNFURL_BLOCKED", "UNFURL_FAILED",
]);

/**
 * The request was refused as a whole: the HTTP status, a GraphQL-shaped body whose first error carries
 * `code`, no data, and nothing an attacker can use (no stack, no internal message, no SQL).
 */
export function expectRefused(answer: Answer, status: number, code: string | readonly string[]): void {
  const codes = typeof code === "string" ? [code] : code;
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.headers.get("content-type") ?? "").toMatch(/json/);
  expect(Array.isArray(answer.json?.errors), answer.text.slice(0, 300)).toBe(true);
  expect(answer.json.errors.length).toBeGreaterThan(0);
  expect(codes, answer.text.slice(0, 300)).toContain(answer.json.errors[0].extensions?.code);
  expect(answer.json.data ?? null).toBeNull();
  expectNoLeak(answer);
}

/** A field-level refusal (HTTP 200, `data` present, the bad field null, an error with `code` naming the argument). */
export function expectFieldError(answer: Answer, code: string, argumentName?: string | RegExp): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  expect(Array.isArray(answer.json?.errors), answer.text.slice(0, 300)).toBe(true);
  for (const error of answer.json.errors) {
    expect(error.extensions?.code, answer.text.slice(0, 300)).toBe(code);
    if (argumentName !== undefined && code === "BAD_USER_INPUT") {
      if (typeof argumentName === "string") expect(error.extensions.argumentName).toBe(argumentName);
      else expect(error.extensions.argumentName).toMatch(argumentName);
      expect(error.message).toMatch(/^Argument "/);
    }
  }
  expect("data" in answer.json).toBe(true);
  expectNoLeak(answer);
}

export function expectNoLeak(answer: Answer): void {
  expect(answer.status).toBeLessThan(500);
  expect(answer.text).not.toMatch(/stacktrace|Internal server error|INTERNAL_SERVER_ERROR|SQLITE|at [\w.<>]+ \(\/|node_modules/);
}

export function forumDb(gw: TestGateway) {
  return (gw.gateway.forums.get("local") as LocalForumSource).database;
}

const sha = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);

/**
 * What is stored, seen from both sides: row counts of every table of forum.db, a hash of every post body and
 * thread, every row of the keyv cache (articles, indexes, health, APQ hashes), and the GraphQL view.
 */
export async function snapshot(gw: TestGateway): Promise<Record<string, unknown>> {
  const forum = forumDb(gw);
  const tables = await forum.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t.name] = (await forum.get<{ n: number }>(`SELECT count(*) AS n FROM "${t.name}"`))!.n;
  const posts = sha(await forum.all("SELECT * FROM posts ORDER BY id"));
  const threads = sha(await forum.all("SELECT * FROM threads ORDER BY id"));
  const keyv = gw.gateway.cacheStore.database.all<{ key: string; value: string; expires_at: number | null }>(
    "SELECT key, value, expires_at FROM keyv ORDER BY key",
  );
  const { body } = await gw.graphql(
    "{ articles(first: 1) { totalCount } sources { slug health { status itemCount consecutiveFailures lastError lastAttemptAt } } forums { slug threads(first: 1) { totalCount } } }",
  );
  expect(body.errors).toBeUndefined();
  return { counts, posts, threads, keyvRows: keyv.length, keyv: sha(keyv), view: body.data };
}

/** Every SQL statement both stores run while `fn` runs. */
export async function watchStatements<T>(gw: TestGateway, fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const offForum = forumDb(gw).onStatement((sql) => statements.push(sql));
  const offCache = gw.gateway.cacheStore.database.onStatement((sql) => statements.push(sql));
  try {
    return { result: await fn(), statements };
  } finally {
    offForum();
    offCache();
  }
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA)\b/i;

/**
 * Runs a hostile request and proves it changed nothing: the stores saw no write (and, for requests refused
 * before execution, no statement at all), and the snapshot after equals the snapshot before.
 */
export async function unchanged<T>(gw: TestGateway, fn: () => Promise<T>, options: { executes?: boolean } = {}): Promise<T> {
  const before = await snapshot(gw);
  const { result, statements } = await watchStatements(gw, fn);
  expect(statements.filter((s) => WRITE.test(s))).toEqual([]);
  if (options.executes === false) expect(statements, "refused before execution: no store round trip").toEqual([]);
  expect(await snapshot(gw)).toEqual(before);
  return result;
}

/** `{ post(id) { thread { posts { nodes { thread { … } } } } } }`: two levels of depth per repetition. */
export function deepQuery(levels: number): string {
  let inner = "id";
  for (let i = 0; i < Math.ceil((levels - 2) / 3); i++) inner = `thread { posts(first: 1) { nodes { ${inner} } } }`;
  return `{ post(id: "UG9zdDpsb2NhbDox") { ${inner} } }`;
}
