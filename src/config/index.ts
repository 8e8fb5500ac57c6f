import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { MAX_CITATIONS_PER_POST } from "../urls/index.js";

/**
 * The whole configuration surface. Every key is documented in docs/configuration.md, generated from the
 * `.describe()` texts below by `npm run docs:config`; a key added here
 * without a .describe() text fails test/unit/config-docs.test.ts. Precedence: defaults < config file (CROSSWIRE_CONFIG) < environment.
 */
const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const httpUrl = z.string().refine((v) => /^https?:\/\/[^\s]+$/i.test(v) && URL.canParse(v), {
  message: "expected an absolute http(s) URL",
});

const SourceSchema = z
  .object({
    id: z.string().regex(SOURCE_ID, "expected lower-case letters, digits, '-' or '_' (at most 64), starting with a letter or digit").describe("source id: part of every global ID of its articles and of the feed routes (lower-case letters, digits, `-` or `_`, at most 64)"),
    name: z.string().min(1).max(200).describe("display name of the outlet"),
    /** Expected format; the format is detected from the content anyway. */
    kind: z.enum(["RSS", "ATOM", "JSON_FEED"]).optional().describe("expected format (`RSS`, `ATOM`, `JSON_FEED`); the format is detected from the content anyway"),
    url: httpUrl.describe("feed URL (absolute http or https)"),
    homepage: httpUrl.optional().describe("the outlet's home page"),
    /** Default 900 s is polite to public feeds; below 60 s is meant for feeds you run yourself (and the tests). */
    pollIntervalSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(900).describe("how often the feed is polled; 900 s is polite to public feeds, below 60 s is meant for feeds you run yourself (and the tests)"),
    enabled: z.boolean().default(true).describe("poll this source"),
    categories: z.array(z.string().trim().min(1).max(100)).max(20).default([]).describe("categories (OPML folders) the source belongs to, at most 20; `articles(filter: { category })`, `river(category:)` and `/feeds/river.atom?category=` filter by them"),
  })
  .strict();
/** One news source as the config file and the admin API (`addSource`, stored sources) give it: the same schema. */
export const FeedSourceSchema = SourceSchema;

/** A remote forum backend (README "Sources"); the built-in local store is `forum` and has the id "local". */
const forumId = z
  .string()
  .regex(SOURCE_ID, "expected lower-case letters, digits, '-' or '_' (at most 64), starting with a letter or digit")
  .refine((v) => v !== "local", { message: 'the id "local" belongs to the built-in forum store' });

const ForumSourceSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("discourse").describe("`discourse`: a Discourse site read through its JSON API (docs/sources/forum-discourse.md)"),
      id: forumId.describe("source id, part of every global ID of its objects; unique, not `local`"),
      name: z.string().min(1).max(200).describe("display name"),
      /** Site root, e.g. https://meta.discourse.org */
      url: httpUrl.describe("site root, e.g. `https://meta.discourse.org`"),
      /** Sent as Api-Key / Api-Username (only to this site's origin); without them the public API is read. */
      apiKey: z.string().min(1).max(200).optional().describe("discourse: sent as `Api-Key` / `Api-Username`, only to the site's own origin; without them the public API is read. Use a user with public-only rights (docs/sources/forum-discourse.md)"),
      apiUsername: z.string().min(1).max(60).optional().describe("sent as `Api-Username` with `apiKey`"),
      /** Post ids per /t/{id}/posts.json request; 20 is Discourse's own chunk size (TopicView.chunk_size). */
      postBatchSize: z.number().int().min(1).max(100).default(20).describe("discourse: post ids per `/t/{id}/posts.json` request (1–100; 20 is Discourse's own chunk size)"),
      cacheTtlSeconds: z.number().int().min(1).max(24 * 3600).default(60).describe("discourse: how long an API answer is reused from the cache"),
      /** A 429/503 with a Retry-After up to this long is waited out and retried once; longer ones fail the field. */
      maxRetryWaitSeconds: z.number().int().min(0).max(60).default(5).describe("discourse: a 429/503 whose `Retry-After` is at most this long is waited out and retried once; a longer one fails the field"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("feed").describe("`feed`: any forum's RSS or Atom board or thread feed (docs/sources/forum-feed.md)"),
      id: forumId.describe("source id, part of every global ID of its objects; unique, not `local`"),
      name: z.string().min(1).max(200).describe("display name"),
      /** A board or thread feed (RSS or Atom), e.g. phpBB's feed.php?f=2 or XenForo's /threads/x.123/index.rss */
      url: httpUrl.describe("a board or thread feed (RSS or Atom), e.g. phpBB's `feed.php?f=2` or XenForo's `/threads/x.123/index.rss`"),
      pollIntervalSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(600).describe("how often the forum feed is polled (with `news.poll` on); at least 60"),
      enabled: z.boolean().default(true).describe("poll this feed"),
    })
    .strict(),
]);
export type ForumSourceConfig = z.infer<typeof ForumSourceSchema>;
/** A forum as the config file and the admin API (`addForum`) give it: the same schema. */
export { ForumSourceSchema };

