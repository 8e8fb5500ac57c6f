import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type Keyv from "keyv";
import type { ParsedFeed } from "../../model/news.js";
import type { FeedSource } from "../../../sources/rss/index.js";
import type { Config } from "../../config/index.js";
import type { Logger } from "../../logger.js";
import { FetchError } from "../../net/index.js";
import type { Fetcher } from "../../net/types.js";
import { parseContentType } from "../../net/headers.js";
import { readBodyBytes, sendText } from "../../http/messages.js";
import { publicBase } from "../../syndication/links.js";
import { verifySignature } from "./signature.js";

/**
 * WebSub subscriber (W3C WebSub Recommendation, https://www.w3.org/TR/websub/). When a polled source's feed
 * declares a hub (rel="hub"), the gateway subscribes to the feed's topic (rel="self", else the configured
 * URL) at that hub, with a callback URL unique to the subscription (`<publicUrl>/websub/callback/<source>/<token>`)
 * and a secret of its own. The callback answers the hub's verification of intent (§5.3) only for an
 * (un)subscription it asked for, and accepts content distribution (§7) only with a valid `X-Hub-Signature`
 * (§8): a bad or missing signature is answered 2xx as the spec asks, and nothing is stored. Pushed bodies go
 * through the same parse-and-store path as a poll. Leases are renewed at 90 %; polling stays on as the
 * fallback. State lives in keyv (`websub:<sourceId>`), so a restart keeps its subscriptions.
 */
export const CALLBACK_PREFIX = "/websub/callback/";

export interface WebSubState {
  hub: string;
  topic: string;
  token: string;
  secret: string;
  /** What the hub has confirmed; `pending` is the (un)subscription asked for and not yet verified. */
  status: "pending" | "subscribed" | "denied";
  pending: "subscribe" | "unsubscribe" | null;
  /** Set when verified: the lease the hub granted and when it ends (ms). */
  leaseSeconds: number | null;
  expiresAt: number | null;
  requestedAt: number;
  lastError: string | null;
  /** During a renewal, the callback and secret of the subscription still in force (pushes keep arriving there). */
  previous?: { token: string; secret: string };
}

export interface WebSubSubscriber {
  /** The rss adapter's hook: a source's feed was parsed (hub discovery). */
  feedParsed(sourceId: string, feed: ParsedFeed): void;
  /** Handles GET/POST under CALLBACK_PREFIX; false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Schedules renewals of the subscriptions kept from an earlier run. */
  start(): Promise<void>;
  state(sourceId: string): Promise<WebSubState | undefined>;
  /** Resolves when the hub requests already started are answered (tests). */
  settled(): Promise<void>;
  stop(): void;
}

export interface WebSubDeps {
  config: Config;
  keyv: Keyv;
  fetcher: Fetcher;
  sources: ReadonlyMap<string, FeedSource>;
  logger: Logger;
}

/** A subscription is renewed when this share of its lease has passed. */
const RENEW_AT = 0.9;
/** A request a hub has not verified within this long may be asked again at the next poll. */
const PENDING_RETRY_MS = 10 * 60_000;

