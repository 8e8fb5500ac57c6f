/**
 * HTTP load through autocannon's programmatic API, in short rounds that alternate between the things being
 * compared (A B C, B C A, C A B, …), so drift on a shared machine (another tenant, a thermal change) hits
 * every side alike. Comparisons are reported as ratios of totals, plus the range of the per-round ratios.
 */
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";

/**
 * One autocannon run of exactly `amount` requests (every response awaited), or of `seconds`. Rounds are
 * counted in requests because a timed run abandons its in-flight requests at the deadline, and a server goes
 * on computing abandoned responses, stealing time from whatever is measured next. Every response's latency is
 * recorded here (autocannon's own histogram keeps only 2xx, and scenario 5 counts 304s).
 *
 * @param {{ url: string, method?: string, headers?: Record<string,string>, body?: string }} request
 * @param {{ amount?: number, seconds?: number, connections: number }} options
 */
export async function blast(request, { amount, seconds, connections }) {
  const latencies = [];
  const statuses = {};
  const started = performance.now();
  let lastAt = started;
  const instance = autocannon({
    url: request.url,
    method: request.method ?? "GET",
    headers: request.headers ?? {},
    ...(request.body !== undefined ? { body: request.body } : {}),
    connections,
    ...(amount ? { amount: Math.max(amount, connections) } : { duration: seconds }),
    timeout: 60,
    // autocannon notices the end of a run on its sampling tick; 1 s by default would idle between rounds.
    sampleInt: 50,
  });
  instance.on("response", (_client, status, _bytes, ms) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    lastAt = performance.now();
  });
  const result = await instance;
  // Up to the last response: autocannon itself only notices the end on its next one-second tick.
  const elapsed = (lastAt - started) / 1000;
  return { responses: latencies.length, seconds: elapsed, latencies, statuses, errors: result.errors + result.timeouts };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summarize(runs) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const responses = runs.reduce((n, r) => n + r.responses, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const statuses = {};
  for (const r of runs) for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
  return {
    rps: responses / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
    responses,
    seconds,
    statuses,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    unexpected: Object.entries(statuses).filter(([s]) => s !== "200" && s !== "304").reduce((n, [, c]) => n + c, 0),
    roundRps: runs.map((r) => r.responses / r.seconds),
  };
}

/**
 * Warms a target up for about `seconds` and returns its rate: first one request per connection (which also
 * measures a slow target without committing to many of its requests), then batches sized from that rate.
 */
async function warmUp(request, { seconds, connections }) {
  const started = performance.now();
  let run = await blast(request, { amount: connections, connections });
  let rate = run.responses / run.seconds;
  while ((performance.now() - started) / 1000 < seconds) {
    const left = seconds - (performance.now() - started) / 1000;
    run = await blast(request, { amount: Math.max(connections, Math.round(rate * Math.min(left, 1))), connections });
    rate = run.responses / run.seconds;
  }
  return rate;
}

/**
 * Alternates rounds between `targets` and summarizes each. A round is a fixed number of requests per target,
 * sized from its warm-up rate to last about `seconds` (at least `minRequests`, and one per connection).
 *
 * @param {Record<string, object>} targets name → request (see blast)
 * @param {{ rounds: number, seconds: number, warmupSeconds: number, connections: number, minRequests?: number, log?: (s: string) => void }} options
 * @returns {Promise<Record<string, ReturnType<typeof summarize>>>}
 */
export async function interleave(targets, { rounds, seconds, warmupSeconds, connections, minRequests = 2, log = () => {} }) {
  const names = Object.keys(targets);
  const amounts = {};
  // Warm-up: JIT, statement caches, Apollo's document cache, connection pools; never counted.
  for (const name of names) {
    const rate = await warmUp(targets[name], { seconds: warmupSeconds, connections });
    amounts[name] = Math.max(minRequests, connections, Math.round(rate * seconds));
  }
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const run = await blast(targets[name], { amount: amounts[name], connections });
      runs[name].push(run);
      log(`    round ${round + 1}/${rounds} ${name}: ${run.responses} requests, ${(run.responses / run.seconds).toFixed(1)} req/s`);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(runs[n])]));
}

/** a/b of total throughput, with the range of the same ratio taken round by round. */
export function ratio(a, b) {
  const perRound = a.roundRps.map((x, i) => x / b.roundRps[i]).sort((x, y) => x - y);
  return { value: a.rps / b.rps, min: perRound[0], max: perRound[perRound.length - 1] };
}

export const graphqlRequest = (port, query, variables) => ({
  url: `http://127.0.0.1:${port}/graphql`,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query, variables }),
});
