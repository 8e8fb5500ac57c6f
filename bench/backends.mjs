/**
 * PostgreSQL and Redis for the scenarios that run crosswire clustered (9 and 10): a fresh PostgreSQL database and a
 * fresh Redis key prefix (on a Redis db number of its own) per run, both dropped afterwards, so a bench never reads
 * another run's rows or keys and never touches what tests or other tools keep there. Loopback only:
 * CROSSWIRE_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/test) and CROSSWIRE_BENCH_REDIS (default
 * redis://127.0.0.1:6379) say where they are.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "@redis/client";

const PG_ADMIN = process.env.CROSSWIRE_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/test";
const REDIS = process.env.CROSSWIRE_BENCH_REDIS ?? "redis://127.0.0.1:6379";
/** A Redis db number the tests do not use (they use 0 and start their own servers); the key prefix keeps runs apart. */
const REDIS_DB = 13;

const withDatabase = (url, name) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Fails with one sentence when PostgreSQL or Redis is not there (the scenario then reports that and moves on). */
export async function openBackends() {
  const id = `cw_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${id}`);
  } catch (error) {
    await admin.end().catch(() => {});
    throw new Error(`PostgreSQL at ${PG_ADMIN} is not usable (${error.message}); set CROSSWIRE_BENCH_PG`);
  }
  const redisUrl = `${REDIS}/${REDIS_DB}`;
  const redis = createClient({ url: redisUrl, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (error) {
    await admin.query(`DROP DATABASE IF EXISTS ${id}`).catch(() => {});
    await admin.end().catch(() => {});
    throw new Error(`Redis at ${REDIS} is not usable (${error.message}); set CROSSWIRE_BENCH_REDIS`);
  }
  const keyPrefix = `${id}:`;
  return {
    postgresUrl: withDatabase(PG_ADMIN, id),
    redisUrl,
    keyPrefix,
    /** Gateway config for these stores; `via` replaces the addresses (the latency proxy of scenario 10). */
    overrides(via = {}) {
      return {
        forum: { seedDemo: false, store: "postgres", postgresUrl: via.postgresUrl ?? withDatabase(PG_ADMIN, id) },
        cache: { store: "redis", redisUrl: via.redisUrl ?? redisUrl, keyPrefix },
      };
    },
    async close() {
      for await (const keys of redis.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) {
        const list = Array.isArray(keys) ? keys : [keys];
        if (list.length) await redis.del(list);
      }
      await redis.quit().catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`).catch(() => {});
      await admin.end().catch(() => {});
    },
  };
}
