import { searchRows } from "./search.mjs";
import { freshnessRows } from "./scenarios/freshness.mjs";
/** The one table: a row per measure, with its target and whether the run met it. */

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const ms = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : "–");
const x = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "–");
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const range = (r) => `${x(r.value)} (rounds ${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
const verdict = (ok) => (ok ? "ok" : "MISS");
const load = (r) => `${int(r.rps)} req/s, p50 ${ms(r.p50)} / p99 ${ms(r.p99)} ms`;

export function rows(results) {
  const out = [];
  const add = (scenario, measure, value, target = "", check = "") => out.push({ scenario, measure, value, target, check });
  const failed = (scenario, error) => add(scenario, "failed", String(error).split("\n")[0].slice(0, 100), "", "FAIL");
  // A load run whose answers were not all 200 (or 304 where asked for) measured something else: say so.
  const answered = (scenario, named) => {
    const bad = Object.entries(named).filter(([, r]) => r && (r.unexpected > 0 || r.errors > 0));
    if (bad.length) add(scenario, "unexpected answers", bad.map(([n, r]) => `${n}: ${r.unexpected} non-200, ${r.errors} errors`).join("; "), "none", "FAIL");
  };
  const s = results.scenarios;

  if (s.warm?.error) failed("1 warm thread page", s.warm.error);
  else if (s.warm) {
    const w = s.warm;
    const name = "1 warm thread page";
    add(name, `crosswire (${w.posts} posts × ${w.citationsPerPost} citations, ${w.connections} conn.)`, load(w.crosswire));
    add(name, "floor (graphql-js + node:http)", load(w.floor));
    add(name, "naive (crosswire, DataLoader and read cache off)", load(w.naive));
    // Issue 22's target for the uncached warm page (it was 0.5× before).
    add(name, "crosswire / floor req/s", range(w.ratios.crosswireOverFloor), "≥ 0.75×", verdict(w.ratios.crosswireOverFloor.value >= 0.75));
    const naive = w.ratios.naiveOverCrosswire;
    add(name, "naive / crosswire req/s", range(naive), "≤ 0.20× (crosswire ≥ 5× naive)", verdict(naive.value <= 0.2));
    answered(name, { crosswire: w.crosswire, floor: w.floor, naive: w.naive });
  }

  if (s.roundTrips?.error) failed("2 round trips", s.roundTrips.error);
  else if (s.roundTrips) {
    const r = s.roundTrips;
    const series = (list) => list.map((p) => `${p.calls} (${p.forum}+${p.cache})`).join(" / ");
    // Flat: no larger page costs more calls than the first, smallest one (the read cache may answer some of a later,
    // larger page's lookups from the smaller one's: fewer calls, never more).
    const flat = r.crosswire.every((p) => p.calls <= r.crosswire[0].calls) && r.crosswire.every((p) => p.calls <= 6);
    add("2 round trips", `crosswire calls @ ${r.sizes.join("/")} posts (forum+cache)`, series(r.crosswire), "flat, ≤ 6", verdict(flat));
    add("2 round trips", `naive calls @ ${r.sizes.join("/")} posts (forum+cache)`, series(r.naive), "(grows)", "info");
  }

  if (s.coldCitations?.error) failed("3 cold citations", s.coldCitations.error);
  else if (s.coldCitations) {
    const c = s.coldCitations;
    const name = "3 cold citations";
    const limit = 4 * c.upstreamLatencyMs;
    add(name, `first full response, ${c.pages} URLs on 1 host (${c.upstreamLatencyMs} ms upstream)`, `${ms(c.first.ms)} ms (${c.first.resolved}/${c.pages} resolved)`, `≤ ${limit} ms`, verdict(c.first.ms <= limit && c.first.resolved === c.pages));
    add(name, "most fetches in flight to that one host", `${c.first.maxConcurrentFetches}`, `≤ ${c.caps.perHostConcurrency} (net.perHostConcurrency)`, verdict(c.first.maxConcurrentFetches <= c.caps.perHostConcurrency));
    add(name, `same, URLs spread over ${c.spread.hosts} hosts`, `${ms(c.spread.ms)} ms (${c.spread.resolved}/${c.pages} resolved)`, `≤ ${limit} ms`, verdict(c.spread.ms <= limit && c.spread.resolved === c.pages));
    add(name, `upstream fetches, ${c.inFlight.queries} identical queries in flight`, `${c.inFlight.upstreamFetches} (all answered in ${ms(c.inFlight.ms)} ms)`, `= ${c.pages}`, verdict(c.inFlight.upstreamFetches === c.pages && c.inFlight.allResolved));
    add(name, "warm, 1 connection", `p50 ${ms(c.warm.p50)} / p99 ${ms(c.warm.p99)} ms, ${int(c.warm.rps)} req/s, ${c.warm.upstreamFetches} fetches`, "p50 ≤ 2 ms", verdict(c.warm.p50 <= 2 && c.warm.upstreamFetches === 0));
    answered(name, { warm: { unexpected: c.warm.unexpected, errors: 0 } });
  }

  if (s.ingestion?.error) failed("4 feed ingestion", s.ingestion.error);
  else if (s.ingestion) {
    const i = s.ingestion;
    const name = "4 feed ingestion";
    add(name, `first poll, ${i.feeds} feeds × ${i.itemsPerFeed} items (${mb(i.feedBytes)}), median of ${i.repetitions}`, `${int(i.itemsPerSecond)} items/s (${ms(i.firstMs)} ms)`, "≥ 20,000 items/s", verdict(i.itemsPerSecond >= 20_000));
    add(name, `CPU µs per item: main thread / other threads (${i.parseWorkers} parse worker${i.parseWorkers === 1 ? "" : "s"})`, `${int(i.mainMicrosPerItem)} / ${int(i.otherMicrosPerItem)}`, "", "info");
    add(name, "main thread CPU µs per item, search indexing included", int(i.indexedMainMicrosPerItem), "", "info");
    if (Number.isFinite(i.busyP50Ms)) add(name, "`{ forums { name } }` during poll + indexing, 1 conn. (idle p50)", `p50 ${ms(i.busyP50Ms)} / p99 ${ms(i.busyP99Ms)} ms, ${int(i.busyProbes)} requests (${ms(i.quietP50Ms)} ms)`, "", "info");
    add(name, "peak RSS of the gateway process (idle before)", `${mb(i.peakRssBytes)} (${mb(i.idleRssBytes)})`, "", "info");
    add(name, "304 poll: time, 304 answers, parses", `${ms(i.notModifiedMs)} ms, ${i.notModifiedAnswers}/${i.feeds}, ${i.notModifiedParses} parses`, "0 parses", verdict(i.notModifiedParses === 0 && i.notModifiedAnswers === i.feeds));
  }

  if (s.syndication?.error) failed("5 syndication", s.syndication.error);
  else if (s.syndication) {
    const y = s.syndication;
    const name = "5 syndication";
    if (!y.available) add(name, "/feeds/river.atom", `not available (HTTP ${y.status}: ${y.message.slice(0, 60)})`, "", y.status === 404 ? "n/a" : "FAIL");
    else if (!y.conditional) add(name, "/feeds/river.atom", y.note, "", "n/a");
    else {
      add(name, `/feeds/river.atom warm (${y.entries} entries, ${int(y.bytes / 1024)} KB)`, load(y.unconditional), "", "info");
      add(name, "with If-None-Match", `${load(y.conditional)}; ${(y.share304 * 100).toFixed(1)} % 304`, "100 % 304", verdict(y.share304 === 1));
      answered(name, { unconditional: y.unconditional, conditional: y.conditional });
    }
  }

  if (s.scaling?.error) failed("6 scaling", s.scaling.error);
  else if (s.scaling) {
    const g = s.scaling;
    const name = "6 scaling";
    for (const side of ["crosswire", "floor"]) {
      const points = g[side].points.map((p) => `${p.posts}: ${ms(p.p50)}`).join(", ");
      add(name, `${side} p50 ms by posts per page (${g.connections} conn.)`, points, "", "info");
    }
    for (const side of ["crosswire", "floor"]) {
      const m = g[side].marginalMicrosPerPost;
      add(name, `${side} µs per extra post, 10→100 / 100→1000`, `${int(m["10→100"])} / ${int(m["100→1000"])} (${x(g[side].superlinearity)})`, side === "crosswire" ? "linear (≤ 1.30×)" : "", side === "crosswire" ? verdict(g[side].superlinearity <= 1.3) : "info");
    }
    add(name, "crosswire / floor req/s at 10 / 100 / 1000", g.crosswireOverFloor.map((r) => x(r.value)).join(" / "), "", "info");
    answered(name, Object.fromEntries(["crosswire", "floor"].flatMap((side) => g[side].points.map((p) => [`${side}@${p.posts}`, p]))));
  }
  if (s.clusteredWarm?.error) failed("9 PostgreSQL + Redis", s.clusteredWarm.error);
  else if (s.clusteredWarm) {
    const w = s.clusteredWarm;
    const name = "9 PostgreSQL + Redis";
    add(name, `crosswire (${w.posts} posts × 3 citations, ${w.connections} conn.)`, load(w.crosswire));
    add(name, "floor (graphql-js + node:http)", load(w.floor));
    add(name, "crosswire / floor req/s", range(w.ratios.crosswireOverFloor), "≥ 0.50×", verdict(w.ratios.crosswireOverFloor.value >= 0.5));
    answered(name, { crosswire: w.crosswire, floor: w.floor });
  }
  if (s.latencyProxy?.error) failed("10 latency proxy", s.latencyProxy.error);
  else if (s.latencyProxy) {
    const l = s.latencyProxy;
    const name = "10 latency proxy";
    const trips = l.points.map((p) => p.roundTrips.total);
    add(name, `round trips @ ${l.sizes.join("/")} posts (PostgreSQL+Redis)`, l.points.map((p) => `${p.roundTrips.total} (${p.roundTrips.pg}+${p.roundTrips.redis})`).join(" / "), "flat, ≤ 6", verdict(trips.every((t) => t <= trips[0] && t <= 6)));
    add(name, `p50 ms direct → ${l.delayMs} ms each way, 1 conn.`, l.points.map((p) => `${p.posts}: ${ms(p.direct)} → ${ms(p.proxied)}`).join(", "), "", "info");
    // With no round trip the proxies are not on the request's path: what is left of "added" is the difference between two
    // gateway processes, noise the check cannot hold to 0 ms.
    const noTrips = trips.every((t) => t === 0);
    add(name, "p50 added / round trips × 2 ms", l.points.map((p) => `${ms(p.added)} / ${ms(p.allowed)}`).join(", "), noTrips ? "added ≤ allowed (none: no round trip)" : "added ≤ allowed", verdict(noTrips || l.points.every((p) => p.added <= p.allowed)));
    answered(name, Object.fromEntries(l.points.map((p) => [`${p.posts} posts`, p])));
  }
  if (s.storeSize?.error) failed("11 store size", s.storeSize.error);
  else if (s.storeSize) {
    const z = s.storeSize;
    const name = "11 store size";
    const at = (pick) => z.points.map((p) => `${int(p.articles / 1000)}k: ${pick(p)}`).join(", ");
    const within = (key) => z.points.every((p) => p.ratios[key] <= 1.5);
    add(name, "poll store step, 50 new items (ms, × the 1k cost)", at((p) => `${ms(p.pollMs)} (${x(p.ratios.poll)})`), "≤ 1.50× at every size", verdict(within("poll")));
    add(name, "articles(first: 20) p50, 1 conn. (ms, ×)", at((p) => `${ms(p.page.p50)} (${x(p.ratios.page)})`), "≤ 1.50× at every size", verdict(within("page")));
    add(name, "start-up, createGateway to listening (ms, ×)", at((p) => `${ms(p.startupMs)} (${x(p.ratios.startup)})`), "independent of size (≤ 1.50×)", verdict(within("startup")));
    add(name, "seeding (s, through the store's write path)", at((p) => `${p.seedSeconds.toFixed(1)} (${p.seededWith})`), "", "info");
    answered(name, Object.fromEntries(z.points.map((p) => [`${p.articles} articles`, p.page])));
  }
  if (s.responseCache?.error) failed("12 response cache", s.responseCache.error);
  else if (s.responseCache) {
    const c = s.responseCache;
    const name = "12 response cache";
    if (!c.available) add(name, "cache.responses.enabled", `not available in this build (${String(c.reason).slice(0, 80)})`, "", "n/a");
    else {
      add(name, `crosswire, response cache on (${c.posts} posts, ${c.connections} conn.)`, load(c.cached));
      add(name, "crosswire, cache off / floor", `${load(c.crosswire)} / ${load(c.floor)}`, "", "info");
      add(name, "cached / floor req/s", range(c.ratios.cachedOverFloor), "≥ 2.00×", verdict(c.ratios.cachedOverFloor.value >= 2));
      add(name, "cached / cache off req/s", range(c.ratios.cachedOverCrosswire), "", "info");
      answered(name, { cached: c.cached, crosswire: c.crosswire, floor: c.floor });
    }
  }
  if (results.scenarios?.search) searchRows(results.scenarios.search, add);
  if (s.freshness?.error) failed("8 freshness", s.freshness.error);
  else if (s.freshness) freshnessRows(s.freshness, add);
  return out;
}

export function formatTable(list) {
  const headers = ["scenario", "measure", "value", "target", "check"];
  const keys = ["scenario", "measure", "value", "target", "check"];
  const widths = keys.map((k, i) => Math.max(headers[i].length, ...list.map((r) => String(r[k]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd();
  let previous = null;
  const body = list.map((r) => {
    const scenario = r.scenario === previous ? "" : r.scenario;
    previous = r.scenario;
    return line([scenario, r.measure, r.value, r.target, r.check]);
  });
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...body].join("\n");
}

/** The same table as Markdown, for bench/README.md. */
export function markdownTable(list) {
  const escape = (c) => String(c).replace(/\|/g, "\\|");
  return [
    "| scenario | measure | value | target | check |",
    "|---|---|---|---|---|",
    ...list.map((r) => `| ${[r.scenario, r.measure, r.value, r.target, r.check].map(escape).join(" | ")} |`),
  ].join("\n");
}