// Over 80 lines (196): one factory because its timers (lease renewal, retry), its in-flight subscription map and
// its HTTP callback handler share one per-process state; splitting it like src/live/server.ts (a state object and
// module functions) is the next step, not done in the issue-15 pass for lack of time.
export function createWebSubSubscriber(deps: WebSubDeps): WebSubSubscriber {
  const { config, keyv, fetcher } = deps;
  const log = deps.logger.child({ component: "websub" });
  const key = (sourceId: string) => `websub:${sourceId}`;
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  const load = (sourceId: string) => keyv.get<WebSubState>(key(sourceId));
  const save = (sourceId: string, state: WebSubState) => keyv.set(key(sourceId), state);

  function callbackUrl(sourceId: string, token: string): string {
    return `${publicBase(config)}${CALLBACK_PREFIX}${encodeURIComponent(sourceId)}/${token}`;
  }

  function scheduleRenewal(sourceId: string, state: WebSubState): void {
    clearTimeout(timers.get(sourceId));
    if (stopped || state.status !== "subscribed" || !state.leaseSeconds || !state.expiresAt) return;
    const renewAt = state.expiresAt - state.leaseSeconds * 1000 * (1 - RENEW_AT);
    // setTimeout holds 32-bit delays: a longer wait is re-armed when the first one fires.
    const delay = Math.min(Math.max(renewAt - Date.now(), 0), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      if (Date.now() < renewAt) return scheduleRenewal(sourceId, state);
      run(sourceId, () => request(sourceId, "subscribe", state.hub, state.topic));
    }, delay);
    timer.unref();
    timers.set(sourceId, timer);
  }

  /** One hub request per source at a time. */
  function run(sourceId: string, task: () => Promise<void>): void {
    if (stopped || inFlight.has(sourceId)) return;
    const p = task()
      .catch((err: unknown) => log.error({ err, source: sourceId }, "websub request failed"))
      .finally(() => inFlight.delete(sourceId));
    inFlight.set(sourceId, p);
  }

  /** Asks the hub to (un)subscribe; a new token and secret for each subscribe, so a stale callback URL stops working. */
  async function request(sourceId: string, mode: "subscribe" | "unsubscribe", hub: string, topic: string): Promise<void> {
    const before = await load(sourceId);
    const fresh = mode === "subscribe";
    const state: WebSubState = {
      hub, topic,
      token: fresh ? randomBytes(18).toString("base64url") : before!.token,
      secret: fresh ? randomBytes(32).toString("hex") : before!.secret,
      status: before?.status === "subscribed" && before.hub === hub && before.topic === topic ? "subscribed" : "pending",
      pending: mode,
      leaseSeconds: before?.leaseSeconds ?? null,
      expiresAt: before?.expiresAt ?? null,
      requestedAt: Date.now(),
      lastError: null,
    };
    // The previous secret stays valid for pushes until the hub verifies the new subscription.
    if (fresh && before?.status === "subscribed") state.previous = { token: before.token, secret: before.secret };
    await save(sourceId, state);
    const form = new URLSearchParams({
      "hub.mode": mode,
      "hub.topic": topic,
      "hub.callback": callbackUrl(sourceId, state.token),
      ...(fresh ? { "hub.secret": state.secret, "hub.lease_seconds": String(config.websub.leaseSeconds) } : {}),
    });
    try {
      await fetcher.fetch({ url: hub, post: { contentType: "application/x-www-form-urlencoded", body: form.toString() }, maxBytes: 64 * 1024 });
      log.info({ source: sourceId, hub, topic, mode }, "websub: hub accepted the request; waiting for its verification");
    } catch (err) {
      const reason = err instanceof FetchError ? err.message : String(err);
      await save(sourceId, { ...state, pending: null, status: before?.status === "subscribed" ? "subscribed" : "denied", lastError: `hub refused ${mode}: ${reason}` });
      log.warn({ source: sourceId, hub, reason }, "websub: hub request failed; polling continues");
    }
  }

  const insecureHubsWarned = new Set<string>();

  async function discovered(sourceId: string, feed: ParsedFeed): Promise<void> {
    const source = deps.sources.get(sourceId);
    if (!source || source.config.bundledFile) return;
    const hub = feed.hubs?.[0];
    const state = await load(sourceId);
    if (!hub) {
      if (state && state.status === "subscribed" && state.pending !== "unsubscribe") await request(sourceId, "unsubscribe", state.hub, state.topic);
      return;
    }
    if (!hub.startsWith("https:") && !config.websub.allowHttpHubs) {
      // WebSub §5.1: the secret must only travel over HTTPS; without it pushes could be forged. Polling continues.
      if (!insecureHubsWarned.has(`${sourceId} ${hub}`)) {
        insecureHubsWarned.add(`${sourceId} ${hub}`);
        log.warn({ source: sourceId, hub }, "websub: the feed's hub is not https; not subscribing, polling continues (websub.allowHttpHubs)");
      }
      return;
    }
    const topic = feed.selfUrl ?? source.config.url;
    if (state && state.hub === hub && state.topic === topic) {
      if (state.pending && Date.now() - state.requestedAt < PENDING_RETRY_MS) return;
      if (state.status === "subscribed" && !state.pending && state.expiresAt && state.expiresAt - Date.now() > (state.leaseSeconds ?? 0) * 1000 * (1 - RENEW_AT)) return;
      if (state.status === "denied" && Date.now() - state.requestedAt < PENDING_RETRY_MS) return;
    }
    await request(sourceId, "subscribe", hub, topic);
  }

  /** The state whose callback URL this is (token compared in constant time), with the secret to check pushes. */
  async function byCallback(sourceId: string, token: string): Promise<{ state: WebSubState; secret: string } | null> {
    const state = await load(sourceId);
    if (!state) return null;
    // Byte lengths, not string lengths: "é" is one character and two bytes, and timingSafeEqual throws on a mismatch.
    const same = (a: string, b: string) => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return x.length === y.length && timingSafeEqual(x, y);
    };
    if (same(state.token, token)) return { state, secret: state.secret };
    if (state.previous && same(state.previous.token, token)) return { state, secret: state.previous.secret };
    return null;
  }

  async function verify(sourceId: string, token: string, url: URL, res: ServerResponse): Promise<void> {
    const found = await byCallback(sourceId, token);
    const mode = url.searchParams.get("hub.mode");
    const topic = url.searchParams.get("hub.topic");
    const state = found?.state;
    if (!state || found.secret !== state.secret || topic !== state.topic) return sendText(res, 404, "Unknown subscription\n");
    if (mode === "denied") {
      await save(sourceId, { ...state, status: "denied", pending: null, lastError: `hub denied the subscription: ${url.searchParams.get("hub.reason") ?? "no reason given"}` });
      log.warn({ source: sourceId }, "websub: hub denied the subscription; polling continues");
      return sendText(res, 200, "ok\n");
    }
    const challenge = url.searchParams.get("hub.challenge");
    if ((mode !== "subscribe" && mode !== "unsubscribe") || mode !== state.pending || !challenge) return sendText(res, 404, "Not a pending request\n");
    if (mode === "unsubscribe") {
      await keyv.delete(key(sourceId));
      clearTimeout(timers.get(sourceId));
    } else {
      const granted = Number(url.searchParams.get("hub.lease_seconds"));
      const leaseSeconds = Number.isInteger(granted) && granted > 0 ? granted : config.websub.leaseSeconds;
      const { previous: _done, ...rest } = state;
      const next: WebSubState = { ...rest, status: "subscribed", pending: null, leaseSeconds, expiresAt: Date.now() + leaseSeconds * 1000, lastError: null };
      await save(sourceId, next);
      scheduleRenewal(sourceId, next);
      log.info({ source: sourceId, leaseSeconds }, "websub: subscription verified");
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(challenge);
  }

  async function distribute(sourceId: string, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const found = await byCallback(sourceId, token);
    // 410 Gone tells a hub to stop delivering to a callback we no longer know (§7).
    if (!found || found.state.status === "denied") return sendText(res, 410, "No such subscription\n");
    const body = await readBodyBytes(req, config.websub.maxPushBytes, "websub.maxPushBytes");
    if (!verifySignature(header(req, "x-hub-signature"), body, found.secret)) {
      // §8: a distribution with a bad or missing signature is acknowledged with 2xx and ignored.
      log.warn({ source: sourceId, signature: header(req, "x-hub-signature") ? "invalid" : "missing" }, "websub: push with a bad signature ignored");
      return sendText(res, 202, "ignored\n");
    }
    const source = deps.sources.get(sourceId)!;
    const { mediaType, charset } = parseContentType(header(req, "content-type"));
    const outcome = await source.ingest(body, mediaType, charset);
    log.info({ source: sourceId, outcome: outcome.kind, bytes: body.length }, "websub: push stored");
    sendText(res, 202, outcome.kind === "failed" ? "unreadable\n" : "stored\n");
  }

  return {
    feedParsed(sourceId, feed) {
      if (!config.websub.enabled || stopped) return;
      run(sourceId, () => discovered(sourceId, feed));
    },
    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (!url.pathname.startsWith(CALLBACK_PREFIX)) return false;
      const [sourceId, token, ...rest] = url.pathname.slice(CALLBACK_PREFIX.length).split("/").map(safeDecode);
      if (!config.websub.enabled || !sourceId || !token || rest.length || !deps.sources.has(sourceId)) {
        sendText(res, 404, "Unknown subscription\n");
        return true;
      }
      if (req.method === "GET") await verify(sourceId, token, url, res);
      else if (req.method === "POST") await distribute(sourceId, token, req, res);
      else sendText(res, 405, "Method not allowed\n", { allow: "GET, POST" });
      return true;
    },
    async start() {
      if (!config.websub.enabled) return;
      for (const sourceId of deps.sources.keys()) {
        const state = await load(sourceId);
        if (state) scheduleRenewal(sourceId, state);
      }
    },
    state: load,
    async settled() {
      while (inFlight.size) await Promise.all(inFlight.values());
    },
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return "";
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
