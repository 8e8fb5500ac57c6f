import { failFastRedisOptions, logRedisTransitions } from "../cache/redis-store.js";
import { randomUUID } from "node:crypto";
import { createPubSub } from "@graphql-yoga/subscription";
import { createClient } from "@redis/client";
import type { Logger } from "../logger.js";

/**
 * The gateway's pub/sub: `@graphql-yoga/subscription`'s createPubSub over an EventTarget. In-process by default;
 * with a Redis URL the EventTarget also publishes every event on one Redis channel and dispatches what other
 * processes publish there, so a subscriber on any process hears events from all.
 *
 * An event is dispatched locally at once and sent to Redis tagged with this process's id; when Redis echoes it
 * back to this process (every subscriber to the channel gets it, the publisher included) it is dropped, so no
 * event is delivered twice here.
 */
export interface LivePubSub {
  publish(topic: string, payload: unknown): void;
  subscribe(topic: string): AsyncIterable<unknown> & AsyncIterator<unknown>;
  /** "memory" or "redis" (README, "Live updates"). */
  readonly transport: "memory" | "redis";
  /**
   * The keys this process is the first to announce (SET NX with a TTL in Redis; all of them in memory). Every
   * process finds a new post of a shared forum store on its own sync, and only one of them may publish it.
   * When Redis does not answer, every key counts as claimed: an event twice beats an event lost.
   */
  claim(keys: readonly string[], ttlMs: number): Promise<Set<string>>;
  /** Resolves when the Redis subscription is active (at once in memory). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface LivePubSubOptions {
  logger: Logger;
  /** Redis pub/sub when set. */
  redisUrl?: string | undefined;
  /** Connect timeout of the Redis clients (cache.timeoutMs). */
  connectTimeoutMs?: number;
  /** Channel name prefix (cache.keyPrefix): deployments sharing a Redis do not hear each other. */
  keyPrefix?: string;
}

interface WireEvent {
  origin: string;
  topic: string;
  data: unknown;
}

// Over 80 lines (84): the in-process and the Redis pub/sub share one subscriber map and the Redis clients'
// reconnect state; the returned object is the LivePubSub contract.
export function createLivePubSub(options: LivePubSubOptions): LivePubSub {
  const local = new EventTarget();
  if (!options.redisUrl) {
    const pubSub = createPubSub({ eventTarget: local as never });
    return {
      transport: "memory",
      publish: (topic, payload) => pubSub.publish(topic, payload as never),
      subscribe: (topic) => pubSub.subscribe(topic) as never,
      claim: async (keys) => new Set(keys),
      ready: async () => {},
      close: async () => {},
    };
  }

  const origin = randomUUID();
  const channel = `${options.keyPrefix ?? ""}live`;
  const log = options.logger.child({ component: "live-pubsub" });
  // Reconnects forever, backing off to 5 s; a publish while Redis is down is dropped (logged), never queued
  // without bound, and never delays the local delivery.
  const publisher = createClient(failFastRedisOptions(options.redisUrl, options.connectTimeoutMs ?? 2_000));
  const subscriber = publisher.duplicate();
  for (const [name, client] of [["publisher", publisher], ["subscriber", subscriber]] as const) {
    logRedisTransitions(client, log, `Redis pub/sub ${name} connection (events from other processes are missed until it is back)`);
  }
  const dispatchLocal = (topic: string, data: unknown) => local.dispatchEvent(new CustomEvent(topic, { detail: data }));
  const target = {
    addEventListener: local.addEventListener.bind(local),
    removeEventListener: local.removeEventListener.bind(local),
    dispatchEvent(event: CustomEvent) {
      dispatchLocal(event.type, event.detail);
      const wire: WireEvent = { origin, topic: event.type, data: event.detail };
      if (publisher.isReady) {
        publisher.publish(channel, JSON.stringify(wire)).catch((err: Error) => log.warn({ err: err.message, topic: event.type }, "event not sent to Redis"));
      } else {
        log.warn({ topic: event.type }, "Redis is not connected: event delivered on this process only");
      }
      return true;
    },
  };
  const pubSub = createPubSub({ eventTarget: target as never });
  let closing = false;
  const connected = (async () => {
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.subscribe(channel, (message: string) => {
      let wire: WireEvent;
      try {
        wire = JSON.parse(message) as WireEvent;
      } catch {
        return;
      }
      if (wire.origin === origin || typeof wire.topic !== "string") return;
      dispatchLocal(wire.topic, wire.data);
    });
  })();
  connected.catch((err: Error) => {
    if (!closing) log.error({ err: err.message }, "Redis pub/sub did not connect; events stay on this process");
  });
  return {
    transport: "redis",
    async claim(keys, ttlMs) {
      if (keys.length === 0 || !publisher.isReady) return new Set(keys);
      try {
        const multi = publisher.multi();
        for (const key of keys) multi.set(`${options.keyPrefix ?? ""}announced:${key}`, "1", { condition: "NX", expiration: { type: "PX", value: ttlMs } });
        const replies = await multi.exec();
        return new Set(keys.filter((_, i) => String(replies[i]) === "OK"));
      } catch (err) {
        log.warn({ err: (err as Error).message }, "could not claim events in Redis; announcing them from this process");
        return new Set(keys);
      }
    },
    publish: (topic, payload) => pubSub.publish(topic, payload as never),
    subscribe: (topic) => pubSub.subscribe(topic) as never,
    ready: () => connected,
    async close() {
      closing = true;
      // A client still (re)connecting would never finish a graceful close: cut it.
      for (const client of [subscriber, publisher]) {
        if (client.isReady) await client.close().catch(() => client.destroy());
        else if (client.isOpen) client.destroy();
      }
    },
  };
}