/**
 * Real public world-news feeds, the kind of outlets forum threads quote. Offline they simply show as
 * unreachable in `Source.health`; start-up never waits for them.
 */
export const DEFAULT_SOURCES: z.input<typeof SourceSchema>[] = [
  { id: "aljazeera", name: "Al Jazeera", url: "https://www.aljazeera.com/xml/rss/all.xml", homepage: "https://www.aljazeera.com/" },
  { id: "bbc-world", name: "BBC News – World", url: "https://feeds.bbci.co.uk/news/world/rss.xml", homepage: "https://www.bbc.co.uk/news/world" },
  { id: "guardian-world", name: "The Guardian – World news", url: "https://www.theguardian.com/world/rss", homepage: "https://www.theguardian.com/world" },
  { id: "npr-world", name: "NPR – World", url: "https://feeds.npr.org/1004/rss.xml", homepage: "https://www.npr.org/sections/world/" },
];

export const ConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(4000).describe("HTTP port (`0` picks a free one)"),
    /** Interface to listen on; unset means Node's default (all interfaces, IPv6 and IPv4). */
    host: z.string().min(1).optional().describe("interface to listen on, e.g. `127.0.0.1`"),
    dataDir: z.string().min(1).default("./data").describe("folder of the SQLite files: `forum.db` (forum-local store, article rows, stored sources) and `cache.db` (keyv: health, unfurls, persisted queries, responses); created if missing"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`"),
    /** Puts stack traces into GraphQL error responses. Never in production. */
    debug: z.boolean().default(false).describe("return internal error messages and stack traces to clients (development only)"),
    pagination: z
      .object({
        defaultFirst: z.number().int().min(1).max(10_000).default(20).describe("page size of a connection when neither `first` nor `last` is given"),
        maxFirst: z.number().int().min(1).max(10_000).default(100).describe("largest `first`/`last` accepted, and most IDs per `nodes` call"),
      })
      .strict()
      .default({ defaultFirst: 20, maxFirst: 100 })
      .refine((p) => p.defaultFirst <= p.maxFirst, {
        message: "defaultFirst must not exceed maxFirst",
      }).describe("Relay connection page sizes"),
    http: z
      .object({
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe("largest request body accepted"),
        shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000).describe("on SIGINT/SIGTERM, how long in-flight requests may take before their connections are cut"),
        /** Browser origins allowed to call the API cross-origin (exact match, e.g. "https://forum.example"). */
        corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, "expected an origin such as https://forum.example")).default([]).describe("browser origins allowed cross-origin, e.g. `[\"https://forum.example\"]`"),
        /** Take the client address from X-Forwarded-For (only behind a proxy you control). */
        trustProxy: z.boolean().default(false).describe("take the client address from `X-Forwarded-For` (only behind your own proxy)"),
      })
      .strict()
      .prefault({}).describe("the HTTP server"),
    rateLimit: z
      .object({
        enabled: z.boolean().default(true).describe("per-client-address cost budget"),
        /** Query cost (see limits.maxCost) a client IP may spend per minute. */
        costPerMinute: z.number().int().min(1).max(100_000_000).default(300_000).describe("query cost a client address may spend per minute"),
        exemptLoopback: z.boolean().default(true).describe("no limit for loopback clients"),
        /** What one /feeds/* answer costs from the same budget, per entry asked for (a 500-entry river page: 0.18 s of CPU). */
        feedEntryCost: z.number().int().min(0).max(10_000).default(20).describe("cost charged to the same budget per entry a `/feeds/*` page asks for (`limit`), plus 1 per request"),
        /** Subscription events a client address may receive per minute, over all its WebSocket connections. */
        subscriptionEventsPerMinute: z.number().int().min(1).max(10_000_000).default(6_000).describe("subscription events a client address may receive per minute over all its connections; past it, the connection that would get the next one is closed with code 4029"),
      })
      .strict()
      .prefault({}).describe("per-client-address query-cost budget (docs/security.md)"),
    persistedQueries: z
      .object({
        /** JSON file: an array of operation texts, or an object whose values are operation texts. */
        safelistFile: z.string().min(1).optional().describe("JSON file of allowed operations (array of texts, or object of them); also preloaded as persisted queries"),
        /** Refuse every operation that is not in the safelist. */
        safelistOnly: z.boolean().default(false).describe("refuse every operation not in the safelist"),
        /** Longest query text a client may register as an automatic persisted query. */
        maxQueryBytes: z.number().int().min(1024).max(1024 * 1024).default(16 * 1024).describe("longest query text (bytes) a client may register as an automatic persisted query; longer ones run but are not kept"),
        /** Registered queries kept by this process (oldest forgotten first); the safelist is not counted. */
        maxStored: z.number().int().min(10).max(1_000_000).default(2_000).describe("automatic persisted queries a process keeps registered (the oldest registration is deleted first); safelisted ones are not counted"),
        /** How long a registered query is kept. */
        ttlSeconds: z.number().int().min(60).max(30 * 86_400).default(86_400).describe("how long a registered persisted query is kept"),
      })
      .strict()
      .prefault({})
      .refine((p) => !p.safelistOnly || p.safelistFile !== undefined, { message: "safelistOnly needs safelistFile" }).describe("automatic persisted queries and the operation safelist (docs/security.md)"),
    forum: z
      .object({
        /** Seed the bundled demo forum into an empty local store on first start. */
        seedDemo: z.boolean().default(true).describe("seed the demo forum into an empty forum store (`forum.db` or the PostgreSQL database) on start (a store with any forum is never touched)"),
        /** Where forum-local keeps its data: `<dataDir>/forum.db` (default) or a PostgreSQL database (several gateways). */
        store: z.enum(["sqlite", "postgres"]).default("sqlite").describe("where forum-local keeps its data: `sqlite` (`<dataDir>/forum.db`) or `postgres` (see Running several gateways)"),
        /** libpq connection URL, e.g. postgresql://crosswire@127.0.0.1:5432/crosswire; required with store "postgres". */
        postgresUrl: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgresql:// URL").optional().describe("PostgreSQL URL, e.g. `postgresql://crosswire@127.0.0.1:5432/crosswire`; required with `forum.store` `postgres`"),
      })
      .strict()
      .prefault({})
      .refine((f) => f.store !== "postgres" || f.postgresUrl !== undefined, { message: 'store "postgres" needs postgresUrl', path: ["postgresUrl"] }).describe("the built-in forum store, forum-local (docs/sources/forum-local.md), which also holds the article rows"),
    /** The keyv store behind source health, unfurls and persisted queries (articles are SQL rows in the forum store's database). */
    cache: z
      .object({
        /** `<dataDir>/cache.db` (default) or Redis (several gateways share it; also carries feed-poll leases). */
        store: z.enum(["sqlite", "redis"]).default("sqlite").describe("the keyv store of source health, unfurls and persisted queries (articles are rows in the forum store's database): `sqlite` (`<dataDir>/cache.db`) or `redis` (shared by several gateways, also holds the feed-poll leases)"),
        /** e.g. redis://127.0.0.1:6379/0; required with store "redis". */
        redisUrl: z.string().regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL").optional().describe("Redis URL, e.g. `redis://127.0.0.1:6379/0`; required with `cache.store` `redis`"),
        /** Prefix of every key this gateway writes to Redis (several deployments may share one Redis). */
        keyPrefix: z.string().max(100).default("crosswire:").describe("prefix of every Redis key the gateway writes"),
        /** A store call (Redis, PostgreSQL) that has not answered after this long fails with SERVICE_UNAVAILABLE. */
        timeoutMs: z.number().int().min(50).max(60_000).default(2_000).describe("a Redis or PostgreSQL call not answered after this long fails (`SERVICE_UNAVAILABLE` in GraphQL)"),
        /** Redis: feed-poll leases and the article write lock expire this long after their holder stops renewing them (dies). */
        leaseTtlMs: z.number().int().min(500).max(600_000).default(30_000).describe("Redis only: a feed-poll lease or the article write lock whose holder stopped renewing it (died) expires after this long; 500–600000"),
        /** Whole GraphQL responses, reused until something they may show changes (src/server/response-cache.ts). */
        responses: z
          .object({
            enabled: z.boolean().default(false).describe("cache whole query responses per document, operation, variables and viewer; a new post, a new article or a health change drops them all (docs/operations.md)"),
            memoryBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024).describe("bound of the in-process tier of the response cache, in bytes (JSON text); the store (`cache.store`) holds the rest"),
            ttlSeconds: z.number().int().min(1).max(24 * 3600).default(60).describe("a cached response is reused at most this long, even when nothing announced a change"),
          })
          .strict()
          .prefault({})
          .describe("the response cache (off by default)"),
        /** Decoded rows kept across requests while the forum store's database is unchanged (src/db/read-cache.ts). */
        reads: z
          .object({
            maxEntries: z.number().int().min(0).max(1_000_000).default(20_000).describe("decoded reads (article records, posts pages, authors, threads) kept in memory while the forum store has not changed: any write empties it (SQLite: its own change counters; PostgreSQL: the tables' change notifications, on a connection of its own); `0` keeps nothing (docs/operations.md)"),
          })
          .strict()
          .prefault({})
          .describe("the read cache of the forum store's database"),
      })
      .strict()
      .prefault({})
      .refine((c) => c.store !== "redis" || c.redisUrl !== undefined, { message: 'store "redis" needs redisUrl', path: ["redisUrl"] }).describe("the keyv store behind source health, unfurls and persisted queries"),
    /** Remote forums served beside the local store (Discourse sites, forum feeds). */
    forums: z.array(ForumSourceSchema).max(100).default([]).describe("remote forums served beside the local store: Discourse sites (`kind` `discourse`) and forum feeds (`kind` `feed`); ids unique, not `local`"),
    /** News feed sources; replaces DEFAULT_SOURCES when given. */
    sources: z.array(SourceSchema).max(1000).prefault(DEFAULT_SOURCES).describe("news feed sources (docs/sources/rss.md); giving the key replaces the four default world-news feeds"),
    /** An OPML file whose subscriptions are added to `sources` at start. */
    opmlFile: z.string().min(1).optional().describe("an OPML file whose subscriptions are added to `sources` at start"),
    news: z
      .object({
        /** Ingest the bundled demo feeds (the outlets the demo forum cites) on first start. */
        demoFeeds: z.boolean().default(true).describe("ingest the bundled demo feeds on first start"),
        /** Poll the configured sources (off: only the admin mutations refresh them). */
        poll: z.boolean().default(true).describe("poll the sources on their schedule (off: only the admin mutations refresh them)"),
        maxFeedBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(10 * 1024 * 1024).describe("largest feed accepted, counted after decompression"),
        parseWorkers: z.number().int().min(1).max(16).optional().describe("worker threads that parse feeds (and render their summaries); tasks go to the first free one. Default: one per core left over after the main thread, at most 4, at least 1"),
        parseTimeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe("a parse running longer is stopped and the poll fails"),
        /** Longest wait between polls of a failing source (exponential backoff stops growing here). */
        maxBackoffSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600).describe("longest wait between polls of a failing source"),
      })
      .strict()
      .prefault({}).describe("news feed polling and parsing (docs/sources/rss.md)"),
    net: z
      .object({
        timeoutMs: z.number().int().min(100).max(300_000).default(15_000).describe("total time for one fetch, redirects and body included"),
        connectTimeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe("time to connect (TCP and TLS)"),
        maxRedirects: z.number().int().min(0).max(10).default(5).describe("redirects followed per fetch; each hop is checked again"),
        /** Allow fetching loopback/private/link-local addresses. Off by default (SSRF). */
        allowPrivateNetworks: z.boolean().default(false).describe("allow fetching loopback, private, link-local and other non-public addresses (off: SSRF protection)"),
        /** Host names allowed even when they resolve to private addresses. */
        allowHosts: z.array(z.string().min(1).toLowerCase()).default([]).describe("host names allowed even when they resolve to private addresses (e.g. an intranet feed)"),
        /** IP addresses allowed although private (per address, not per port). */
        allowAddresses: z.array(z.union([z.ipv4(), z.ipv6()])).default([]).describe("IP addresses allowed although private, e.g. `[\"10.1.2.3\"]` (per address, any port)"),
        userAgent: z.string().min(1).default("crosswire/0.1 (+https://github.com/crosswire/crosswire)").describe("`User-Agent` of every outbound request"),
        perHostConcurrency: z.number().int().min(1).max(64).default(4).describe("requests in flight to one host, shared by feed polls and unfurls"),
        globalConcurrency: z.number().int().min(1).max(1024).default(32).describe("requests in flight in all"),
        /** How long a host that answered 429/503 without Retry-After is left alone (403/404 concern one resource: no backoff). */
        hostBackoffSeconds: z.number().int().min(0).max(86_400).default(60).describe("how long a host that answered 429/503 without `Retry-After` is left alone (a 403 or 404 concerns one resource and sets no backoff)"),
        /** Failures in a row (network, timeout, 5xx) after which a host's circuit opens. */
        breakerThreshold: z.number().int().min(1).max(1000).default(5).describe("upstream failures in a row (network, timeout, 5xx) that open a host's circuit breaker"),
        breakerOpenSeconds: z.number().int().min(1).max(3600).default(30).describe("how long an open circuit fails fast"),
        /** Fetches of client-chosen URLs (unfurls, links in posts) in flight: a lane of their own, never taking a feed poll's or admin call's slot. */
        clientConcurrency: z.number().int().min(1).max(1024).default(8).describe("fetches of client-chosen URLs (unfurls, links cited in posts) in flight, in a lane of their own: they never take the slots of feed polls, forum reads or admin calls (`globalConcurrency`)"),
        /** Ports a public host may be fetched on; allowHosts and allowAddresses are exempt. */
        allowPorts: z.array(z.number().int().min(1).max(65_535)).default([80, 443]).describe("ports a public address may be fetched on (`allowHosts`, `allowAddresses` and, with `allowPrivateNetworks`, private addresses take any port)"),
      })
      .strict()
      .prefault({}).describe("every outbound request: feed polls and unfurls (docs/security.md)"),
    unfurl: z
      .object({
        /** Fetch cited pages that no feed carries and read their metadata. */
        enabled: z.boolean().default(true).describe("fetch cited pages that no feed carries and read their metadata"),
        /** A fetched page's metadata is fresh this long. */
        ttlSeconds: z.number().int().min(60).max(30 * 86_400).default(86_400).describe("a fetched page's metadata is fresh this long"),
        /** After that, it is still served (and refreshed in the background) this much longer. */
        staleSeconds: z.number().int().min(0).max(90 * 86_400).default(7 * 86_400).describe("after that it is still served, and refreshed in the background, this much longer"),
        /** A failed unfurl is not retried for this long. */
        negativeTtlSeconds: z.number().int().min(10).max(86_400).default(600).describe("a failed unfurl is not retried for this long"),
        /** How long a GraphQL request waits for unfurls before answering with status PENDING. */
        waitMs: z.number().int().min(0).max(60_000).default(3_000).describe("how long a GraphQL request waits for unfurls before answering `PENDING` (the fetch goes on)"),
        /** Largest page read, after decompression. */
        maxBytes: z.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(2 * 1024 * 1024).describe("largest page read, after decompression"),
        /** Links of one post that are unfurled (of the 20 stored per post); later ones answer FAILED without a fetch. */
        maxLinksPerPost: z.number().int().min(0).max(20).default(5).describe("links of one post that are fetched to be unfurled (a post keeps its first 20 links as citations, and `Post.citations` is costed as 20); later ones answer `FAILED`, unfetched"),
        /** Unfurl fetches (store and cache misses) one client address may start per minute. */
        perClientPerMinute: z.number().int().min(1).max(100_000).default(30).describe("unfurl fetches (pages not already stored or cached) one client address may start per minute; loopback clients follow `rateLimit.exemptLoopback`"),
      })
      .strict()
      .prefault({}).describe("reading the metadata of cited pages no feed carries (docs/sources/url.md)"),
    limits: z
      .object({
        maxDepth: z.number().int().min(2).max(100).default(12).describe("deepest selection nesting"),
        maxAliases: z.number().int().min(0).max(1000).default(15).describe("aliases per operation"),
        maxRootFields: z.number().int().min(1).max(100).default(10).describe("top-level fields per operation"),
        maxDirectives: z.number().int().min(0).max(1000).default(30).describe("directives per operation"),
        maxTokens: z.number().int().min(50).max(100_000).default(3000).describe("lexical tokens per document"),
        /** The cost model is src/server/limits.ts (calibration pages: test/integration/cost-calibration.test.ts). */
        maxCost: z.number().int().min(10).max(10_000_000).default(50_000).describe("query cost: each object 1, scalars 0, connections times their page size, plain lists times their bound"),
      })
      .strict()
      .prefault({}).describe("operation limits; each has its own `extensions.code` and HTTP 400 (docs/security.md)"),
    /** How operations execute (src/server/jit.ts). */
    execution: z
      .object({
        jit: z.boolean().default(true).describe("execute queries and mutations with graphql-jit (a document compiled to JavaScript on its second run) instead of graphql-js's interpreter; `false` runs graphql-js always (docs/operations.md)"),
        jitMaxDocuments: z.number().int().min(1).max(100_000).default(1000).describe("documents followed for compiling (compiled, or counted until `jitCompileAfter`), least recently used dropped"),
        jitMemoryBytes: z.number().int().min(0).max(4 * 1024 * 1024 * 1024).default(32 * 1024 * 1024).describe("estimated heap the compiled documents may hold (400 bytes per character of document text, an upper estimate of what was measured), least recently used dropped: what callers sending ever-new documents can make it hold"),
        jitCompileAfter: z.number().int().min(1).max(1000).default(2).describe("runs of one document (by text and operation name) before it is compiled; graphql-js runs it until then, so a document sent once costs no compile (`1`: compile at once)"),
      })
      .strict()
      .prefault({}).describe("the GraphQL executor"),
    /** Full-text search and story grouping (src/search; README "Search and stories"). */
    search: z
      .object({
        /**
         * TF-IDF cosine between an article and a story's centroid at or above which the article joins the story.
         * Chosen on the fixture corpus (test/fixtures/search): see README for the precision/recall it gives.
         */
        storyThreshold: z.number().min(0.05).max(0.95).default(0.37).describe("TF-IDF cosine between an article and a story's centroid at or above which the article joins the story (chosen on the fixture corpus, see docs/search.md)"),
        /** Articles further apart than this in time are never compared, so never grouped. */
        storyWindowHours: z.number().int().min(1).max(24 * 30).default(72).describe("articles further apart than this in time are never compared, so never grouped"),
        /** How often the forum store is checked for posts not yet indexed; 0 checks only at start. */
        postSyncSeconds: z.number().int().min(0).max(86_400).default(30).describe("how often the forum store is checked for posts not yet indexed; 0 checks only at start"),
      })
      .strict()
      .prefault({}).describe("full-text search and story grouping (docs/search.md)"),
    /** Schema introspection; default: on unless NODE_ENV=production. */
    introspection: z.boolean().optional().describe("schema introspection (and \"Did you mean\" hints); default: on unless `NODE_ENV=production`"),
    syndication: z
      .object({
        /** Absolute base URL of this gateway as feed readers reach it (links in feeds); default http://localhost:<port>. */
        publicUrl: httpUrl.optional().describe("absolute base URL of the gateway, used for every link in feeds"),
        /**
         * Authority of the tag: URIs (RFC 4151) that are every entry's GUID, e.g. "forum.example.org"; default: the host
         * of publicUrl. Changing it changes every GUID, so feed readers would show every entry again: set it once.
         */
        tagAuthority: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "expected a lower-case DNS name such as forum.example.org")
          .max(253)
          .optional().describe("authority of the `tag:` GUIDs; set it once (changing it changes every GUID)"),
        /** Cache-Control max-age of feed responses (feed readers and proxies may reuse a feed this long). */
        maxAgeSeconds: z.number().int().min(0).max(86_400).default(300).describe("`Cache-Control` max-age of feeds"),
        /** Entries per feed page without `?limit=`; `limit` above maxLimit is a 400. */
        defaultLimit: z.number().int().min(1).max(500).default(50).describe("entries per feed page without `?limit=`"),
        maxLimit: z.number().int().min(1).max(500).default(500).describe("largest `?limit=`"),
        /** Persisted GraphQL operations that may be published as feeds at /feeds/q/<id>.<format>. */
        operations: z.record(z.string().regex(SOURCE_ID), z.string().min(1).max(20_000)).default({}).describe("saved GraphQL queries published at `/feeds/q/<id>.<format>` (id → query text)"),
      })
      .strict()
      .refine((s) => s.defaultLimit <= s.maxLimit, { message: "defaultLimit must not exceed maxLimit" })
      .prefault({}).describe("RSS, Atom and JSON Feed output (docs/syndication.md)"),
    /** GraphQL subscriptions over WebSocket at the GraphQL path (README "Live updates"). */
    subscriptions: z
      .object({
        enabled: z.boolean().default(true).describe("serve GraphQL subscriptions over WebSocket (graphql-transport-ws) at `/graphql`"),
        /** Subscriptions one connection may hold at once; one more gets a TOO_MANY_SUBSCRIPTIONS error. */
        maxPerConnection: z.number().int().min(1).max(1000).default(25).describe("subscriptions one connection may hold at once; one more gets a `TOO_MANY_SUBSCRIPTIONS` error"),
        /** Open WebSocket connections per client address; one more is refused with HTTP 429. */
        maxConnectionsPerIp: z.number().int().min(1).max(100_000).default(50).describe("open WebSocket connections per client address; one more is refused with HTTP 429"),
        /** Bytes a connection may leave unread before it is closed as a slow consumer (close code 4008). */
        maxBufferedBytes: z.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024).describe("bytes a connection may leave unread before it is closed as a slow consumer (close code 4008)"),
        /** Events one subscription may have waiting to be executed; one more closes it as a slow consumer. */
        maxQueuedEvents: z.number().int().min(10).max(1_000_000).default(10_000).describe("events one subscription may have waiting to be executed; one more closes it as a slow consumer"),
        /** Ping interval; a client that has not answered the previous ping is disconnected. 0: no pings. */
        keepAliveSeconds: z.number().int().min(0).max(3600).default(15).describe("ping interval; a client that has not answered the previous ping is disconnected; 0: no pings"),
      })
      .strict()
      .prefault({}).describe("GraphQL subscriptions over WebSocket at the GraphQL path (docs/live-updates.md)"),
    /** WebSub (W3C): subscribing to hubs that sources declare, and pinging a hub when our own feeds change. */
    websub: z
      .object({
        /** Subscribe at the hub a source's feed declares (needs syndication.publicUrl for the callback URL). */
        enabled: z.boolean().default(false).describe("subscribe at the WebSub hubs sources declare (needs `syndication.publicUrl` for the callback URL)"),
        /** Lease asked of hubs (the hub may grant another); renewed when 90 % of the granted lease has passed. */
        leaseSeconds: z.number().int().min(300).max(365 * 86_400).default(7 * 86_400).describe("lease asked of hubs (the hub may grant another); renewed when 90 % of the granted lease has passed"),
        /** Largest content distribution (push) body accepted at the callback; a larger one is refused with 413. */
        maxPushBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(2 * 1024 * 1024).describe("largest content distribution (push) body accepted at the callback; a larger one is refused with 413"),
        /**
         * Subscribe at hubs on plain http:// too. Off by default: the subscription request carries the HMAC secret
         * that authenticates pushes, and over plain HTTP anyone on the path could read it and forge pushes.
         */
        allowHttpHubs: z.boolean().default(false).describe("also subscribe at hubs on plain `http://` (off: the subscription carries the HMAC secret that authenticates pushes, which must not travel in clear)"),
        /** Hub our own syndication feeds announce (rel="hub") and ping when they change. */
        hubUrl: httpUrl.optional().describe("WebSub hub our own feeds announce (`rel=\"hub\"`) and ping when they change"),
        /** Changes within this long are one ping per feed. */
        publishDebounceMs: z.number().int().min(0).max(600_000).default(2_000).describe("changes within this long are one ping per feed"),
      })
      .strict()
      .prefault({}).describe("WebSub: subscribing to hubs that sources declare, and pinging a hub when our own feeds change (docs/live-updates.md)"),
    /** Who may write to the local forum (JWTs from the frontend's auth provider) and the bounds on writing. */
    auth: z
      .object({
        hs256Secret: z.string().min(32, "must be at least 32 characters (256 bits)").optional().describe("HS256 secret shared with the auth provider that signs users' JWTs (32 characters or more)"),
        publicKeyFile: z.string().optional().describe("PEM file (SPKI) with the auth provider's RS256 or ES256 public key"),
        jwksFile: z.string().optional().describe("JSON Web Key Set file with the auth provider's public keys (picked by `kid`)"),
        algorithms: z.array(z.enum(["HS256", "RS256", "ES256"])).min(1).default(["HS256", "RS256", "ES256"]).describe("signature algorithms accepted (`none` never is)"),
        issuer: z.string().optional().describe("required `iss` of every token; unset accepts any issuer"),
        audience: z.string().optional().describe("required `aud` of every token; unset accepts any audience"),
        clockToleranceSeconds: z.number().int().min(0).max(300).default(30).describe("leeway for `exp` and `nbf` against clock skew between the provider and the gateway"),
        subjectClaim: z.string().default("sub").describe("claim that identifies the user: the Author created on the first write is keyed by it"),
        usernameClaim: z.string().default("preferred_username").describe("claim giving the new Author's username (falls back to the subject)"),
        nameClaim: z.string().default("name").describe("claim giving the new Author's display name (falls back to the username)"),
        maxBodyChars: z.number().int().min(1).max(200_000).default(32_000).describe("longest Markdown body a post may have, in characters"),
        maxLinks: z.number().int().min(0).max(MAX_CITATIONS_PER_POST).default(MAX_CITATIONS_PER_POST).describe("most links one post may cite (at most 20: the citations per post the cost model counts on)"),
        writesPerMinute: z.number().int().min(1).max(10_000).default(10).describe("writes (threads, posts, edits, deletes) one author may make per minute; more answer 429 with Retry-After"),
      })
      .strict()
      .prefault({}).describe("writing to the local forum: JWT verification and write bounds (docs/writing.md)"),
    storedSources: z
      .object({
        enabled: z.boolean().default(true).describe("sources and forums added at runtime through the admin API (`addSource`, `importOpml`, `addForum`), kept in the forum store (`forum.db` or PostgreSQL) beside the config file's"),
        syncSeconds: z.number().int().min(1).max(3600).default(30).describe("how often each gateway re-reads the stored sources (another gateway's additions and removals reach this one within this time)"),
        maxSources: z.number().int().min(1).max(100_000).default(5000).describe("most stored sources; `addSource` and `importOpml` refuse more"),
      })
      .strict()
      .prefault({}).describe("sources managed at runtime through the admin API (docs/sources/admin-api.md)"),
    /** Bearer token for admin mutations (refreshSource, refreshAllSources); unset disables them. */
    adminToken: z.string().min(16, "must be at least 16 characters").optional().describe("bearer token for the admin mutations (`refreshSource`, `refreshAllSources`, and the sources API: `addSource`, `updateSource`, `removeSource`, `addForum`, `removeForum`, `importOpml`; 16 characters or more); unset disables them"),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.websub.enabled && !config.syndication.publicUrl) {
      ctx.addIssue({ code: "custom", path: ["websub", "enabled"], message: "needs syndication.publicUrl (hubs call the gateway back at <publicUrl>/websub/callback/...)" });
    }
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.id)) {
        ctx.addIssue({ code: "custom", path: ["sources", index, "id"], message: `duplicate source id "${source.id}"` });
      }
      seen.add(source.id);
    });
    const forumIds = new Set<string>();
    config.forums.forEach((forum, index) => {
      if (forumIds.has(forum.id)) {
        ctx.addIssue({ code: "custom", path: ["forums", index, "id"], message: `duplicate forum id "${forum.id}"` });
      }
      forumIds.add(forum.id);
    });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

