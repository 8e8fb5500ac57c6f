import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus series (prom-client). One registry per gateway, not prom-client's global one, so several
 * gateways in one process (tests, benchmarks) never collide.
 */
export interface Metrics {
  registry: Registry;
  requests: Counter<"operation" | "outcome">;
  duration: Histogram<"operation">;
  upstream: Counter<"source" | "outcome">;
  cache: Counter<"cache" | "result">;
  batchSize: Histogram<"loader">;
}

/** What the read cache of the forum store's database has done so far (src/db/read-cache.ts ReadCacheStats). */
export interface ReadCacheFigures {
  hits: number;
  misses: number;
  resets: number;
  entries: number;
}

export function createMetrics(
  health: () => Promise<Array<{ source: string; status: string; consecutiveFailures: number }>>,
  reads?: () => ReadCacheFigures,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "crosswire_process_" });
  const metrics: Metrics = {
    registry,
    requests: new Counter({
      name: "crosswire_graphql_requests_total", help: "GraphQL requests by operation name and outcome (ok, error, refused).",
      labelNames: ["operation", "outcome"], registers: [registry],
    }),
    duration: new Histogram({
      name: "crosswire_graphql_request_duration_seconds", help: "GraphQL request latency.", labelNames: ["operation"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
    }),
    upstream: new Counter({
      name: "crosswire_upstream_fetches_total", help: "Outbound fetches by source (feed id, or unfurl) and outcome.",
      labelNames: ["source", "outcome"], registers: [registry],
    }),
    cache: new Counter({
      name: "crosswire_cache_requests_total", help: "Cache lookups by cache and result (hit, stale, miss).",
      labelNames: ["cache", "result"], registers: [registry],
    }),
    batchSize: new Histogram({
      name: "crosswire_dataloader_batch_size", help: "Keys per DataLoader batch.", labelNames: ["loader"],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], registers: [registry],
    }),
  };
  new Gauge({
    name: "crosswire_source_up", help: "1 when a news source's last poll succeeded (status OK), else 0.",
    labelNames: ["source", "status"], registers: [registry],
    async collect() {
      this.reset();
      for (const h of await health()) this.set({ source: h.source, status: h.status }, h.status === "OK" ? 1 : 0);
    },
  });
  new Gauge({
    name: "crosswire_source_consecutive_failures", help: "Failed polls in a row per news source.",
    labelNames: ["source"], registers: [registry],
    async collect() {
      this.reset();
      for (const h of await health()) this.set({ source: h.source }, h.consecutiveFailures);
    },
  });
  if (reads) {
    new Counter({
      name: "crosswire_read_cache_lookups_total", help: "Keys looked up in the read cache of the forum store's database (hit, miss).",
      labelNames: ["result"], registers: [registry],
      collect() {
        const figures = reads();
        this.reset();
        this.inc({ result: "hit" }, figures.hits);
        this.inc({ result: "miss" }, figures.misses);
      },
    });
    new Gauge({
      name: "crosswire_read_cache_entries", help: "Decoded reads kept by the read cache (emptied by any write to the database).",
      registers: [registry],
      collect() {
        this.set(reads().entries);
      },
    });
  }
  return metrics;
}
