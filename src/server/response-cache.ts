import { createHash, randomUUID } from "node:crypto";
import type { ApolloServerPlugin, GraphQLResponse } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import type Keyv from "keyv";
import type { Context } from "../context.js";
import type { Logger } from "../logger.js";

/**
 * Whole query responses, reused (`cache.responses`, off by default; issue 22 item 3).
 *
 * Key: a hash of the query text, the operation name, the variables, the Accept header and the viewer (the
 * Authorization header, so an entry is never served to a request with other credentials or none). Validity: a
 * generation, changed by bump() on every event that may change what a response shows (a new post, a new article, a
 * source's health, a write: wired by the composition root). An entry carries the generation read before its request
 * executed, so a bump during execution leaves it unused. Never cached: mutations, subscriptions, responses with errors,
 * and answers that are not final (a citation still PENDING: its page's arrival announces nothing; an unfurl refused by
 * one client's budget, which another client's request would not be).
 *
 * Tiers: an in-process map bounded by `memoryBytes` (least recently used out first), then the keyv store. In the
 * embedded store the generation lives in this process and starts at a random value, so entries a previous run left
 * in cache.db are never served. When the store is shared (Redis) the generation lives there too, so a bump on one
 * gateway is seen by every gateway: each lookup reads generation and entry in one MGET.
 */
export interface ResponseCacheOptions {
  keyv: Keyv;
  /** Other processes share `keyv` (Redis): the generation is read from there on every lookup. */
  shared: boolean;
  memoryBytes: number;
  ttlSeconds: number;
  logger: Logger;
  /** hit / miss per lookup (the `crosswire_cache_requests_total{cache="responses"}` series). */
  observe?: (result: "hit" | "miss") => void;
}

export interface ResponseCache {
  plugin: ApolloServerPlugin<Context>;
  /** Something a response may show changed: no entry made before this is served again. */
  bump(): void;
  /** Entries and bytes held in this process (tests, /metrics readers). */
  readonly memory: { entries: number; bytes: number };
}

export interface Entry {
  /** The generation it was made in. */
  g: string;
  /** The response's `data`, as JSON text. */
  json: string;
  /** Its length: what it weighs in the memory tier. */
  n: number;
}

/*
 * A hit's data is not handed to Apollo to serialize again (half the CPU of a hit): the HTTP transport gives each
 * request a `cachedJson` slot (Context), the hit fills it and answers a placeholder, and the transport writes the
 * cached text where Apollo wrote the placeholder. The placeholder's key is random per process, so no data can forge it.
 */
const PLACEHOLDER_KEY = `crosswire-cached-${randomUUID()}`;
const PLACEHOLDER = Object.freeze({ [PLACEHOLDER_KEY]: true });
const PLACEHOLDER_TEXT = JSON.stringify(PLACEHOLDER);

/** The body Apollo serialized around a hit's placeholder, with the cached data's JSON in its place. */
export function spliceCachedData(body: string, json: string): string {
  const at = body.indexOf(PLACEHOLDER_TEXT);
  if (at < 0) throw new Error("response cache: the body holds no placeholder for the cached data");
  return body.slice(0, at) + json + body.slice(at + PLACEHOLDER_TEXT.length);
}

const GENERATION_KEY = "responses:generation";
const entryKey = (hash: string) => `responses:${hash}`;

/** The memory tier: a Map in use order, bounded by the JSON length of what it holds. */
export class MemoryTier {
  private readonly map = new Map<string, Entry>();
  bytes = 0;
  constructor(private readonly max: number) {}
  get size() {
    return this.map.size;
  }
  get(key: string): Entry | undefined {
    const entry = this.map.get(key);
    if (entry) {
      this.map.delete(key);
      this.map.set(key, entry);
    }
    return entry;
  }
  set(key: string, entry: Entry): void {
    if (entry.n > this.max) return;
    this.delete(key);
    this.map.set(key, entry);
    this.bytes += entry.n;
    for (const [oldest, old] of this.map) {
      if (this.bytes <= this.max) break;
      this.map.delete(oldest);
      this.bytes -= old.n;
    }
  }
  delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.map.delete(key);
    this.bytes -= old.n;
  }
  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}