type EnvKind = "int" | "bool" | "string";
/** Environment variables and the config key each one sets. */
export const ENV_KEYS: ReadonlyArray<{ env: string; key: string; kind: EnvKind }> = [
  { env: "PORT", key: "port", kind: "int" },
  { env: "HOST", key: "host", kind: "string" },
  { env: "CROSSWIRE_DATA_DIR", key: "dataDir", kind: "string" },
  { env: "CROSSWIRE_LOG_LEVEL", key: "logLevel", kind: "string" },
  { env: "CROSSWIRE_DEBUG", key: "debug", kind: "bool" },
  { env: "CROSSWIRE_DEFAULT_PAGE_SIZE", key: "pagination.defaultFirst", kind: "int" },
  { env: "CROSSWIRE_MAX_PAGE_SIZE", key: "pagination.maxFirst", kind: "int" },
  { env: "CROSSWIRE_BODY_LIMIT_BYTES", key: "http.bodyLimitBytes", kind: "int" },
  { env: "CROSSWIRE_SHUTDOWN_TIMEOUT_MS", key: "http.shutdownTimeoutMs", kind: "int" },
  { env: "CROSSWIRE_SEED_DEMO", key: "forum.seedDemo", kind: "bool" },
  { env: "CROSSWIRE_FORUM_STORE", key: "forum.store", kind: "string" },
  { env: "CROSSWIRE_POSTGRES_URL", key: "forum.postgresUrl", kind: "string" },
  { env: "CROSSWIRE_CACHE_STORE", key: "cache.store", kind: "string" },
  { env: "CROSSWIRE_REDIS_URL", key: "cache.redisUrl", kind: "string" },
  { env: "CROSSWIRE_RESPONSE_CACHE", key: "cache.responses.enabled", kind: "bool" },
  { env: "CROSSWIRE_DEMO_FEEDS", key: "news.demoFeeds", kind: "bool" },
  { env: "CROSSWIRE_POLL", key: "news.poll", kind: "bool" },
  { env: "CROSSWIRE_OPML_FILE", key: "opmlFile", kind: "string" },
  { env: "CROSSWIRE_ALLOW_PRIVATE_NETWORKS", key: "net.allowPrivateNetworks", kind: "bool" },
  { env: "CROSSWIRE_ADMIN_TOKEN", key: "adminToken", kind: "string" },
  { env: "CROSSWIRE_UNFURL", key: "unfurl.enabled", kind: "bool" },
  { env: "CROSSWIRE_INTROSPECTION", key: "introspection", kind: "bool" },
  { env: "CROSSWIRE_PUBLIC_URL", key: "syndication.publicUrl", kind: "string" },
  { env: "CROSSWIRE_WEBSUB", key: "websub.enabled", kind: "bool" },
  { env: "CROSSWIRE_WEBSUB_HUB_URL", key: "websub.hubUrl", kind: "string" },
];