/** The cache key of one request; null when it must not be cached (not a query). */
export function responseKey(parts: { query: string; operationName: string | null | undefined; variables: unknown; accept: string | undefined; viewer: string | undefined }): string {
  return createHash("sha256")
    .update(JSON.stringify([parts.query, parts.operationName ?? null, parts.variables ?? null, parts.accept ?? "", parts.viewer ?? ""]))
    .digest("base64url");
}

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { keyv, shared, logger } = options;
  const memory = new MemoryTier(options.memoryBytes);
  const ttlMs = options.ttlSeconds * 1000;
  let generation: string = randomUUID();

  /** The current generation and the entry, in one round trip when shared. */
  async function lookup(key: string): Promise<{ generation: string; entry: Entry | undefined }> {
    const local = memory.get(key);
    if (!shared) {
      if (local?.g === generation) return { generation, entry: local };
      const stored = (await keyv.get<Entry>(entryKey(key))) ?? undefined;
      return { generation, entry: stored };
    }
    if (local) {
      const current = await keyv.get<string>(GENERATION_KEY);
      if (current) generation = current;
      return { generation, entry: local };
    }
    const [current, stored] = (await keyv.getMany<unknown>([GENERATION_KEY, entryKey(key)])) as [string | undefined, Entry | undefined];
    if (current) generation = current;
    return { generation, entry: stored ?? undefined };
  }

  function store(key: string, entry: Entry): void {
    memory.set(key, entry);
    keyv.set(entryKey(key), entry, ttlMs).catch((err: unknown) => logger.warn({ err }, "response cache: an entry could not be stored"));
  }

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart({ request }) {
      let pending: { key: string; generation: string } | null = null;
      return {
        async responseForOperation({ operation, source, operationName, contextValue }) {
          if (operation.operation !== "query") return null;
          const headers = request.http?.headers;
          const key = responseKey({ query: source, operationName, variables: request.variables, accept: headers?.get("accept"), viewer: headers?.get("authorization") });
          const found = await lookup(key).catch((err: unknown) => {
            // A store that does not answer costs the cache, not the request.
            logger.warn({ err }, "response cache: lookup failed");
            return null;
          });
          if (!found) return null;
          if (found.entry && found.entry.g === found.generation) {
            options.observe?.("hit");
            if (!memory.get(key)) memory.set(key, found.entry);
            const slot = contextValue.cachedJson;
            if (slot) slot.text = found.entry.json;
            const data = slot ? PLACEHOLDER : (JSON.parse(found.entry.json) as Record<string, unknown>);
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: "single", singleResult: { data } } } satisfies GraphQLResponse;
          }
          options.observe?.("miss");
          pending = { key, generation: found.generation };
          return null;
        },
        async willSendResponse({ response, contextValue }) {
          if (!pending || response.body.kind !== "single" || contextValue.answer?.incomplete) return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || !data) return;
          // A bump while this request ran (this process's): the answer may predate it.
          if (!shared && pending.generation !== generation) return;
          const json = JSON.stringify(data);
          store(pending.key, { g: pending.generation, json, n: json.length });
        },
      };
    },
  };

  return {
    plugin,
    bump() {
      generation = randomUUID();
      memory.clear();
      if (shared) keyv.set(GENERATION_KEY, generation).catch((err: unknown) => logger.warn({ err }, "response cache: the new generation could not be stored"));
    },
    get memory() {
      return { entries: memory.size, bytes: memory.bytes };
    },
  };
}

/** The events that change what responses show, as the gateway's producers report them (src/live/events.ts). */
interface ChangeEvents {
  articlesAdded(...args: never[]): void;
  healthChanged(...args: never[]): void;
  postsAdded(...args: never[]): void;
}

/** Makes every event of `events` that may change a response also bump the cache (wraps the methods in place). */
export function bumpOn<T extends ChangeEvents>(events: T, cache: Pick<ResponseCache, "bump">): void {
  for (const name of ["articlesAdded", "healthChanged", "postsAdded"] as const) {
    const original = events[name].bind(events) as (...args: unknown[]) => void;
    (events as Record<string, unknown>)[name] = (...args: unknown[]) => {
      cache.bump();
      original(...args);
    };
  }
}