function parseEnvValue(name: string, raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case "string":
      return raw;
    case "int": {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: expected an integer, got "${raw}"`);
      return Number(raw.trim());
    }
    case "bool": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off", ""].includes(v)) return false;
      throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    }
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function describeIssues(error: z.ZodError, origin: string): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => (issue.path.length ? `${where}.${k}` : k));
      return `  - unknown key ${keys.join(", ")} (check the spelling against docs/configuration.md)`;
    }
    return `  - ${where}: ${issue.message}`;
  });
  return `Invalid configuration (${origin}):\n${lines.join("\n")}`;
}

/**
 * Builds the configuration from the environment and the optional config file, validated once at start.
 * Throws ConfigError with one line per bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  let raw: Record<string, unknown> = {};
  const origins: string[] = ["defaults"];
  const file = env.CROSSWIRE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`CROSSWIRE_CONFIG: cannot read "${file}": ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`CROSSWIRE_CONFIG: "${file}" is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`CROSSWIRE_CONFIG: "${file}" must hold a JSON object`);
    }
    origins.push(`config file ${path.resolve(file)}`);
  }
  for (const { env: name, key, kind } of ENV_KEYS) {
    const value = env[name];
    if (value !== undefined) {
      setPath(raw, key, parseEnvValue(name, value, kind));
      origins.push(name);
    }
  }
  raw = deepMerge(raw, overrides as Record<string, unknown>);
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error, origins.join(" + ")));
  return result.data;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && prev && typeof prev === "object" && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
